"""Rules of the answering action that need no server: which department two unsure readings name."""

import pytest

from bot.settings import ROOT
from actions.conversation import MatchView
from actions.departments import agreed_department


def _view(*matches):
    return MatchView(abstain=True, matches=[{"matter": m, "department": m.split(".")[0], "score": 0.2} for m in matches])


def _tracker(text, phrase, aspect):
    """A tracker whose latest message asks `aspect` in the words `phrase`."""
    from rasa_sdk import Tracker

    start = text.index(phrase)
    message = {"text": text, "intent": {"name": "ask_aspect"},
               "entities": [{"entity": "aspect", "value": aspect, "start": start, "end": start + len(phrase)}]}
    return Tracker("t", {}, message, [], False, None, {}, "")


def test_two_unsure_readings_that_agree_name_the_department():
    unsure_outside = {"code": None, "outside": True, "score": 0.38,
                      "ranking": [{"code": "scjg", "score": 0.28}, {"code": "yingji", "score": 0.07}]}
    agreed = agreed_department
    assert agreed(unsure_outside, _view("scjg.consumer_complaint", "zwfw.fallback")) == "scjg"
    # The 兜底 matter is no reading of the subject: the next candidate is.
    assert agreed(unsure_outside, _view("zwfw.fallback", "scjg.consumer_complaint")) == "scjg"
    # They disagree, or the router is sure it is none of ours: no department.
    assert agreed(unsure_outside, _view("shengtai.pollution_complaint")) is None
    assert agreed({**unsure_outside, "score": 0.95}, _view("scjg.consumer_complaint")) is None
    assert agreed(unsure_outside, _view()) is None


def test_a_feared_trip_is_no_failed_trip():
    from actions.cues import went_and_failed

    assert not went_and_failed("明天他爸请了假带他去派出所，怕白跑一趟，要带点啥东西去")
    assert not went_and_failed("不想跑好几趟，网上能办吗")
    assert went_and_failed("上礼拜去车管所办过户，窗口说材料不对让我回去补，白跑了一趟")
    assert went_and_failed("为了提公积金我都跑了两趟了，到现在还没办成")
    # Trips counted with the place between, and going home with nothing done.
    assert went_and_failed("给孩子办出生证去了医院两次，两次都说管这个的人不在，到现在都没拿到")
    assert went_and_failed("到了服务中心发现门口台阶那么高，没有无障碍通道，只好回来了")
    assert not went_and_failed("老板拖欠工资我去了厂里三次都不给")  # a grievance against someone else
    assert not went_and_failed("怕去了窗口好几次都办不好")
    # A smell told, then the village told about it several times: a grievance, no failed trip (writer BI).
    assert not went_and_failed("隔壁养殖场臭得晚上不敢开窗 跟村里说了好几趟也没用")
    # Goods sent back are no application sent back.
    assert not went_and_failed("从东阳一家批发部进的货是假冒牌子的，卖出去被顾客退回来，批发部现在不认账")
    # Sent back to come again, or told the thing was not done: went and failed, in any words.
    assert went_and_failed("车管所说照片不合格，叫我重新拍了再来")
    assert went_and_failed("跑到不动产中心，说少个签字，让下次再来")
    assert went_and_failed("上午去了一趟没弄好，说系统有问题")
    # Sent from office to office at the counters is a failed trip; on the phone it is a question of
    # who handles it; having no time to run about is no trip at all.
    assert went_and_failed("去区里办证，几个窗口推来推去的，最后让我自己想办法")
    assert not went_and_failed("打了好几个电话问都是推来推去的。请问这个到底归哪个部门管")
    assert not went_and_failed("我要上班，没空跑来跑去，网上能不能办")
    # Told "not ours" at a counter is a failed trip; asking around about a factory's smoke is its complaint.
    assert went_and_failed("去了区政务中心，窗口说不归他们管")
    assert not went_and_failed("村口厂子天天冒黑烟，问了好几个地方都说不归他们管，到底谁管")
    # Fearing it will not get done is no failed trip.
    assert not went_and_failed("老板让我们去办健康证，我有乙肝，不知道会不会办不下来")
    assert not went_and_failed("万一办不成怎么办，能先问清楚吗")
    # Asking beforehand whether to come back later is no failed trip.
    for asked in ("是不是要我准备齐了再来吗", "单位让我去开个证明，在哪开", "居住证还没办好，能先报名吗"):
        assert not went_and_failed(asked), asked


def test_a_plain_how_is_asked_in_general_and_the_steps_are_not():
    from actions.reading import asks_in_general

    def tracker(text, phrase):
        return _tracker(text, phrase, "steps")

    assert asks_in_general(tracker("身份证过期了要换新的，咋弄", "咋弄"))
    assert asks_in_general(tracker("这个证我该咋申请", "咋申请"))
    assert not asks_in_general(tracker("流程是怎么样的", "流程"))
    assert not asks_in_general(tracker("审批手续是咋走的", "咋走的"))
    assert not asks_in_general(tracker("这个资助具体怎么申请，流程是啥", "怎么申请"))


def test_a_how_split_by_other_words_still_asks_how_in_general():
    from actions.reading import asks_how_in_general

    for how in ("这张卡要怎么给我妈弄下来", "新车的牌子到底怎么上", "补贴是怎么个发法", "我们这样要怎么去办", "结婚证丢了咋补"):
        assert asks_how_in_general(how), how
    for other in ("要带啥", "几点上班", "怎么上班最快", "多久能拿到"):
        assert not asks_how_in_general(other), other


def test_a_rating_with_its_reason_in_a_few_words_carries_the_reason():
    from actions.feedback import gives_reason

    for told in ("给个差评，答非所问", "差評，講得太籠統了", "2分，时间一个都没说"):
        assert gives_reason(told), told
    for bare in ("给个差评", "不满意", "2", "非常不满意！", "1分", "很不满意，太差了"):
        assert not gives_reason(bare), bare


def test_the_asking_clause_of_a_conditions_question():
    from actions.reading import asking_clause

    def tracker(text, phrase):
        return _tracker(text, phrase, "conditions")

    assert asking_clause(tracker("家里现在困难，老伴又突然生了场大病，能申请临时救助吗", "能申请")) == "能申请临时救助吗"
    assert asking_clause(tracker("家里就靠我一个月一千多的养老金，我们这样的够不够格", "够不够格")) == "我们这样的够不够格"


def test_a_person_is_asked_for_in_a_story_only_by_its_question():
    from actions.cues import asks_for_person

    story = ("我父親今年七十三歲，前年中風以後左邊身體就不太能動了。最近社區的工作人員來走訪，說像我父親這種情況"
             "可以去辦一張殘疾人證。我們住在紹興越城區。請問殘疾人證的辦理流程是怎樣的？")
    assert not asks_for_person(story)
    assert asks_for_person("让个真人来") and asks_for_person("打字太累了找个人")
    assert asks_for_person("问了半天你都答非所问，上次排了两个小时的队也没办成，材料一直说不对，我不想跟机器说了，转人工")
    # Finding or arranging a person in other words; a complaint's "派人来查" is no such request.
    assert asks_for_person("说了半天还是不明白 给我找个管事的人聊聊")
    assert asks_for_person("我是聋人，打不了电话，能不能安排一位工作人员在线上跟我沟通")
    assert not asks_for_person("希望能派人来查") and not asks_for_person("找人代办可以吗")
    # An elder's 同志 for a clerk (writer BE); a clerk's words reported ask for no one.
    assert asks_for_person("字太多看不明白 你们那里有没有上班的同志给我讲讲")
    assert not asks_for_person("窗口的同志说还要带户口本")
    # Someone found to go for the citizen is who may go, no one to talk to (writer BH).
    assert not asks_for_person("叫个亲戚帮我去办行不") and not asks_for_person("找个人替我跑一趟可以吗")
    # The office's people, whoever they are (writer BJ).
    assert asks_for_person("看不懂 能不能叫你们那边的人直接跟我联系")
    # A cue word is read within a clause: "送货的活，人事…" holds 活人 only across the comma (writer
    # AV); Cantonese asks for a 职员 to 倾 (writer AU).
    assert not asks_for_person("找了份送货的活，人事叫我去开个证明")
    assert asks_for_person("我想搵個職員同我傾下")
    # Our own wording of the same kinds: a person to talk with, named or bare.
    for words in ("我想当面跟负责的领导谈", "有没有人工啊", "人工人工", "换个人来吧", "能不能让办事人员给我回个电话",
                  "有没有人能给我讲讲"):
        assert asks_for_person(words), words
    # Dialect and the words older citizens use for staff: 寻 (Wu 找), 值班的同志.
    for words in ("阿拉寻人工", "寻个人来讲讲", "叫值班的同志跟我说一下", "请你们值班人员接个电话"):
        assert asks_for_person(words), words
    for words in ("我找派出所的同志开证明", "值班的同志说明天再来"):
        assert not asks_for_person(words), words
    # Put through to a person whatever words stand between, and "is there anyone" in dialect.
    for words in ("你就帮我转个懂行的工作人员吧", "有冇人直接同我讲下", "有没得人当面跟我说", "我要跟人讲，不跟机器讲"):
        assert asks_for_person(words), words
    for words in ("户口要转到工作人员说的那个派出所吗", "社保转接要什么", "有没有人能代办"):
        assert not asks_for_person(words), words
    # Writer AR: "有没有人好打个电话跟我讲讲" (a call, then the talk).
    for words in ("字太多看不懂 有没有人打个电话跟我说说", "有没有工作人员能回个电话给我讲"):
        assert asks_for_person(words), words


def test_a_handoff_read_without_any_person_is_a_guess():
    from actions.cues import speaks_of_person

    # Words that only look like asking for a person: a question, not a handoff.
    for question in ("母猪人工授精找谁指导", "装修的人工费怎么算", "是人工审核还是系统审核", "从业人员健康证在哪办"):
        assert not speaks_of_person(question), question
    for person in ("叫你们领导来", "接线员在吗", "你们客服呢", "我找人"):
        assert speaks_of_person(person), person


def test_an_offer_is_taken_by_a_yes_or_in_words_and_not_by_thanks():
    from actions.cues import accepts_offer

    for yes in ("好的 你们帮我问问吧", "要的", "好 麻烦帮我问一下", "行 帮我咨询下", "好额 帮我问问看", "好的。"):
        assert accepts_offer(yes), yes
    for no in ("好的谢谢", "谢谢", "不用了", "我自己打电话问吧"):
        assert not accepts_offer(no), no


def test_a_rating_in_everyday_words():
    from actions.feedback import rating_level

    def tracker(text):
        from rasa_sdk import Tracker
        return Tracker("t", {}, {"text": text, "intent": {"name": "rate"}, "entities": []}, [], False, None, {}, "")

    assert rating_level(tracker("很差")) == 1
    assert rating_level(tracker("1星 答非所问 我问的是个体户要不要报")) == 1
    assert rating_level(tracker("还行吧")) == 3
    assert rating_level(tracker("差平 等了半个月才批下来")) == 2  # typed by ear


def test_business_done_elsewhere_is_told_apart_from_bringing_it_here():
    from actions.reading import done_elsewhere

    assert done_elsewhere("我的澳门身份证过期了怎么换") == "澳门"
    assert done_elsewhere("公积金是在南京交的，想在南京那边取出来") == "南京"
    assert done_elsewhere("孩子出生证明是厦门的医院开的，丢了怎么补") == "厦门"
    # A Zhejiang place named only as where the citizen is now leaves the matter where it is.
    assert done_elsewhere("武汉的房子办房产证要什么材料，我人在杭州") == "武汉"
    assert done_elsewhere("在湖州买了房，苏州的公积金能不能用") is None
    # What the other place asks the citizen to get done here is ours; going back there is not.
    assert done_elsewhere("女儿在加拿大读书，那边要我们开个无犯罪记录证明") is None
    assert done_elsewhere("南京那边要我回去办") == "南京"
    # Where someone is (人在) is not where it is done (writer BI: "伊爸妈人在国外，我去办好伐").
    assert done_elsewhere("他爸妈人在国外，我去帮他办行吗") is None
    for ours in ("我把南京的公积金转到杭州来要什么手续", "老家安徽的户口想迁过来", "我是河南的，在义乌打工，居住证怎么办",
                 "我妈要回四川住半年，异地就医备案怎么弄", "在江苏交了五年社保，退休了怎么办"):
        assert done_elsewhere(ours) is None, ours


def test_a_document_not_named_offers_the_documents_people_mean():
    from actions.documents import unnamed_document

    lost = unnamed_document("我的证件丢了要怎么补")
    assert lost[:3] == ["gongan.id_card_lost", "gongan.driving_license_lost", "renshe.social_card_lost"]
    assert unnamed_document("证快到期了，换新的咋弄")[:2] == ["gongan.id_card_renew", "gongan.driving_license_renew"]
    # A child's document: the child's papers first (writer AU: "小孩的证丢了"); a wallet's papers
    # told in a clause of their own are as unnamed as "我的证" (writer AV).
    assert unnamed_document("宝宝的本子弄丢了怎么补")[:2] == ["weijian.birth_certificate", "weijian.vaccination_cert"]
    from actions.documents import bare_document
    assert bare_document("包在公交上被人偷了，证件都在里面，要怎么补") and not bare_document("身份证丢了")
    for named_or_not_asked in ("驾照丢了怎么补", "证件照在哪里拍", "我家孩子上学要办什么证明，之前的证件都在老家，能不能先在这边读"):
        assert unnamed_document(named_or_not_asked) is None, named_or_not_asked


def test_whether_a_thing_is_needed_is_asked_of_the_matter_in_hand():
    from actions.reading import needed_thing
    from bot.vocabulary import Aspect

    # Our own wording: a thing needed (materials), or needed first (conditions).
    assert needed_thing("那还要结婚证吗") == ("结婚证", Aspect.MATERIALS)
    assert needed_thing("办这个需不需要开居住证明") == ("居住证明", Aspect.MATERIALS)
    assert needed_thing("是不是得先有营业执照？") == ("营业执照", Aspect.CONDITIONS)
    assert needed_thing("是不是要有老年证才可以") == ("老年证", Aspect.CONDITIONS)  # needed first, said after
    assert needed_thing("我这种情况贷得了不") is None  # 得 of a verb's result, not "must"
    # The paper named first, then whether to bring it; 拿 alone is to get it, not to bring it.
    assert needed_thing("房产证是不是也得带上") == ("房产证", Aspect.MATERIALS)
    assert needed_thing("老户口本要不要带过去") == ("老户口本", Aspect.MATERIALS)
    assert needed_thing("新证件能当天拿吗") is None
    # The paper named, then the form it must take (writer AU: "出生证明要拿原件去还是复印件就行").
    assert needed_thing("户口本要带原件还是复印件就可以") == ("户口本", Aspect.MATERIALS)
    assert needed_thing("结婚证复印件行不行") == ("结婚证", Aspect.MATERIALS)
    assert needed_thing("我要去公证") is None
    # A thing named "and such" is still the thing (writer BF: "租房的也要房产证啥的吗").
    assert needed_thing("我们是租房的 也要结婚证之类的吗") == ("结婚证", Aspect.MATERIALS)
    assert needed_thing("要户口本什么的不") == ("户口本", Aspect.MATERIALS)
    # Clauses as written: "…，燃气呢" asks what about 燃气, no thing needed for the matter in hand.
    from actions.reading import asks_what_about
    assert needed_thing("自来水也要换户名，燃气呢") is None and asks_what_about("自来水也要换户名，燃气呢")
    # Asking how much, where, how long, or whether to come in person is no thing needed.
    for other in ("要交多少钱吗", "要钞票伐", "要本人去吗", "要不要本人到场", "还要带什么", "要排队吗", "网上能办吗", "我要办低保"):
        assert needed_thing(other) is None, other
    # Whether to do that other matter itself ("要办个体户执照吗") is a question about it.
    assert needed_thing("我想开个小网店，要办个体户执照吗") is None


def test_a_matter_named_only_to_say_it_is_not_needed_is_not_asked_about():
    from actions.naming import bigrams
    from actions.told import only_denied

    transfer = bigrams("医保关系转移接续")
    # "不用…吧", "不需要…": the other matter's words in a clause that denies them.
    assert only_denied("我的医保关系不用转移过去吧？备案就够了对吗", transfer)
    assert only_denied("我不需要转移医保关系，只是去住一阵", transfer)
    # …and "不想把…转过去": a move not wanted (writer AZ's kind, our wording).
    assert only_denied("医保关系我不想把它转过去，就办个备案", transfer)
    # Asking whether it is needed, or asking for it, names it.
    for text in ("医保关系要不要转移", "医保关系是不是要转移", "医保关系用不用转", "医保关系转移怎么办",
                 "我没有转医保关系，现在要转"):
        assert not only_denied(text, transfer), text


def test_a_matter_named_only_to_say_it_is_done_is_not_asked_about():
    from actions.naming import bigrams
    from actions.told import only_denied

    marriage = bigrams("结婚登记")
    assert only_denied("结婚证已经领到了，户口本要带吗", marriage)
    assert only_denied("结婚证早就办好了，现在问生育登记", marriage)
    # Asking whether it is done, or saying it is not yet, names it.
    for text in ("结婚证领到了吗", "结婚证还没领，户口本要带吗", "结婚证办好了没有"):
        assert not only_denied(text, marriage), text


def test_the_asking_clause_of_a_story():
    from bot.text.sentences import asking_clause_of

    assert asking_clause_of("邻居说他家以前欠过物业费，已经交清了，这样买他家房子过户要紧吗") == "这样买他家房子过户要紧吗"
    assert asking_clause_of("过户要紧吗") is None
    assert asking_clause_of("房子卖掉了，钱也收了") is None


def test_the_router_overrules_a_guessed_matter_at_a_lower_bar():
    from actions.overrules import router_overrules

    outside = {"code": None, "outside": True, "score": 0.8, "agrees_with_matter": False}
    assert not router_overrules(outside)            # a sure or unknown match: the 0.9 bar
    assert not router_overrules(outside, 0.95)
    assert router_overrules(outside, 0.6)           # the matcher only guesses: 0.75
    assert not router_overrules({**outside, "score": 0.7}, 0.6)
    assert not router_overrules({**outside, "agrees_with_matter": None}, 0.6)
    other = {"code": "scjg", "outside": False, "score": 0.9, "agrees_with_matter": False}
    assert not router_overrules(other)              # another department: 0.95 against a real match
    assert not router_overrules(other, 0.8)
    assert router_overrules(other, 0.6)             # 0.7 against a guess
    assert not router_overrules({**other, "score": 0.65}, 0.6)
    # A complaint matched goes by subject: the router's other department from 0.9.
    assert router_overrules({**other, "score": 0.92}, 0.75, complaint=True)
    assert not router_overrules({**other, "score": 0.92}, 0.75)
    assert not router_overrules({**other, "score": 0.85}, 0.75, complaint=True)


def test_a_plain_agreement_is_told_from_a_question():
    from actions.cues import agrees

    for yes in ("同意", "好的，同意", "同意的", "我同意", "好个，同意", "可以", "要的"):
        assert agrees(yes), yes
    for other in ("同意转给专家吗？要等多久", "不同意", "好的谢谢", "同意书要带吗"):
        assert not agrees(other), other


def test_calling_off_a_person_and_asking_after_ones_own_ticket():
    from actions.tickets import asks_ticket_status
    from bot.text.calling_off import calls_off, rest_after_calling_off

    assert calls_off("哦不用了，我自己先问问，优待证怎么申请") and calls_off("算了不转人工了")
    assert rest_after_calling_off("哦不用了，我自己先问问，优待证怎么申请") == "我自己先问问优待证怎么申请"
    assert not calls_off("原件不用了吗") and not calls_off("你好，有人吗")
    assert asks_ticket_status("我刚才投诉物业那个现在什么情况")
    assert not asks_ticket_status("我刚才投诉物业的时候忘了说地址")


def test_a_score_in_stars_is_a_rating():
    from actions.feedback import score_in

    assert score_in("回答很慢又看不懂，我只給一顆星。") == 1
    assert score_in("五星好评") == 5 and score_in("给两分") == 2
    assert score_in("五星级酒店乱收费") is None


def test_a_name_on_an_account_is_no_question_about_the_bot():
    from actions.cues import says

    assert not says("店面是盘过来的 水表还是原来老板的名字", "bot_words")
    assert says("叫什么名字呀", "bot_words")


def test_what_about_x_in_the_first_or_last_clause():
    from actions.reading import what_about

    assert what_about("燃气呢 也是这样办吗") == "燃气"
    assert what_about("那营业执照呢") == "营业执照"
    assert what_about("还要带些什么，户口本呢") == "户口本"
    assert what_about("那个呢") is None and what_about("那这个呢") is None
    assert what_about("燃气也要过户吗") is None


def test_a_person_asked_for_in_everyday_words():
    from actions.cues import asks_for_person

    assert asks_for_person("我家的事一两句说不清，有没有坐班的工作人原能跟我聊聊")
    assert asks_for_person("字太小看不清，帮我寻个管这块的人来讲讲")
    assert asks_for_person("我要跟你们管事的同志直接通话")
    assert not asks_for_person("有没有人能帮我看看这个证怎么办")


def test_a_citizen_from_elsewhere_asks_of_us():
    from actions.reading import done_elsewhere

    assert done_elsewhere("我係香港身份證，喺嘉興開士多可唔可以申請") is None
    assert done_elsewhere("我是台湾居民，在宁波能办吗") is None
    assert done_elsewhere("香港的身份证到期了") == "香港"  # the HK card itself is Hong Kong's business


def test_one_round_trip_told_as_a_cost_is_no_failed_trip_and_more_words_ask_for_a_person():
    from actions.cues import asks_for_person, went_and_failed

    assert not went_and_failed("回老家来回跑一趟要一整天，能不能在这边办")
    assert went_and_failed("来回跑了三趟还是说材料不全")
    assert went_and_failed("来回跑一次还是不给办")
    assert asks_for_person("你们那边有没有值班的人，我想跟人当面说清楚")
    assert not asks_for_person("值班的同志说让我下礼拜再来")


def test_cantonese_failed_trips_and_suing_words():
    from actions.cues import says, went_and_failed

    assert went_and_failed("去稅務局開證明去咗兩次，次次都話系統有問題，搞唔掂")
    assert says("导游硬拉我们去买玉，我要告他们", "complaint_request")
    assert not says("我们在酒店投宿了一晚", "complaint_request")


def test_a_fear_reaches_over_its_clause_and_a_private_partys_runaround_is_no_failed_trip():
    from actions.cues import went_and_failed

    # The fear governs the rest of its clause, not only the word before the cue.
    assert not went_and_failed("我腰不好走不动 就担心到了那边又说缺个证明白跑一回 先问问要带什么")
    assert not went_and_failed("我最怕排了半天队人家说材料不全又让我下次再来，所以先问清楚")
    # ...until the clause tells what happened after it.
    assert went_and_failed("本来担心白跑，结果去了两次还是没办成")
    assert went_and_failed("我怕麻烦但是去了三趟还是不给办")
    # Sent around by the property company or a shop: their complaint, not a failed trip.
    assert not went_and_failed("水管爆了找物业，物业叫我找开发商，开发商又说找物业，两边推来推去")
    assert not went_and_failed("买的冰箱坏了，商家让我找厂家，厂家又踢皮球")
    # Sent around by offices at the counters still is one.
    assert went_and_failed("去了社保中心说要去医保局，医保局又说归社保，推来推去")


def test_asking_how_to_reach_an_office_in_a_few_words():
    from actions.cues import asks_how_to_reach

    for asked in ("有没有电话可以打", "那我找谁", "他们电话多少", "联系方式有吗"):
        assert asks_how_to_reach(asked), asked
    for told in ("电话13867900012", "我的电话你们有", "我不留电话", "不方便留电话，有结果你们怎么通知我", "水管爆了找物业，物业说找开发商，我打了好多电话都没用"):
        assert not asks_how_to_reach(told), told


def test_trips_someone_else_made_or_that_worked_in_the_end_are_no_failed_trip():
    from actions.cues import went_and_failed

    # Hearsay of another's trips, with no "I" between: theirs, not the citizen's.
    assert not went_and_failed("我同事说他去年开这个证明跑了三趟，我想问问现在网上能不能开")
    assert not went_and_failed("听说要跑好几趟，有没有简单点的办法")
    assert went_and_failed("邻居说去街道就能办，我去了两次还是没办成")
    # Trips that got it done in the end, and how often one can come home.
    assert not went_and_failed("去年给老大转学跑了好几趟才办好，今年老二也要转，要带什么")
    assert not went_and_failed("我在外地打工，一年只能回来两趟，户口的事能不能网上办")


@pytest.mark.parametrize("text, thing", [
    ("那要是掉了咋办", "掉了"), ("那水呢", "水"), ("万一驾照丢了呢", "驾照丢了"), ("那如果是买了房的话呢", "是买了房"),
    ("要带什么", None), ("丢了咋办", None), ("那个材料要带原件吗", None),
    ("那要是买房的时候取，要带啥", "买房的时候取"), ("那以后买房的时候还能取吗", "买房"), ("当初办抵押的时候给的单子要带吗", None),
])
def test_what_if_reads_the_situation_asked_about(text, thing):
    from actions.follow_ups import what_if
    assert what_if(text) == thing


def _story_turn(scores, route="gongan"):
    """A long story's turn: the matcher unsure among `scores`, the router sure of `route`."""
    from rasa_sdk import Tracker
    from actions.turn import Turn

    story = "我前天在菜市场被人偷了包，身份证驾照都在里面，" * 4 + "现在急着开车送货，驾照要怎么补？"
    message = {"text": story, "intent": {"name": "ask_matter"}, "entities": [],
               "matter_match": {"abstain": False, "clarify": True, "matches": [
                   {"matter": m, "department": m.split(".")[0], "score": s} for m, s in scores]},
               "department_route": {"code": route, "score": 0.99, "outside": False}}
    return Turn.read(Tracker("t", {}, message, [], False, None, {}, ""))


def test_a_long_storys_likeliest_reading_a_fifth_ahead_is_answered():
    from actions.unsettled import _story_lead

    ahead = _story_turn([("gongan.driving_license_lost", 0.41), ("gongan.id_card_lost", 0.33)])
    assert _story_lead(ahead, ahead.ranked) == "gongan.driving_license_lost"
    # Neck and neck: which one is asked.
    close = _story_turn([("gongan.driving_license_lost", 0.36), ("gongan.id_card_lost", 0.33)])
    assert _story_lead(close, close.ranked) is None


def test_a_body_none_of_ours_named_lowers_the_bar_of_the_routers_none_of_ours():
    from actions.cues import says
    from actions.overrules import router_overrules

    # "法院立案要带啥" matched to 人民调解 at 0.95; the router reads none of ours at 0.86.
    route = {"code": None, "outside": True, "score": 0.86, "agrees_with_matter": False}
    assert says("我想去法院告他，法院立案要带啥", "outside_bodies")
    assert not router_overrules(route, 0.95)
    assert router_overrules(route, 0.95, names_outside=True)
    # A guess of "none of ours" stays a guess, whatever body is named ("法院判决离婚后孩子户口怎么迁": 0.43).
    assert not router_overrules({**route, "score": 0.43}, 0.95, names_outside=True)
    # A department that agrees with the matter is never overruled.
    assert not router_overrules({**route, "agrees_with_matter": True}, 0.95, names_outside=True)


def test_a_complaints_subject_is_the_routers_when_it_is_sure_of_another_department():
    from actions.overrules import router_overrules, router_sure_of_other

    kitchen = {"code": "scjg", "score": 0.75, "outside": False, "agrees_with_matter": False,
               "ranking": [{"code": "scjg", "score": 0.75}, {"code": "shengtai", "score": 0.014}]}
    # A complaint matched surely (0.71) to 生态环境's: the router, sure of 市场监管 and far ahead, decides.
    assert router_sure_of_other(kitchen, "shengtai")
    assert router_overrules(kitchen, 0.71, complaint=True, matched_department="shengtai", router_takes_complaints=True)
    # Not for a service matter, nor when the router also reads the matched department well.
    assert not router_overrules(kitchen, 0.71, complaint=False, matched_department="shengtai", router_takes_complaints=True)
    close = dict(kitchen, ranking=[{"code": "scjg", "score": 0.75}, {"code": "shengtai", "score": 0.2}])
    assert not router_overrules(close, 0.71, complaint=True, matched_department="shengtai", router_takes_complaints=True)
    # Nor when the router is itself unsure.
    unsure = dict(kitchen, score=0.5, ranking=[{"code": "scjg", "score": 0.5}])
    assert not router_overrules(unsure, 0.71, complaint=True, matched_department="shengtai", router_takes_complaints=True)
    # The router's department must take complaints itself: the ducks' 农业农村 does not, the
    # factory's waste water stays 生态环境's complaint.
    assert not router_overrules(kitchen, 0.71, complaint=True, matched_department="shengtai",
                                router_takes_complaints=False)
    assert not router_sure_of_other(kitchen, None)


def test_trips_told_of_another_time_or_person_are_no_failed_trip():
    from actions.cues import went_and_failed

    # Someone else's trips, or trips long ago, told to explain today's question.
    assert not went_and_failed("我表哥去年办个体户的时候来回跑了三趟，现在是不是网上就能弄了")
    assert not went_and_failed("记得大女儿那会儿上户口，跑了好几次，这次想问问二宝要带什么")
    # The citizen's own trips, now, stay a failed trip, with a past word elsewhere or not.
    assert went_and_failed("之前材料没带齐，这礼拜又去了，跑了两趟还是不给办")
    assert went_and_failed("我同事帮我问过了，可我自己跑了好几趟都没办成")


def test_a_loss_denied_tells_no_loss():
    from actions.documents import acted_on

    assert "gongan.driving_license_lost" in acted_on("驾照找不到了")
    assert "gongan.driving_license_lost" not in acted_on("驾照本子旧得不行了，不过没丢，到期换一个")
    assert "gongan.driving_license_lost" not in acted_on("证件并没有弄丢，就是快到期了")


def test_a_thing_had_first_is_not_what_is_asked():
    from actions.naming import bigrams
    from actions.told import only_told_had, undenied_clauses

    text = "等领到结婚证以后，户口迁过来要带什么"
    assert only_told_had(text, bigrams("结婚证"))
    assert undenied_clauses("那等拿到房产证之后办居住证去哪") == ["那办居住证去哪"]
    assert not only_told_had("结婚证要带什么", bigrams("结婚证"))


def test_a_thing_just_had_and_which_one_it_is_are_told_had():
    from actions.naming import bigrams
    from actions.told import only_told_had

    text = "残疾证上个月刚办好，肢体二级的。听说还能申请轮椅补贴，要带什么"
    assert only_told_had(text, bigrams("残疾人证 残疾证 肢体"))
    assert not only_told_had("残疾证刚开始申请，肢体二级的，要带什么", bigrams("残疾人证 残疾证 肢体"))


def test_status_words_are_no_aspect_question():
    from actions.tickets import status_words_only

    text = "我反映的那个事处理到哪一步了"
    at = text.index("哪一步")
    assert status_words_only(text, (at, at + 3))       # 哪一步 is how far it has got
    assert status_words_only("有进展了吗", None)
    text = "投诉一般要几天"
    assert not status_words_only(text, (text.index("几天"), len(text)))  # how long it takes: an aspect


def test_an_act_said_only_to_deny_it_names_none_of_its_matters():
    from actions.documents import denied_acts

    assert "gongan.id_card_lost" in denied_acts("身份证旧得发黄了，倒是没丢，照样换新的吧")
    assert "gongan.id_card_lost" not in denied_acts("身份证丢了，要换新的")
    assert denied_acts("身份证要换新的") == set()


def test_a_paper_held_is_told_had_but_not_one_there_is_or_one_needed():
    # Writer AC: "在萧山有居住证" beside the question of a car's 过户 tells a paper the citizen holds.
    from actions.told import denied_clauses, without_denied
    assert denied_clauses("我是外省的，在余杭有居住证，这个能办吗") == ["在余杭有居住证"]
    for text in ("听说现在有个老年优待证", "我没有残疾证", "要有营业执照吗", "只有户口本", "我有身份证吗"):
        assert denied_clauses(text) == [], text
    assert without_denied("我在杭州有房产证，想问一下公积金能取吗？") == "想问一下公积金能取吗？"


def test_asking_whether_it_takes_several_trips_is_no_failed_trip():
    # Writer AC: "是不是跟新装电表一样要跑好几趟" asks the trips before going.
    from actions.cues import went_and_failed
    for text in ("是不是跟办营业执照一样要跑好几趟", "会不会要来回跑好几回", "得跑两趟吗"):
        assert not went_and_failed(text), text
    assert went_and_failed("为这个证我已经跑了三趟都没办成")


def test_many_days_or_people_told_are_no_question():
    # Writer AI: "垃圾堆在楼下好几天没人收" tells; a grievance that asks nothing is filed when told.
    from bot.text.sentences import asks
    for text in ("楼道里的垃圾放了好几天没人管", "厂里十几个人都没拿到工资", "前几天下大雨仓库进水了"):
        assert not asks(text), text
    assert asks("补办要等几天")
    assert asks("要咩证件")  # Cantonese: what


def test_time_spent_working_is_no_trip():
    # Writer AJ: a rider "在站点跑了三个多月" tells how long he worked, not trips to a counter.
    from actions.cues import went_and_failed
    assert not went_and_failed("我在这家快递公司跑了两年多，老板一直压着工资不发")
    assert not went_and_failed("开滴滴跑了好几个月，平台扣的钱不退")
    assert went_and_failed("为了这个证我跑了好几趟都没办下来")


def test_a_person_asked_for_in_cantonese():
    from actions.cues import asks_for_person
    assert asks_for_person("有冇人可以同我倾下")
    assert asks_for_person("有没有人可以直接跟我谈")


def test_a_thing_set_aside_as_had_is_not_what_is_asked():
    # Writer AI: "除了那本退伍证还要准备啥" asks what else, not the 退伍证's own matter.
    from actions.naming import bigrams
    from actions.told import only_denied, undenied_clauses
    assert undenied_clauses("除了户口本以外还要带什么") == ["还要带什么"]
    assert only_denied("除了户口本以外还要带什么", bigrams("户口本"))
    assert not only_denied("户口本要带吗", bigrams("户口本"))


def test_a_document_spoken_of_by_a_generic_word_alone():
    # Writer AI: "我爸的证过期了要换个新的" names no document, whatever the matcher leans to.
    from actions.documents import bare_document
    assert bare_document("我妈的证到期了要换新的")
    assert bare_document("证件弄丢了怎么补")
    assert not bare_document("我的身份证过期了")          # named
    assert not bare_document("卫生许可证快到期了")        # a 证 of its own name
    assert not bare_document("工资卡丢了")


def test_a_person_asked_for_by_an_elder_or_in_cantonese():
    # Writer AM: "有没有人好直接讲给我听的" (Wu 好: can), "可唔可以有個職員直接同我講".
    from actions.cues import asks_for_person
    assert asks_for_person("字太小我看不清 你们那里有没有人好讲给我听")
    assert asks_for_person("可唔可以有個職員同我講吓")
    assert not asks_for_person("可以有个人来看看吗")  # someone sent to look: a complaint's request


def test_a_greeting_does_not_make_a_document_question_a_story():
    # Writer AM: "請問一下，我爸爸的證件過期了，要換新的，要怎麼弄？" names no document.
    from actions.documents import unnamed_document
    options = unnamed_document("您好，请问一下，我外婆的证件到期了，要换个新的，该怎么弄？")
    assert options and "gongan.id_card_renew" in options


def test_spaced_parts_that_ask():
    # Writer AL: a story typed with spaces for full stops.
    from bot.text.sentences import spaced_questions
    text = "我在鄞州跑外卖三年了 以前也没想着办啥 站长说办了那个好 就是不知道这个证咋办 我下午有空"
    assert spaced_questions(text) == ["以前也没想着办啥", "就是不知道这个证咋办"]
    assert spaced_questions("我在鄞州跑外卖。就是不知道这个证咋办 我下午有空") == []  # full stops: sentences


def _placed_nowhere(route, top=0.2):
    """A question the matcher places nowhere (every reading weak) and the router reads as `route`."""
    from rasa_sdk import Tracker
    from actions.turn import Turn

    message = {"text": "屋里老墙都开裂了 村里讲是危房 改造有钞票补吗 找哪个部门", "intent": {"name": "ask_matter"},
               "entities": [],
               "matter_match": {"abstain": True, "clarify": False, "matches": [
                   {"matter": "bdc.homestead", "department": "bdc", "score": top},
                   {"matter": "renshe.pension_enroll", "department": "renshe", "score": top / 2}]},
               "department_route": route}
    return Turn.read(Tracker("t", {}, message, [], False, None, {}, ""))


def test_a_department_well_ahead_when_none_of_ours_only_narrowly_won_is_answered():
    # Writer AR: "有危房改造的钞票好补 找哪个部门" — every matter of ours weak, the router's "none of
    # ours" at 0.46 beside 住建 at 0.46: 住建's answer, not a choice among strangers.
    from actions.unsettled import _leaning_department

    narrow = {"code": None, "outside": True, "score": 0.46, "ranking": [{"code": "zhujian", "score": 0.46},
                                                                      {"code": "bdc", "score": 0.02}]}
    assert _leaning_department(_placed_nowhere(narrow), 0.2) == "zhujian"
    # Sure it is none of ours, or no department ranked well, or a matter of ours in reach: not so.
    assert _leaning_department(_placed_nowhere({**narrow, "score": 0.8}), 0.2) is None
    assert _leaning_department(_placed_nowhere({**narrow, "ranking": [{"code": "zhujian", "score": 0.2}]}), 0.2) is None
    assert _leaning_department(_placed_nowhere(narrow, top=0.35), 0.35) is None


def test_the_routers_none_of_ours_does_not_overrule_a_sibling_in_the_conversation():
    # Writers Q and AR: "以后去上海住那个备案呢" after 零星报销 — 异地就医备案, matched; the router,
    # reading the message alone, gives 上海 as none of ours (0.97).
    from rasa_sdk import Tracker
    from actions.matched import match_overruled
    from actions.turn import Turn

    message = {"text": "他下个月还要去上海复查 这回想先把备案办好再去", "intent": {"name": "ask_matter"}, "entities": [],
               "matter_match": {"abstain": False, "clarify": False, "matches": [
                   {"matter": "yibao.remote_medical_filing", "department": "yibao", "score": 0.47}]},
               "department_route": {"code": None, "outside": True, "score": 0.97, "agrees_with_matter": False}}
    turn = Turn.read(Tracker("t", {"current_matter": "yibao.reimbursement"}, message, [], False, None, {}, ""))
    assert match_overruled(turn, "yibao.remote_medical_filing", None)
    assert not match_overruled(turn, "yibao.remote_medical_filing", None, beside_current=True)


def test_a_long_storys_lead_in_the_department_the_router_leans_to_needs_less():
    # Writer WW: "…村里开会那个会计讲岁数大的老人国家每个月会发点钱…" — 高龄津贴 at 0.26, the router
    # 民政's at 0.83: the lead within 民政 answers, where a score of 0.3 would be asked alone.
    from actions.unsettled import _story_lead

    leaning = _story_turn([("minzheng.elderly_allowance", 0.26), ("yibao.resident_enroll", 0.15)], route="minzheng")
    assert _story_lead(leaning, leaning.ranked) == "minzheng.elderly_allowance"
    # Below the floor even there, or the router's department not the lead's: asked.
    faint = _story_turn([("minzheng.elderly_allowance", 0.15), ("yibao.resident_enroll", 0.1)], route="minzheng")
    assert _story_lead(faint, faint.ranked) is None
    elsewhere = _story_turn([("minzheng.elderly_allowance", 0.26), ("yibao.resident_enroll", 0.15)], route="yibao")
    assert _story_lead(elsewhere, elsewhere.ranked) is None


def test_a_question_of_the_guide_or_a_move_refused_takes_no_offer_to_pass_it_on():
    # Writer AZ: "我不想把医保转过去的 就在这边登记一下 要啥材料" after an unsure answer's "说“帮我问问”…"
    # was read as 转过去 (pass it on) and filed a consultation ticket. Our wording.
    from actions.reading import takes_offer

    offer = {"offer": "after_answer", "department": {"code": "yibao", "name": "省医疗保障局"}}
    assert not takes_offer(offer, "医保我不想转过去 在这边备案就行 要带什么", asks_aspect=True)
    assert not takes_offer(offer, "不想转过去")
    assert takes_offer(offer, "那你帮我转过去问问吧")
    assert takes_offer(offer, "那你帮我问问他们", asks_aspect=True)  # whatever aspect its words brush against
