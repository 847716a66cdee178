"""How a citizen's message is read in its conversation: the clause that asks, whether it only asks
an aspect, what the bot's previous turn offered. The words that may name a matter are
actions.naming's; clauses that deny a thing or tell it is had, actions.told's; a long story's
clauses read alone, actions.story_clauses'; whether the department router's disagreement decides,
actions.overrules'."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Sequence, Tuple

from rasa_sdk import Tracker

from actions.api import rasa as rasa_api
from actions.api.hall import hall
from actions.conversation import (
    aspect_span, aspect_words, aspect_words_before, bot_events_before, last_bot_response, match_of, previous_bot_events, text_of, user_text_back, user_texts,
)
from actions.cues import accepts_offer, agrees, asks_for_person, asks_in_person, said_words, says
from actions.naming import bigrams, name_bigrams
from actions.overrules import UNSURE_MATCH
from actions.told import COMPARED
from bot.catalogue.lexicons import cue_pattern
from bot.text.normalize import normalize
from bot.text.phones import contact_number
from bot.text.regions import elsewhere_words, find_elsewhere, find_region, looks_like_place, names_zhejiang
from bot.text.sentences import asks, clauses, only_asks
from bot.vocabulary import FALLBACK_MATTER, Aspect, MatterKind


def asked_which(tracker: Tracker) -> bool:
    """The bot's last message asked which of its options the citizen meant."""
    return last_bot_response(tracker) in ("utter_clarify", "utter_clarify_after_correction")


def department_offered(tracker: Tracker) -> Optional[Dict[str, Any]]:
    """The payload of the department answer (or of the way out after an unsure answer) the bot
    gave to the previous message, if it gave one."""
    for event in previous_bot_events(tracker):
        if (event.get("metadata") or {}).get("utter_action") in (
                "utter_department_route", "utter_offer_department", "utter_offer_callback"):
            custom = (event.get("data") or {}).get("custom") or {}
            return custom if (custom.get("department") or {}).get("code") else None
    return None


def offer_said_yes_to(tracker: Tracker) -> Optional[Dict[str, Any]]:
    """The way out after an unsure answer ("说“帮我问问”，我把您的问题转给…") when the citizen's
    previous message was a plain yes to it ("好的"), read then as about the guide: a phone given
    now, with little else, says the yes was for the offer."""
    if not agrees(user_text_back(tracker, 1)):
        return None
    for event in bot_events_before(tracker, 2):
        custom = (event.get("data") or {}).get("custom") or {}
        if custom.get("offer") == "after_answer" and (custom.get("department") or {}).get("code"):
            return custom
    return None


def asked_if_all(tracker: Tracker, current: str) -> Optional[str]:
    """The part of the guide the bot just answered for the matter in hand, when the citizen asks
    whether that was all of it ("就这些?", "只要这几样吗"); None otherwise."""
    text = text_of(tracker)
    if not (says(text, "is_that_all") and asks(text)) or len(normalize(text)) > 12:
        return None
    for event in previous_bot_events(tracker):
        custom = (event.get("data") or {}).get("custom") or {}
        if custom.get("matter") == current and custom.get("aspect") not in (None, Aspect.OVERVIEW.value):
            return str(custom["aspect"])
    return None


# Not wanting a thing moved: "我不想把医保转过去的" refuses a transfer, it takes no offer to pass a question on.
_REFUSES_MOVING = re.compile(r"(?:不想|不要|不用|别|不打算|不愿意?)[\u4e00-\u9fff]{0,6}?转")


def takes_offer(offer: Dict[str, Any], text: str, asks_aspect: bool = False) -> bool:
    """After a department answer a yes, a phone or "不留电话" take its offer; after an unsure
    matter answer only words that ask for it do ("帮我问问"), or a phone given with little else
    ("电话138…，你们帮我登记一下"): a plain "好的" there is about the guide, and so is a question of
    one of its aspects (`asks_aspect`: "我不想把医保转过去的 就在这边登记一下 要啥材料"). Asking for a
    person ("不想跟机器讲了，可以帮我转真人吗") takes none: that is a handoff."""
    if asks_for_person(text):
        return False
    if offer.get("offer") == "after_answer":
        folded = normalize(text).replace(" ", "")
        if _REFUSES_MOVING.search(folded):
            return False
        taken = said_words(text, "accept_offer")
        if asks_aspect and all("转" in w for w in taken):
            return False  # 转 beside an aspect asked is a thing moved, not the question passed on
        return bool(taken) or bool(contact_number(text) and only_particulars(text))
    # "你们会派人去查吗" after "我可以把您的问题转给该部门": asking them to act takes it too.
    return (bool(contact_number(text)) or says(text, "no_phone") or accepts_offer(text)
            or says(text, "complaint_request"))


def unsure_of(tracker: Tracker, code: str) -> bool:
    """Whether the message's match put `code` first with a score below UNSURE_MATCH."""
    matches = match_of(tracker).matches
    return bool(matches) and matches[0]["matter"] == code and float(matches[0].get("score") or 0.0) < UNSURE_MATCH


def asking_clause(tracker: Tracker) -> str:
    """The clause (between punctuation) that holds the message's aspect words; the whole message
    when it has none."""
    text = text_of(tracker)
    span = aspect_span(tracker)
    if not span:
        return text
    cuts = [m.end() for m in re.finditer(r"[，,。！!？?；;\s]", text[:span[0]])]
    start = cuts[-1] if cuts else 0
    end = re.search(r"[，,。！!？?；;\s]", text[span[1]:])
    return text[start:span[1] + end.start()] if end else text[start:]


def asks_in_general(tracker: Tracker) -> bool:
    """Whether the message's aspect words are a plain "how do I get it done" ("咋弄", "怎么申请"), or,
    when it asks no aspect of its own, the words of the message before it, whose aspect it carries
    ("证件掉了要咋补啊", then "身份证" for "which one?")."""
    words, whole = (aspect_words(tracker), text_of(tracker)) if aspect_span(tracker) else aspect_words_before(tracker)
    return bool(words) and says(words, "general_how") and not says(whole, "steps_words")


# A "how" split by the words between ("这个证要怎么给他弄下来", "这个排到底怎么上", "是怎么个领法"):
# as plain a "how do I get it done" as cues.yml general_how's.
_HOW_SPLIT = re.compile(r"(?:怎么|咋|如何|怎样)(?:个.法|(?:去|来|才能)?(?:给.{1,2})?(?:弄|办|搞|申请|领|拿|上(?![班学网面午])))")


# The steps asked by name ("步骤", "流程", "第一步"), not a "how" that may mean the whole guide ("要先办什么手续").
_STEPS_NAMED = re.compile(r"步骤|流程|程序|第[一二三]步|一步一?步")


def asks_how_in_general(text: str) -> bool:
    """Whether the message asks, anywhere, how to get it done ("咋弄", "要怎么去弄", "怎么个办法")."""
    folded = normalize(text).replace(" ", "")
    return says(folded, "general_how") or bool(_HOW_SPLIT.search(folded))


def answer_aspects(tracker: Tracker, guide: Dict[str, Any], aspect: str) -> Tuple[str, Optional[str]]:
    """What to answer about the guide's matter for the aspect the message asks: the aspect answered,
    and the one that follows it (None when nothing does). The first answer about a matter is its
    whole guide when the question is broad: a plain "how do I get it done" ("换证咋弄", in a form too:
    "要是去打劳动仲裁是怎么申请的"), how it goes in other words ("手续要怎么走"), or whether one may
    ("这个钱还能报回来一点吗", "不知道我能不能拿，要怎么去弄"); the aspect asked follows it
    (actions.replies.answer). A particular aspect asked ("要带啥") is answered alone, and so are the
    steps asked by name ("注销的步骤是怎样的") and who must come ("要本人去吗"); a
    plain "how" asks how it goes ("接下来怎么拿证": the whole guide, then its steps). A 一件事's whole
    guide already says how it goes: its steps are asked alone ("具体怎么操作") or not at all ("咋办")."""
    if tracker.get_slot("current_matter") == guide["code"]:
        return aspect, None
    text = text_of(tracker)
    if guide["kind"] == MatterKind.BUNDLE and aspect == Aspect.STEPS:
        return (Aspect.OVERVIEW.value if asks_in_general(tracker) else aspect), None
    if guide["kind"] == MatterKind.BUNDLE and aspect == Aspect.VISITS and (
            says(aspect_words(tracker), "done_in_one_go") or says(aspect_words(tracker), "done_together")):
        # "营业执照 刻章 领发票这一串 能不能一次搞定": whether they are done in one go is what the
        # 一件事 is, answered by its whole guide (a follow-up "一次能搞定吗" asks its trips).
        return Aspect.OVERVIEW.value, None
    if aspect == Aspect.OVERVIEW:
        return aspect, (Aspect.STEPS.value if asks_how_in_general(text) else None)
    if aspect == Aspect.STEPS and _STEPS_NAMED.search(normalize(text)):
        return aspect, None  # "注销的步骤是怎样的": the steps, as asked
    if ((aspect in (Aspect.STEPS, Aspect.CONDITIONS) and not asks_in_person(text))
            or asks_how_in_general(text) or asks_in_general(tracker)):
        return Aspect.OVERVIEW.value, aspect
    return aspect, None


def is_bare_followup(tracker: Tracker) -> bool:
    """True when the message is only an aspect question, with no topic words besides it."""
    span = aspect_span(tracker)
    return only_asks(text_of(tracker), span)


def only_particulars(text: str) -> bool:
    """A place or a phone and little else ("在湖州吴兴区", "电话13812345678"): nothing for the
    router to judge, so never "none of our departments"."""
    rest = re.sub(r"[\d\-－+\s]", "", normalize(text))
    return len(rest) <= 12 and bool(contact_number(text) or find_region(text) or looks_like_place(text))


OPTION_AHEAD = 0.3  # an option the two messages rank first at this score, four times the next, is picked


async def read_with_previous(tracker: Tracker, among: Sequence[str] = (), denied: Sequence[str] = ()) -> Optional[str]:
    """The matter the citizen's last two messages name together ("我的证丢了咋补办" + "驾照"),
    when the matcher is sure of it (Rasa's /model/parse on both texts); or, given options just
    offered (`among`), the one the two messages rank first, unless the matcher finds none or is
    sure of one not offered (an option the reply denies, `denied`, is passed over)."""
    texts = [t for t in user_texts(tracker) if t and not t.startswith("/")]
    if len(texts) < 2:
        return None
    parsed = await rasa_api.parse(f"{texts[-2]} {texts[-1]}")
    match = (parsed or {}).get("matter_match") or {}
    if among:
        matches = [m for m in match.get("matches") or [] if m["matter"] not in denied]
        if not matches:
            return None
        if match.get("abstain", True):
            # Unsure as a question, yet an option offered well ahead ("过户要准备些什么" + "辆车"):
            # the answer picks it.
            ahead = (matches[0]["matter"] in among and matches[0]["score"] >= OPTION_AHEAD
                     and (len(matches) < 2 or matches[1]["score"] * 4 <= matches[0]["score"]))
            return matches[0]["matter"] if ahead else None
        if not match.get("clarify") and matches[0]["matter"] not in among:
            return None  # "身份正咋办" + "丢了" is 补领, which was not offered: no option fits
        return next((m["matter"] for m in matches if m["matter"] in among), None)
    if match.get("abstain", True) or match.get("clarify") or not match.get("matches"):
        return None
    return match["matches"][0]["matter"]


# What a citizen gets done in a place: "苏州那边怎么补", "在上海提取", "香港的身份证", "苏州公积金中心".
_THERE = r"(那边|那里|那儿|當地|当地)"
_DONE_THERE = r"[^，。,.!！?？]{0,4}(办|提取|取出|补|换|申请|领|开证明|上户|报销)"
_THINGS = (r"的?(身份证|驾照|驾驶证|户口|社保|医保|公积金|出生证|出生医学证明|结婚证|离婚证|营业执照|车|房产证|护照|"
           r"公积金中心|医院|派出所|社保局|人社局|车管所|交警|法院|政府|公安局|税务局|房子|驾校|学校|小区|工地)")


# "儿子在国外，那边要我们办个亲属关系公证": what the place asks the citizen to get done here.
_ASKS_OF_US = r"(?!(?:要|让|叫|需要|要求)(?:我们|我)(?:办|开|提供|出具|准备|交|做))"


def done_elsewhere(text: str) -> Optional[str]:
    """The place outside Zhejiang where the citizen asks to get something done ("苏州那边怎么补",
    "上海交的公积金怎么在上海提取", "香港的身份证到期了"), or None. Bringing it here ("转过来",
    "迁到杭州", "异地就医备案"), or naming a place of Zhejiang as where the matter is, is ours; a
    Zhejiang place named only as where the citizen now is ("…我人在杭州") is not."""
    if not find_elsewhere(text) or names_zhejiang(text) or says(text, "here"):
        return None
    # "我係香港身份證，可唔可以申請", "我是台湾居民": who the citizen is, not where the matter is;
    # "伊爸妈人在国外，我去办好伐": where someone is (人在), not where it is done.
    folded = _IDENTITY.sub("", normalize(text).replace(" ", ""))
    for place in elsewhere_words():
        p = re.escape(place)
        if place in folded and (re.search(p + _THERE + _ASKS_OF_US, folded) or re.search("(?<!人)在" + p + _DONE_THERE, folded)
                                or re.search(p + _THINGS, folded)):
            return place
    return None


def place_in_story(tracker: Tracker, place: str) -> bool:
    """Whether the citizen named this place outside Zhejiang in an earlier message and the bot
    answered on, not sending them there ("上海交的养老保险怎么转到景宁来", then "上海那边还要去吗")."""
    earlier = [normalize(t).replace(" ", "") for t in user_texts(tracker)[:-1]]
    if not any(place in t for t in earlier):
        return False
    return not any(((e.get("data") or {}).get("custom") or {}).get("elsewhere") == place
                   for e in tracker.events if e.get("event") == "bot")


_IDENTITY = re.compile(r"(?:我|本人|他|她|我们)?(?:是|係|系)[\u4e00-\u9fff]{2,4}?的?(?:人|居民|身份证|同胞|户籍|籍|护照)")


# "X呢" asks about X ("低保呢" after 临时救助): a switch, even when the current guide mentions X.
WHAT_ABOUT = re.compile(r"(那|那么|还有)?[^，,。？?]{2,10}呢[？?]?")


_ONLY_POINTS = re.compile(r"(那|这)(个|些|边|里)?")


def what_about(text: str) -> Optional[str]:
    """The X of "低保呢", "燃气也要过户，燃气呢", "燃气那个呢 也要带这些吗": the message, or its first
    or last clause, asks what about X (a thing, not only "那个"); None when it does not."""
    parts = clauses(text)
    # (its clauses first: "还要带些什么，户口本呢" asks about 户口本, not the whole of it)
    for part in parts[:1] + parts[-1:] + [normalize(text).replace(" ", "")]:
        found = WHAT_ABOUT.fullmatch(part)
        thing = part[len(found.group(1) or ""):].rstrip("？?").rstrip("呢") if found else ""
        if found and not _ONLY_POINTS.fullmatch(thing):
            return thing
    return None


def asks_what_about(text: str) -> bool:
    return what_about(text) is not None


PARTICLES = re.compile(r"[那呢吗嘛啊吧呀么哦噢的了]")  # around a word or two ("那注销呢")


async def named_matters(tracker: Tracker) -> List[str]:
    """The matters among the matcher's candidates that the message names by words of their own
    (a name, alias or keyword no other of them holds): "低保和临时救助有什么区别" names two; words
    inside a comparison ("跟挂失一样") name nothing."""
    folded = COMPARED.sub("", normalize(text_of(tracker)).replace(" ", ""))
    said: Dict[str, set] = {}
    for match in match_of(tracker).matches:
        guide = await hall().guide(match["matter"]) if match["matter"] != FALLBACK_MATTER else None
        if guide and guide.get("kind") != MatterKind.BUNDLE:
            terms = (normalize(x).replace(" ", "") for x in [guide["name"], *guide.get("aliases", []),
                                                               *guide.get("keywords", [])])
            said[match["matter"]] = {t for t in terms if len(t) >= 2 and t in folded}
    own = {code: words - set().union(*(w for c, w in said.items() if c != code)) for code, words in said.items()}
    return [code for code, words in own.items() if words]


async def sibling_named(tracker: Tracker, current: str, guide: Optional[Dict[str, Any]]) -> Optional[str]:
    """"注销" right after 不动产抵押登记: a word the current matter's names do not hold, and a
    matter of the same department beside it does (不动产抵押注销登记): that sibling."""
    said = bigrams(PARTICLES.sub("", text_of(tracker)))
    if not guide or not said:
        return None
    own = name_bigrams(guide)
    new = said - own
    if not new:
        return None
    found = []
    for match in match_of(tracker).matches:
        if match.get("department") != guide["department"] or match["matter"] in (current, FALLBACK_MATTER):
            continue
        other = await hall().guide(match["matter"])
        names = name_bigrams(other) if other else set()
        if new <= names:
            found.append(match["matter"])
    return found[0] if len(found) == 1 else None


# Whether a thing is needed, asked at the end of a message: "要出生证吗", "申请资助要不要去开低保证明",
# "还要先有养殖证吗". The thing's words may be another matter's ("出生医学证明办理", "低保"), but the
# question is the matter in hand's: its materials, or its conditions when the thing must come first.
_NEEDED = re.compile(r"(?:(?P<either>要不要|需不需要|用不用|是不是要|是不是得)|还要|还得|需要|必须|要|得)(?P<first>先)?去?"
                     r"(?P<verb>开|办|有|带|拿|提供|出具|交|准备)?(?:个|一个|一张|一份|张|份|本)?"
                     r"(?P<thing>[\u4e00-\u9fff]{2,8}?)(?P<ask>吗|么|嘛|伐|不|没|呢|没有)?$")
# ("贷得到不嘛": 得 of a verb's result, not "must")
_NOT_A_THING = re.compile(r"^[到了成起动]|同意|什么|啥|多少|几|哪|多久|多长|钱|费|钞票|铜钿|手续|材料|本人|排队|预约|等|跑|去|来|回|到场|现场|趟")


# "是不是要有残疾证才行": had first, then allowed.
_THEN_ALLOWED = re.compile(r"才(?:行|可以|能[\u4e00-\u9fff]?)$")




# The thing named first, then whether to bring it: "结婚证是不是也要带上", "户口本要不要带".
# (拿 alone is to get: "临时身份证能当场拿吗" asks when, not what to bring)
_BRING_NAMED = re.compile(r"^(?P<thing>[\u4e00-\u9fff]{2,8}?)(?:是不是|要不要|需不需要|用不用|也|还|都)*(?:要|得|需要)?"
                          r"(?:带(?:上|去|过去|着)?|拿(?:上|去|过去|着))(?:吗|么|嘛|伐|不|吧)?$")


# The paper named first, then the form it must take asked ("出生证明要拿原件去还是复印件就行",
# "户口本复印件行不行"): what to bring for the matter in hand.
_FORM_ASKED = re.compile(r"^(?P<thing>[\u4e00-\u9fff]{2,8}?)(?:是不是|要不要|需不需要|用不用|也|还|都)*"
                         r"(?:要|得|需要)?(?:拿|带|交|提供)?(?:的)?(?P<form>" + cue_pattern("form_of_paper").pattern + ")")


# "房产证啥的吗", "结婚证之类的": a thing named with "and such" is still the thing asked about.
_AND_SUCH = re.compile(r"(?:啥的|什么的|之类的?|这类的?|这些的?|等等)(?=(?:吗|么|嘛|伐|不|没|呢|没有)?$)")


def needed_thing(text: str) -> Optional[tuple]:
    """(the thing, Aspect) when the message ends asking whether a thing is needed, else None."""
    parts = clauses(text)
    if not parts:
        return None
    parts[-1] = _AND_SUCH.sub("", parts[-1])
    named = _BRING_NAMED.match(parts[-1])
    if (named and asks(parts[-1]) and not _NOT_A_THING.search(named.group("thing"))
            and not re.search(r"能|可以|会", named.group("thing"))):
        return named.group("thing"), Aspect.MATERIALS
    formed = _FORM_ASKED.match(parts[-1])
    if (formed and (asks(parts[-1]) or "还是" in parts[-1][formed.end():])
            and not _NOT_A_THING.search(formed.group("thing"))):
        return formed.group("thing"), Aspect.MATERIALS
    found = _NEEDED.search(parts[-1])
    if (not found or not (found.group("ask") or found.group("either"))
            or _NOT_A_THING.search(found.group("thing")) or re.search(r"什么|啥|多少|几|哪|多久", parts[-1])
            or (found.group("verb") == "办" and not found.group("first"))):
        return None  # "要办个体户执照吗" asks whether to do that matter, not what this one needs
    thing = found.group("thing")
    before = re.sub(r"(?:的|那个|这个|那张|这张|那本)$", "", parts[-1][:found.start()])
    # The form a paper is asked in (cues.yml form_of_paper: "出生证明要原件吗"): the paper is the thing.
    if cue_pattern("form_of_paper").fullmatch(thing) and len(before) >= 2:
        thing = before  # "出生证明要原件吗": whether the 出生证明 is needed as an original
    # "是不是要有残疾证才行": the thing must come first — the conditions, as with "先".
    before = _THEN_ALLOWED.search(thing)
    if before:
        return thing[:before.start()], Aspect.CONDITIONS
    return thing, (Aspect.CONDITIONS if found.group("first") else Aspect.MATERIALS)
