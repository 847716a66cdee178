"""Which aspect a message asks: the asking sentence of a story, overlapping phrases."""

import pytest

from bot.catalogue.lexicons import aspect_phrases
from bot.nlu.aspects import asked_aspect


@pytest.fixture(scope="module")
def lexicon():
    return aspect_phrases()


@pytest.mark.parametrize("text, aspect", [
    # A story tells times and papers; its question is in its last asking sentence.
    ("公司这两年做不下去了，听说注销要登报、要清算，前前后后要好几个月。想问问现在有没有简易注销，流程是怎样的", "steps"),
    ("聽說要等好幾個月。想問問現在流程是怎樣的", "steps"),
    ("老伴前年走了，一个人在老家。想问问老人投靠子女迁户口，需要什么条件？", "conditions"),
    ("厂子倒闭了，人事讲可以去领失业金，我这样的能领吗？我是外地户口的", "conditions"),
    # Overlapping phrases: the noun that ends the question, unless it only asks whether one may.
    ("需要什么条件", "conditions"),
    ("网上能办吗", "online"),
    ("手机上能开吗", "online"),
    ("需要什么材料", "materials"),
    ("户口本带吗", "materials"),  # whether to bring a thing asks the materials
    ("照片自己带吗", "materials"),
    ("材料往哪里递", "location"),
    # Whether one may, with the thing asked about in the middle; rules asked for in dialect.
    ("厂里裁员了，我这种情况能领失业保险金吗", "conditions"),
    ("新农合好交伐", "conditions"),
    ("这笔补贴是按啥规定发的", "basis"),
    ("怎么个申请法", "steps"),
    # "能不能" asks by itself; a choice between places asks where.
    ("我之前在江西老家交了六年，老家那几年的能不能并过来", "conditions"),
    ("是在宁波这边申请还是要回江西申请", "location"),
    ("是到村里申请还是镇上", "location"),
    ("是医院能直接办还是要去医保局", "location"),
    ("那几天好", "time_limit"),
    ("请问公司注销具体是什么流程，第一步先去哪里？", "steps"),
    ("审批手续是咋走的", "steps"),
    ("残疾人想配个轮椅，有补贴吗", "conditions"),
    ("优待证要交照片不", "materials"),
    # Whether one may, the thing done before the asking word: "…去办可以吗", "代办行不行".
    ("到时候我一个人去办可以吗", "conditions"),
    ("我帮他代办行不行", "conditions"),
    ("我成家了能不能单独申请一块", "conditions"),  # a plot of land, not "together"
    ("照片我自己带去可以吗", "materials"),  # whether one may bring it: what to bring
    # Who must come: who may apply, not how many trips.
    ("要本人去吗", "conditions"),
    ("非得爸妈两个人都到场吗", "conditions"),
    ("要跑几趟", "visits"),
    # Everyday words: on the phone, who may, a handling fee.
    ("手机能弄不", "online"),
    ("谁能领", "conditions"),
    ("要收手续费不", "fee"),
    ("冬天想去海南住几个月，在那边看病要先弄个啥手续，手机上能弄不", "online"),
    # One sentence: as before.
    ("要多少钱，几天能办好", "fee"),
    # Not going in is asking about doing it online; "不用跑" asks how many trips; a typo of 网上;
    # whether a thing gets the subsidy is who may have it.
    ("可以不去窗口吗，不去现场在网上弄行不行", "online"),
    ("这个网尚有没有", "online"),
    ("应该不用跑吧", "visits"),
    ("二手的农机也能补吗", "conditions"),
    # Whether one may do it so (alone, in another town) is who may apply.
    ("我爸一个人去办可以吗", "conditions"),
    ("在老家那边办行吗", "conditions"),
    # Whether one's own case fits, whatever thing the case tells of (a shop online, not online).
    ("我这种情况能申请吗，我在网上开了个淘宝店", "conditions"),
    ("像我这样的，网上能办吗", "online"),
    # Whether it takes a trip, asked in two words at the end.
    ("那我还得自己回老家跑吗", "visits"),
    # A threshold asked of ("要交满几年才行", "多大年纪才能申请"): the conditions, beside an amount or time.
    ("社保要交满几年才行", "conditions"),
    ("多大岁数才能领", "conditions"),
    ("在这边要住多久才能申请", "conditions"),
    ("失业金多久才能领到", "time_limit"),
    ("公司说要先有这个证才能上岗，这个证在哪办", "location"),
    ("是找社区还是街道", "location"),
    ("第一步要先干啥", "steps"),
    ("是不是全单元的人都同意才行", "conditions"),
    # Dialect and typed by ear: Cantonese, Sichuan, Wu, Northern.
    ("大概要几多钱", "fee"),
    ("几耐先有得攞", "time_limit"),
    ("要去边度交", "location"),
    ("我老豆咁嘅情况符唔符合", "conditions"),
    ("要带啲咩文件", "materials"),
    ("使唔使本人行一趟", "visits"),
    ("办个证要好多钱哦", "fee"),
    ("交了三年得不得行", "conditions"),
    ("要准备些啥子东西", "materials"),
    ("手机浪向弄得来伐", "online"),
    ("是按照啥个规定来的", "basis"),
    ("住好久才办得到", "conditions"),
    ("在街道好弄伐，还是一定要到区里去", "location"),
    ("什么样的情况才算困难", "conditions"),
    ("我这种领得到不", "conditions"),
    # Times, fees and places in everyday and Traditional words.
    ("今天去了今天就能拿到吗", "time_limit"),
    ("審核要幾個工作天", "time_limit"),
    ("几时能办好", "time_limit"),
    ("证书工本费大概多少", "fee"),
    ("規費怎麼算", "fee"),
    ("要到哪个地方去交", "location"),
    ("具体怎么操作呢", "steps"),
    # The thing named beats whether one may, however the may is spelt ("能报不").
    ("用app上能报不", "online"),
    ("户口本要不要一起带上", "materials"),
    # Everyday, typed-by-ear and dialect wordings (issue #15): papers to attach or to have made,
    # a place to go back to or to choose between, when the result comes, what a few coins cost.
    ("户口本复印件要附上吗", "materials"),
    ("村里要开哪些证明", "materials"),
    ("补贴的表交到村里还是镇上", "location"),
    ("是到原来办证的地方换吧", "location"),
    ("要回老家办吗", "location"),
    ("再哪领", "location"),
    ("这个手续咋个走法", "steps"),
    ("大概啥时候出结果", "time_limit"),
    ("当场拿得到不", "time_limit"),
    ("几钱一本", "fee"),
    ("年纪大的人行不", "conditions"),
    ("有啥硬性要求", "conditions"),
    # Typed in a hurry or in Wu: 多上钱, 收废, 材科, 几填, 几埭, 网报, 哪儿交.
    ("办一次要多上钱", "fee"),
    ("这个收废不", "fee"),
    ("要准备什么材科", "materials"),
    ("几填能办好", "time_limit"),
    ("要跑几埭", "visits"),
    ("可以网报吗", "online"),
    ("表格哪儿交", "location"),
    ("契稅要交幾多", "fee"),
    ("证明在社区开吗", "location"),
    ("啥样的车才给补", "conditions"),
    ("什么样的房子能提取", "conditions"),
    ("换证在车管所办伐", "location"),
    # whether something in the citizen's case stands in the way: whether they may (conditions)
    ("罚单还没交清 会不会影响我年审", "conditions"),
    ("公积金断缴过半年，影响贷款吗", "conditions"),
    ("户口不在本地碍事吗", "conditions"),
])
def test_the_asked_aspect(lexicon, text, aspect):
    assert asked_aspect(text, lexicon)[0] == aspect


@pytest.mark.parametrize("text", ["想问一下是现在交还是明年交", "你是机器人还是真人"])
def test_a_choice_of_times_or_of_anything_else_is_no_place(lexicon, text):
    assert asked_aspect(text, lexicon) is None


@pytest.mark.parametrize("text", ["我家虾苗这几天死了好多", "前几天刚生的小猪", "冬天想去海南住几个月"])
def test_a_time_told_is_no_time_limit_asked(lexicon, text):
    assert asked_aspect(text, lexicon) is None


@pytest.mark.parametrize("text", ["孩子刚生下来，出生证、户口、医保、社保卡这些，能不能一趟办掉",
                                  "退休手续、医保、公积金这几样能不能一块儿办", "好的可以", "这样行吗"])
def test_doing_them_together_or_a_plain_yes_asks_no_conditions(lexicon, text):
    """"能不能一起办" asks what the 一件事 is (its overview); "好的可以" is a yes."""
    assert asked_aspect(text, lexicon) is None


@pytest.mark.parametrize("text", ["社区说要办个居住登记，这个登记是个什么东西", "证明上写的“无违法记录”是啥意思",
                                  "店搬到隔壁街了，执照上的地址要变更", "我们单位改了地址，社保这边咋弄"])
def test_what_a_thing_is_or_an_address_changed_asks_no_aspect(lexicon, text):
    """"是个什么东西" asks what it is (the whole guide), not what to bring; an address that is the
    thing changed is no question of where."""
    found = asked_aspect(text, lexicon)
    assert found is None or found[0] not in ("materials", "location"), found


@pytest.mark.parametrize("text", ["居住证哪能办", "老年卡哪能申请", "医保卡坏掉了哪能补"])
def test_how_in_wu_dialect_asks_how(lexicon, text):
    assert asked_aspect(text, lexicon)[0] == "steps"


@pytest.mark.parametrize("text, aspect", [
    ("户口本不晓得放到哪里去了，补一本要带什么", "materials"),  # where it was lost is told
    ("驾照到期两个月了，现在还能换吗", "conditions"),
    ("营业执照过期几天了还能年报吗", "conditions"),  # a time told after 过期 is no time asked
    ("孩子的户口跟爸爸妈妈哪个都行吗", "conditions"),
    ("不是补卡，是头一回办，银行网点能办吗", "location"),
    ("我在杭州没有房子，想把户口挂到儿子那里，可以吗", "conditions"),  # a situation, then "可以吗"
    ("小区加装电梯是不是要每家每户都同意吗", "conditions"),
])
def test_what_is_told_gives_way_to_what_is_asked(lexicon, text, aspect):
    assert asked_aspect(text, lexicon)[0] == aspect


def test_a_story_asking_how_asks_the_steps_not_the_fine_it_tells(lexicon):
    # The fine is what happens without the licence; the question is how to get it (first asked:
    # the whole guide, then its steps).
    story = "隔壁老板说卖吃的还要办个证，没有的话被查到要罚款的。我们第一次开店啥也不懂，想问下这个证咋办"
    assert asked_aspect(story, lexicon)[0] == "steps"


@pytest.mark.parametrize("text, aspect", [
    ("执照咋办", "steps"),
    ("以后搬店咋改地址", "steps"),
    ("網上怎麼申請", "online"),         # how it is done online asks about doing it online
    ("手机上怎么弄", "online"),
    ("當日攞到嗎", "time_limit"),       # Cantonese: can I get it the same day
    ("使唔使俾錢", "fee"),
    ("补和换证一个价吗", "fee"),
    ("外地户口行吗", "conditions"),
])
def test_how_online_and_everyday_words_of_writers_jj_and_kk(lexicon, text, aspect):
    assert asked_aspect(text, lexicon)[0] == aspect


def test_a_place_not_known_asks_no_place(lexicon):
    assert asked_aspect("我老婆的社保卡不知道掉哪里了", lexicon) is None



@pytest.mark.parametrize("text, aspect", [
    ("免费的话去哪里办", "location"),          # what the clause supposes is told
    ("要是办不了的话得带什么", "materials"),
    ("这个税按多少交", "fee"),
    ("在哪个网站上报", "online"),
    ("你们星期六开门吗", "location"),          # the office's hours
    ("我们这样的情况办得下来吗", "conditions"),
])
def test_everyday_words_of_this_session(lexicon, text, aspect):
    assert asked_aspect(text, lexicon)[0] == aspect


def test_a_shop_closing_is_no_question_of_hours(lexicon):
    found = asked_aspect("店关门了，我这种能领补贴吗", lexicon)
    assert found and found[0] == "conditions"


def test_a_place_is_read_within_one_clause(lexicon):
    # "去" of a clause before (忘了去年审) is no place the next clause asks about
    assert asked_aspect("驾驶证早就过了年审，一直没顾上去弄，现在还能补吗", lexicon)[0] == "conditions"
    assert asked_aspect("我户籍在江西，人在宁波上班，在这边能办不", lexicon)[0] == "conditions"
    assert asked_aspect("在宁波能办吗，还是得回江西", lexicon)[0] == "location"


def test_a_long_message_without_full_stops_asks_in_its_last_asking_clause(lexicon):
    # A trip feared early in the story is told; the question is the last clause that asks.
    text = "我爸中风以后走路不方便 想给他办个残疾证 就怕去一趟又让下回再来 跑几趟他吃不消 所以想先弄清楚 到底得带哪些材料"
    assert asked_aspect(text, lexicon)[0] == "materials"
    # A short message with several questions is read as before (the earliest asked).
    assert asked_aspect("身份证丢了 在哪补办 要带啥", lexicon)[0] == "location"
    # The typist's 才料 is 材料.
    assert asked_aspect("才料要哪些", lexicon)[0] == "materials"


def test_which_comes_first_asks_the_steps_and_taiwans_online_word(lexicon):
    assert asked_aspect("是先交材料再预约还是先预约再交材料", lexicon)[0] == "steps"
    assert asked_aspect("先体检还是先报名", lexicon)[0] == "steps"
    assert asked_aspect("可以在網路上申請嗎", lexicon)[0] == "online"


def test_whom_to_go_to_asks_where(lexicon):
    assert asked_aspect("找谁申请", lexicon)[0] == "location"
    assert asked_aspect("那这个找哪个报", lexicon)[0] == "location"


def test_a_fee_that_describes_a_thing_asks_no_fee(lexicon):
    # 免费的 describes the lawyer; whether the citizen may apply is asked.
    assert asked_aspect("听说政府有免费的律师，我这样的能申请吗", lexicon)[0] == "conditions"
    assert asked_aspect("有没有收费的停车场可以停，在哪", lexicon)[0] == "location"
    # Still asked when it is the question: "是免费的吗", "免费的不".
    assert asked_aspect("这个是免费的吗", lexicon)[0] == "fee"


@pytest.mark.parametrize("text, aspect", [
    ("当天能弄好吗", "time_limit"),
    ("钱啥时候发", "time_limit"),
    ("能一趟办完伐", "visits"),
    ("可以點投訴？", "steps"),          # Cantonese: how do I complain
    ("要咩證據", "materials"),
    ("跟到期换一样价伐", "fee"),
    ("手机里好弄伐", "online"),
    ("屋里老头子生毛病了，钞票不够用，低保阿拉好吃伐", "conditions"),  # Wu: may we get it; the money is told
])
def test_everyday_and_dialect_words_of_writer_kk(lexicon, text, aspect):
    assert asked_aspect(text, lexicon)[0] == aspect


@pytest.mark.parametrize("text, aspect", [
    # A phone-typed story without full stops: its question is one of its last clauses, even when
    # the very last one only worries ("赶不赶得上") or tells; never a fine or a time told before it.
    ("我在台州开了家小面馆 执照已经办好了 听说卖吃的还要一个许可证 不办的话要被罚款 我下个月就要开张 "
     "这个许可证办下来要多长时间 怕赶不上", "time_limit"),
    ("我奶奶今年实岁七十九 虚岁八十了 还差两个月满八十 听村里人说满了八十每个月有高龄补贴 我替她问问 "
     "她这样够不够条件 是按虚岁还是按实岁", "conditions"),
    ("我在嘉兴上班 老家的驾驶证快到期了 体检表已经拿到了 照片也拍好了 想问问在这边换证 一次能办好不 "
     "我请假不方便", "visits"),
    # The citizen's own case frames what is asked; it is the question only beside "may I".
    ("像我们这种情况，去办收养登记要准备哪些东西？", "materials"),
    ("我这种情况能领吗", "conditions"),
    # 不 in "不用跑" tells why; the thing asked is online.
    ("营业执照的地址变更能不能手机上弄，不用跑大厅", "online"),
])
def test_a_long_unpunctuated_story_asks_in_its_last_clauses(lexicon, text, aspect):
    assert asked_aspect(text, lexicon)[0] == aspect


@pytest.mark.parametrize("text, aspect", [
    ("去办的时候要捎点啥", "materials"),        # Northern: 捎 is to bring along
    ("那个证啥子时候下来", "time_limit"),       # Sichuan
    ("好久办得下来哦", "time_limit"),
    ("搞好要几多日", "time_limit"),             # Cantonese
    ("多场时间能办好", "time_limit"),           # 多长, typed by ear
    ("登记还要交啥钱不", "fee"),                # what money, not what to hand in
    ("去之前得备点啥", "materials"),
])
def test_everyday_and_dialect_words_of_writers_qq_to_ss(lexicon, text, aspect):
    assert asked_aspect(text, lexicon)[0] == aspect


@pytest.mark.parametrize("text", ["老人家一定要推过去吗", "得带小孩本人到场不", "我妈本人必须去吗，她腿脚不便", "他要亲自来吗"])
def test_who_must_come_is_asked_not_what_to_bring(lexicon, text):
    """A person to bring or to come ("一定要推过去吗") asks who must come: the conditions, which the
    answer pairs with the trips; the person is no material."""
    assert asked_aspect(text, lexicon)[0] == "conditions"


@pytest.mark.parametrize("text", ["户口本要带过去吗", "复印件我自己带去可以吗"])
def test_a_thing_to_bring_is_still_a_material(lexicon, text):
    assert asked_aspect(text, lexicon)[0] == "materials"


def test_a_story_asks_in_its_last_sentence_that_names_an_aspect(lexicon):
    # The question comes first; the story after it tells of a phone (no online asked) and ends
    # with sentences that ask nothing of the guide.
    text = ("想問一下，殘疾人兩項補貼我媽可以申請嗎？需要什麼條件？我媽七十多了，一個人住在鄉下，不會用手機，"
            "我在寧波上班，週末才回去。不知道這個歸民政還是歸殘聯，所以先問問你們，謝謝。")
    assert asked_aspect(text, lexicon)[0] == "conditions"


def test_not_knowing_which_office_is_told_beside_the_question(lexicon):
    text = "家里开了个小超市想卖烟，烟草证咋弄啊有什么条件，店在村口离学校挺近能批下来伐，我也搞不清这个归哪个部门管"
    assert asked_aspect(text, lexicon)[0] == "conditions"


@pytest.mark.parametrize("text", ["朋友说开饭店那些证现在可以一次办好？", "听说生孩子以后的手续能一次办完，是真的吗"])
def test_done_in_one_go_as_heard_asks_what_it_is_not_the_trips(lexicon, text):
    assert asked_aspect(text, lexicon) is None


def test_trips_asked_outright_are_still_trips(lexicon):
    assert asked_aspect("这个能一次办完吗，要跑几趟", lexicon)[0] == "visits"


@pytest.mark.parametrize("text, aspect", [
    ("居委会开还是派出所开", "location"),        # one office or another
    ("登记要交费吗", "fee"),
    ("一共交哪些钱", "fee"),                    # the money, not the materials 交哪些 asks of
    ("办好当天可以用吗", "time_limit"),          # the same day, not whether one may
    ("这个网商办得了吗", "online"),              # 网上 typed 网商
    ("在电子税务局能不能弄", "online"),
    ("社保费网上咋交", "online"),                # how to pay online, not the fee named
    ("什么人都可以申请吗", "conditions"),
    ("有啥讲究没有", "conditions"),
    ("要我自己去吗，我在外地", "conditions"),    # who must come (paired with the trips)
])
def test_everyday_words_of_writers_zz_and_ab(lexicon, text, aspect):
    assert asked_aspect(text, lexicon)[0] == aspect


@pytest.mark.parametrize("text", ["我妈要不要跟我一块去", "买方卖方都得到场吗", "叫我儿子在宁波帮我办行不行", "我去替他领可以吗",
                                  "可以托我侄子去办吗", "房东要和我一起去派出所吗"])
def test_someone_coming_along_or_going_for_the_citizen_asks_who_may_apply(lexicon, text):
    """Writers AC and AD: a person coming along ("要不要跟我一块去"), both parties ("买方卖方都得到场"),
    someone going for the citizen ("替他领", "托我侄子去办"): who may apply, paired with the trips."""
    assert asked_aspect(text, lexicon)[0] == "conditions"


@pytest.mark.parametrize("text", ["老板叫我先去办个健康证，在哪里办", "请问这个要到哪里去办", "我叫李强，想去办居住证，在哪办"])
def test_being_told_to_go_or_a_name_told_is_no_one_going_for_the_citizen(lexicon, text):
    assert asked_aspect(text, lexicon)[0] == "location"


def test_who_comes_is_read_alike_by_the_extractor_and_the_actions():
    from actions.cues import asks_in_person
    from bot.text.coming import who_comes
    assert who_comes("他老婆要不要跟他一起来") and asks_in_person("他老婆要不要跟他一起来")
    assert asks_in_person("好叫阿拉囡囡代伊去伐")
    assert not asks_in_person("老板叫我先去办个健康证") and not asks_in_person("请问这个要到哪里去办")
    # whether someone going will do, a daughter in Wu words, a father in northern ones (writer BC)
    assert asks_in_person("囡儿去好伐") and asks_in_person("让俺爹去能行不") and asks_in_person("员工能帮老板去办吗")
    assert not asks_in_person("钱什么时候到") and not asks_in_person("几点到")


@pytest.mark.parametrize("text", ["拿手鸡能不能弄", "用手鸡可以申请吗"])
def test_whether_one_may_with_a_homophone_of_the_phone_asks_online(lexicon, text):
    # Writer AD: "用手鸡能不能办" (手鸡 = 手机) asks whether it can be done on the phone.
    assert asked_aspect(text, lexicon)[0] == "online"


@pytest.mark.parametrize("text", ["能在温州本地办吗", "能不能去县里的医院补", "可以回老家那边领不"])
def test_whether_one_may_at_a_place_said_may_first_asks_where(lexicon, text):
    # Writer AD: "能在舟山本地办吗" asks where, as "在杭州能开吗" does.
    assert asked_aspect(text, lexicon)[0] == "location"


@pytest.mark.parametrize("text", ["个人所得税咋算的", "这个税怎么计算，房子一百二十平"])
def test_how_a_tax_is_reckoned_asks_the_fee(lexicon, text):
    # Writer AD: "契税怎么算的" asks how much.
    assert asked_aspect(text, lexicon)[0] == "fee"


def test_a_free_help_that_describes_a_service_asks_no_fee(lexicon):
    # Writers AF, AC: "政府有没有不要钱帮人打官司的", "有没有免费帮忙的" ask whether such a help exists.
    assert asked_aspect("镇上有没有免费给人写状子的", lexicon) is None
    assert asked_aspect("听说有不要钱替老人办手续的，我妈能申请吗", lexicon)[0] == "conditions"
    # Whether the help itself is free is still asked.
    assert asked_aspect("这个是免费帮人查体的吗", lexicon)[0] == "fee"


@pytest.mark.parametrize("text, aspect", [
    ("办这个要拿点啥纸头去", "materials"),   # Wu: 纸头, papers
    ("批下来大概几久", "time_limit"),         # 几久 / 几耐: how long
    ("等几耐先有", "time_limit"),
])
def test_dialect_words_for_papers_and_how_long(lexicon, text, aspect):
    assert asked_aspect(text, lexicon)[0] == aspect


def test_a_thing_told_got_asks_no_time(lexicon):
    assert asked_aspect("个体户的执照早就拿到手了，还要办别的证吗", lexicon) is None
    assert asked_aspect("办下来多久能拿到手", lexicon)[0] == "time_limit"


def test_a_plain_how_gives_way_to_the_aspect_asked_beside_it(lexicon):
    # Writer AJ: "失业金咋领 得准备些啥" asks what to prepare; the plain how makes the first answer
    # the whole guide (actions.reading), the aspect asked follows it.
    assert asked_aspect("社保卡丢了咋补 要带些啥", lexicon)[0] == "materials"
    assert asked_aspect("驾照到期了咋换，去哪里换", lexicon)[0] == "location"
    # ...but not to a bare noun: "证件" is the thing lost, the how is asked.
    assert asked_aspect("证件不见了要咋补", lexicon)[0] == "steps"
    assert asked_aspect("低保咋申请", lexicon)[0] == "steps"


@pytest.mark.parametrize("text, aspect", [
    ("我都六十了，社保现在补交还来得及吗", "conditions"),     # whether one still may
    ("下个月要出国，现在办签注要几天，来得及吗", "time_limit"),   # in time, beside how long: the time
    ("下个月要出国 现在办签注要几天 来不来得及", "time_limit"),
    ("这个检疫要提前几天报", "steps"),                        # how far ahead is how it is done
    ("婚姻登记證要咩文件", "materials"),                       # Cantonese 咩: what
])
def test_in_time_and_ahead_of_time(lexicon, text, aspect):
    assert asked_aspect(text, lexicon)[0] == aspect


def test_a_typed_na_for_where_asks_the_place_but_not_where_it_was_done(lexicon):
    # Writer AI: "在那换" typed for 在哪换.
    assert asked_aspect("在那办", lexicon)[0] == "location"
    assert asked_aspect("我在那办过一次，这次还要带啥", lexicon)[0] == "materials"


def test_whether_one_is_still_let_asks_the_conditions(lexicon):
    # Writer AI: "他七十一了 还让换吗" after 驾驶证换证.
    assert asked_aspect("我妈都七十五了还让办吗", lexicon)[0] == "conditions"
    assert asked_aspect("超过年龄了让不让换", lexicon)[0] == "conditions"


def test_a_bare_typed_na_asks_where_but_there_inside_a_sentence_does_not(lexicon):
    # Writer AL: "在那" alone after an answer is a phone typist's 在哪.
    assert asked_aspect("在那", lexicon)[0] == "location"
    assert asked_aspect("那去那里？", lexicon)[0] == "location"
    assert asked_aspect("我儿子在那边上班", lexicon) is None


@pytest.mark.parametrize("text", ["一日搞得好伐", "两天弄得完吗", "三天搞得完伐"])
def test_whether_it_is_done_within_a_time_asks_the_time(lexicon, text):
    # Writer AL: "一日搞得好伐" (Wu) asks whether it is done in a day.
    assert asked_aspect(text, lexicon)[0] == "time_limit"


def test_a_time_wished_asks_no_time(lexicon):
    assert asked_aspect("我想一天弄好", lexicon) is None


def test_a_story_that_asks_nothing_names_no_aspect(lexicon):
    # Writer AM: "…听说买农机政府会补一部分钞票" tells of the money; it asks nothing.
    assert asked_aspect("我在松阳种了三十年茶叶，家里就我跟老伴两个人，年纪大了采不动，想买台采茶机，听说买机器政府会补贴一点钞票", lexicon) is None
    assert asked_aspect("身份证材料", lexicon)[0] == "materials"  # a few words are a question


def test_a_time_heard_of_is_told_not_asked(lexicon):
    # Writer AL: "听说能领几个月失业的钱 得弄些啥纸头" asks the papers.
    assert asked_aspect("厂里停工了 听说能领几个月的补助 要准备点啥", lexicon)[0] == "materials"
    assert asked_aspect("听说要等几个月吗", lexicon)[0] == "time_limit"


def test_whether_one_gets_it_in_wu_asks_the_conditions(lexicon):
    # Writer AM: "那我到底好不好拿 我是农村户口的".
    assert asked_aspect("我是外地户口 好不好领", lexicon)[0] == "conditions"


@pytest.mark.parametrize("text", ["乡里头能办不", "社区那边好弄吗", "宁波的在绍兴能补伐", "金华能领不",
                                  "卫生院里就能办吗", "医院里好领伐"])  # writer AR: "医院里好弄伐"
def test_a_place_that_opens_the_question_asks_where(lexicon, text):
    # Writers AP and KK: "村里头办得了不", "绍兴登记的杭州能补伐" ask whether it is done there.
    assert asked_aspect(text, lexicon)[0] == "location"


@pytest.mark.parametrize("text, aspect", [
    ("办下来大概要掏多少票子", "fee"),            # writer AO: "大概得掏多少票子"
    ("是不是当场就给", "time_limit"),            # writer AP: "当场给？"
    ("这个在手机上哪里申请", "online"),           # writer AO: "在手机上哪里弄"
    ("我陪老妈去社保局要拿些什么", "materials"),   # writer AO: "我带他去派出所要拿些什么东西"
])
def test_everyday_words_of_the_new_writers(lexicon, text, aspect):
    assert asked_aspect(text, lexicon)[0] == aspect


def test_asking_to_be_told_one_may_asks_the_conditions(lexicon):
    # Writer AR: "我是按揭贷款买的 每个月还银行 这样也好取吧" (好: Wu "can"; 吧: asking to be told yes).
    assert asked_aspect("我是贷款买的房 这样也能提吧", lexicon)[0] == "conditions"
    assert asked_aspect("可以吧", lexicon) is None  # a reply, nothing asked of a matter


@pytest.mark.parametrize("text, aspect", [
    # Writers AU and AV (our own wording): Cantonese 行 is to go on foot, "搞得唔得" whether it can be
    # done, and a bare "哪做" asks where.
    ("總共要行幾次", "visits"),
    ("用手機搞唔搞得", "online"),
    ("体检哪做", "location"),
    ("要準備啲咩", "materials"),
])
def test_cantonese_trips_phone_and_a_bare_where(lexicon, text, aspect):
    assert asked_aspect(text, lexicon)[0] == aspect


def test_a_place_name_is_no_homophone_of_an_aspect(lexicon):
    # Writer AU: "…在桐乡上班…" (tong xiang shang ban) sounded like 线上办 (xian shang ban).
    assert asked_aspect("我们夫妻俩在桐乡上班，孩子九月要上小学了", lexicon) is None
    assert asked_aspect("在桐乡 网商能办吗", lexicon)[0] == "online"  # a homophone beside it still counts


@pytest.mark.parametrize("text, aspect", [
    # The kinds writer AX found missing (tests/data/phrasings/fit_AX.yml), in our own wording: the
    # rule asked for, what comes next, how long in Sichuan words, who pays the post, which floor,
    # other ways online, a trip saved, a limit on who may.
    ("这个是按哪个条例来的", "basis"),
    ("有没有红头文件", "basis"),
    ("交完表下一步干嘛", "steps"),
    ("要好久才弄得好", "time_limit"),
    ("寄回来的邮费谁出", "fee"),
    ("办事大厅在几楼", "location"),
    ("微信上能办不", "online"),
    ("能不能一次性办好", "visits"),
    ("有没有年龄限制", "conditions"),
])
def test_follow_ups_of_the_phrasing_writers_kinds(lexicon, text, aspect):
    assert asked_aspect(text, lexicon)[0] == aspect


@pytest.mark.parametrize("text, aspect", [
    # The kinds writer BC found missing (tests/data/phrasings/fit_BC.yml), in our own wording: papers
    # told handed in are not what is asked; a photo or a copy of a paper; the same day and the day of
    # the month the money comes; how one pays; a service point nearer home; a relative or a daughter
    # going (Wu 囡儿); Hakka 麼个 and 麼人; who made the rule.
    ("资料递交了以后还要干啥", "steps"),
    ("手机拍张照片给你们行不", "materials"),
    ("结婚证影印件收不收", "materials"),
    ("今日交当天能不能拿", "time_limit"),
    ("养老金几号发到卡上", "time_limit"),
    ("可以扫码付吗", "fee"),
    ("我们镇上的服务站能办吗", "location"),
    ("阿拉囡儿去好伐", "conditions"),
    ("叫我阿妈去行不行", "conditions"),
    ("愛準備麼个", "materials"),
    ("麼人做得", "conditions"),
    ("这个规矩是哪个部门定的规矩", "basis"),
])
def test_follow_ups_of_the_second_phrasing_writers_kinds(lexicon, text, aspect):
    assert asked_aspect(text, lexicon)[0] == aspect


def test_a_paper_told_handed_in_is_not_asked_but_one_to_bring_is(lexicon):
    assert asked_aspect("材料都交上去了 之后还要做什么", lexicon)[0] == "steps"
    assert asked_aspect("还要交什么材料", lexicon)[0] == "materials"


@pytest.mark.parametrize("text, aspect", [
    # The kinds writers BE and BF found missing, in our own wording: whether one must go to an office
    # at all (not which office); right away; when it takes effect (Sichuan 好久); a short message whose
    # question is not its last clause.
    ("要去社保中心不", "visits"),
    ("得去派出所不", "visits"),
    ("是去派出所办吗", "location"),
    ("可以立马拿到不", "time_limit"),
    ("备案好久生效", "time_limit"),
    ("在这边买房能用公积金贷不 我交了四年", "conditions"),
])
def test_follow_ups_of_the_mountain_and_city_writers_kinds(lexicon, text, aspect):
    assert asked_aspect(text, lexicon)[0] == aspect


@pytest.mark.parametrize("text, aspect", [
    # The kinds phrasing writer BH found missing (tests/data/phrasings/fit_BH.yml), in our own wording:
    # what comes next, going in at all, an age or income limit, which document, a photo's background,
    # posting, paying more to hurry, opening hours, the official site.
    ("递完材料接下来干啥", "steps"),
    ("一定要到现场吗", "visits"),
    ("要满多少岁才行", "conditions"),
    ("是按啥政策来的", "basis"),
    ("照片要蓝底还是白底", "materials"),
    ("新证什么时候寄到", "time_limit"),
    ("加急要加钱吗", "fee"),
    ("营业时间是几点到几点", "location"),
    ("官网上能申请吗", "online"),
])
def test_follow_ups_of_the_third_phrasing_writers_kinds(lexicon, text, aspect):
    assert asked_aspect(text, lexicon)[0] == aspect


@pytest.mark.parametrize("text, aspect", [
    # Writers BI and BJ, in our own wording: paying by phone (Wu 好…伐), whether one may still join,
    # the latest date to do it.
    ("手机好交伐", "online"),
    ("年纪大了还交得进去伐", "conditions"),
    ("最晚啥时候之前要报", "time_limit"),
])
def test_follow_ups_of_the_wu_and_hotline_writers_kinds(lexicon, text, aspect):
    assert asked_aspect(text, lexicon)[0] == aspect


@pytest.mark.parametrize("text, aspect", [
    # Phrasing writer BK's kinds, in our own wording: whether another paper will stand in, what happens
    # between handing in and the result, a nearer office and its hours, a rule's age; months told as
    # a lapse are no time asked.
    ("存折行吗 没有银行卡", "materials"),
    ("交了以后还要审核吗", "steps"),
    ("就近能办吗 我在镇上", "location"),
    ("中午午休有人吗", "location"),
    ("这是今年的新规定吗", "basis"),
    ("医保断了几个月还能交吗", "conditions"),
    ("交了几天能到账", "time_limit"),
])
def test_follow_ups_of_the_fourth_phrasing_writers_kinds(lexicon, text, aspect):
    assert asked_aspect(text, lexicon)[0] == aspect
