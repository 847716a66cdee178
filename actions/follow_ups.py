"""How a follow-up is read against the matter in hand: whether it stays on that matter though the
matcher found another ("提取出来多久到账" after 公积金购房提取), what a word or two mean after an
answer, and which sibling matter a "what if" names. Which option an answer to "which one?" picks is
actions.picking. Used by action_answer_matter (actions.matters), which decides what to answer.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Awaitable, Callable, Dict, List, Optional, Set, Tuple

from rasa_sdk import Tracker

from actions.api.hall import hall
from actions.conversation import aspect_span, entity, is_button, match_of, text_of
from actions.cues import TURNS_TO, asks_in_person, says
from actions.documents import acted_on, fears_misuse
from actions.naming import (
    EVERYDAY_CHARS, EVERYDAY_PAIRS, PEOPLE_PAIRS, bigrams, folded_names, name_bigrams, named_word_for_word, names_of,
    naming_pairs,
)
from actions.reading import asking_clause, asks_what_about, sibling_named, what_about
from actions.told import COMPARED, only_denied
from bot.catalogue.lexicons import asking_pairs, cue_pattern
from bot.text.sentences import asking_clause_of, clauses
from bot.text.normalize import normalize
from bot.text.regions import without_places
from bot.vocabulary import FALLBACK_MATTER, Aspect, MatterKind

MAX_CLARIFY = 4
# Characters of a reply that means something only with the message before it ("租房的", "驾照").
SHORT_REPLY = 6
# A short yes/no question about a requirement ("要体检吗"), and the words around its subject.
SHORT_QUESTION = 10
FOLLOW_UP_QUESTION = 24  # longer than this, a message tells enough to be read on its own
# A message this short that names no matter, after an answer, is a follow-up on it.
SHORT_FOLLOW_UP = 16
FUNCTION_WORDS = re.compile(r"^(那么|那|还|也|是不是|是否|请问)?(要不要|需不需要|用不用|需要|必须|要|得|用)?"
                            r"(带|拿|交|提供|准备|开)?|(吗|么|嘛|呢|伐|不|没有|没)?[?？。!！]*$")
GUIDE_TEXT_FIELDS = ("materials", "conditions", "steps", "summary")
# The matcher sure of the other matter and not of the one in hand: the message names the other.
CLEAR_MATCH = 0.75
FAINT_MATCH = 0.1
ASKING_WORDS = 4  # a lexicon phrase that asks; longer spans are shapes that hold the thing asked of
_YES_NO = re.compile(r"(?:吗|伐|么|嘛|不|没有|没)[?？。!！]*$|要不要|需不需要|用不用|是不是要|得不得")
_WH = re.compile(r"什么|啥|哪|多少|几")
_LACKS = re.compile(r"(?<!有)没有?(?!有)|缺|无")


# Offices named as places (cues.yml institutions: "是到学校申请还是到教育局"): where, not another matter.
@lru_cache(maxsize=1)
def _institutions() -> "re.Pattern[str]":
    return re.compile(r"[\u4e00-\u9fff]{0,3}(?:" + cue_pattern("institutions").pattern + ")")


def _without_offices(text: str) -> str:
    """The text without the offices and places it names: where a thing is done names no matter."""
    return without_places(_institutions().sub("，", text))


# "我是外地户口的", "我家有残疾人的": who the citizen is, at the start of a question whether they may.
_SELF_TOLD = re.compile(r"^(?:我|我们|我家|俺|阿拉|本人)(?:是|系|係|有|属于|算)[\u4e00-\u9fff]{1,8}?(?:的|人)(?=[在这那能可好还也])")


def _unasked(tracker: Tracker) -> str:
    """The message without the words that ask its aspect ("这个能在网上办不，我上班请假不方便": 网上办
    asks, it names no 网上办事系统)."""
    text, span = text_of(tracker), aspect_span(tracker)
    return text[:span[0]] + "，" + text[span[1]:] if span else text


def _without_self(text: str) -> str:
    """The text normalised, spaces dropped, without a self-description opening it: it names
    nothing asked ("我是外地户口的在这边能开吗" asks of the matter in hand)."""
    return _SELF_TOLD.sub("", normalize(text).replace(" ", ""))


def clearly_names_other(tracker: Tracker, current: str, code: str, aspect: str, this: Dict[str, Any],
                        other: Dict[str, Any]) -> bool:
    """"那以后贷款还清了，注销抵押又怎么弄" after 不动产抵押登记, "那契税在哪里交" after 二手房过户,
    "学校那边有没有困难补助可以申请" after 转学: the matcher is sure of a sibling and not of the matter
    in hand, and the message says a word of the sibling's names that the matter in hand's names
    do not hold (not "过户要跑几趟" after 二手房过户, whose 过户 both share), outside the words that
    ask the aspect ("哪个文件规定的" names no 环评文件). Not a thing asked to be brought ("他的离婚证
    也要带吗" after 结婚登记), nor a conditions question whose sibling words tell the situation
    ("我家是低保户，这种能申请吧") or what the citizen lacks ("没户口本能领吗")."""
    scores = {m["matter"]: float(m.get("score") or 0.0) for m in match_of(tracker).matches}
    if scores.get(code, 0.0) < CLEAR_MATCH or scores.get(current, 0.0) > FAINT_MATCH:
        return False
    whole, asking = text_of(tracker), asking_clause(tracker)
    if aspect == Aspect.MATERIALS and _YES_NO.search(normalize(asking)) and not _WH.search(normalize(asking)):
        return False
    if aspect == Aspect.CONDITIONS and _LACKS.search(normalize(asking)):
        return False
    span = aspect_span(tracker)
    if aspect == Aspect.CONDITIONS:
        # The situation told before it names nothing asked, nor does a self-description that
        # opens the clause ("我是外地户口的在这边能开吗" after 无犯罪记录证明).
        text = _without_self(asking)
    elif span:
        # What is told after the question names nothing asked ("提取要几天到账，我以前租房提取的时候
        # 挺快的"); nor do the few words that ask ("哪个文件规定的", "依据哪部法律").
        end = whole.find(asking) + len(asking) if asking in whole else len(whole)
        text = (whole[:span[0]] + "，" + whole[span[1]:end]) if span[1] - span[0] <= ASKING_WORDS else whole[:end]
    else:
        text = whole
    # A place told (杭州, 萧山) names no matter, whatever aliases speak of it ("落户杭州").
    text = _without_offices(text)
    said = naming_pairs(text) - EVERYDAY_PAIRS - asking_pairs()
    # A word the guide in hand speaks of ("是医院能直接办还是要去医保局" after 慢特病: its guide says
    # 直接) is its own, unless whether one may have that thing is asked ("可以先办临时的身份证吗").
    written = set() if aspect == Aspect.CONDITIONS else bigrams(
        " ".join(str(this.get(k) or "") for k in GUIDE_TEXT_FIELDS))
    return bool(said & name_bigrams(other) - name_bigrams(this) - written)


def about_other(thing: Optional[str], this: Dict[str, Any], other: Dict[str, Any], ranked_first: bool) -> bool:
    """"燃气那个呢 也要带这些吗" after 用电过户: the thing asked about (reading.what_about) is of the
    other matter's names, none of this one's; or, when the matcher ranks the other first, has a word
    of its names that this one's lack ("开店那个补贴呢 要啥条件" after 失业金, whose "失业了有补贴吗"
    says 补贴 too)."""
    about = bigrams(thing or "") - EVERYDAY_PAIRS
    theirs = about & name_bigrams(other)
    return bool(theirs and (not about & name_bigrams(this) or (ranked_first and theirs - name_bigrams(this))))


async def asks_about_other(tracker: Tracker, current: str, first: str) -> bool:
    """about_other, for the matcher's first reading `first` of a follow-up on `current` that asks
    an aspect besides the thing it asks about ("开店那个补贴呢 要啥条件"; not "大概多久会有结果呢",
    whose thing is the time asked)."""
    text, span = text_of(tracker), aspect_span(tracker)
    thing = what_about(text)
    if not thing or not span or normalize(text[span[0]:span[1]]).replace(" ", "") in thing:
        return False
    this, that = await hall().guide(current), await hall().guide(first)
    return bool(this and that and about_other(thing, this, that, ranked_first=True))


# The matcher's reading of a follow-up this sure, beside a clause that says a new want, turns to it.
WANTED_SURE = 0.7
# A want denied: "我不想把医保转过去的 就在这边登记一下" wants no transfer.
_NOT_WANTED = re.compile(r"[不没别](?:想|要|打算|准备)")


def wants_other(tracker: Tracker, code: str, this: Dict[str, Any], folded: str) -> bool:
    """Whether the follow-up says in a clause of its own what the citizen now wants done (cues.yml
    wants_now) and the matcher reads the message surely as `code`, the matter in hand unnamed:
    "补好以后我想拿这个房子去信用社押一下 贷点钱…这个登记怎么弄" after 补证 turns to 抵押, though no
    word of its name is written. `folded`: the message normalised, spaces dropped."""
    text = text_of(tracker)
    matches = match_of(tracker).matches
    if not (matches and matches[0]["matter"] == code and float(matches[0].get("score") or 0.0) >= WANTED_SURE):
        return False
    wants = cue_pattern("wants_now")
    return (any(wants.search(c) and not _NOT_WANTED.search(c) for c in clauses(text))
            and not named_word_for_word(this, folded))


async def stays(tracker: Tracker, current: str, code: str, aspect: str, ranked: List[str]) -> bool:
    """Whether a follow-up that asks an aspect stays on the current matter though the matcher
    found another: it stays unless the citizen turns away ("另外…") or clearly names the other
    matter (its name or one of its aliases, word for word). A conditions question describes
    the citizen's situation ("我家是低保户，这种能申请吧"): the situation names no new matter."""
    text = text_of(tracker)
    if is_button(tracker) or says(text, "switch") or current == FALLBACK_MATTER:
        return False  # 兜底 is no matter to ask aspects of: "执照变更网上能办吗" is about 执照变更
    other, this = await hall().guide(code), await hall().guide(current)
    if other is None or this is None:
        return True
    if code in {m.get("code") for m in this.get("member_guides") or []}:
        return False  # "落户口要带啥" after 新生儿出生一件事: that member's own materials
    if clearly_names_other(tracker, current, code, aspect, this, other):
        return False
    folded = normalize(text).replace(" ", "")
    if wants_other(tracker, code, this, folded):
        return False  # "补好以后我想拿这个房子去信用社押一下…" after 补证: what is wanted now, 抵押
    if asks_in_person(text) and bigrams(folded) & name_bigrams(other) <= PEOPLE_PAIRS:
        return True  # "我们夫妻俩都得去吗" after 补领结婚证: who must come, not 离婚 its people brush against
    acted = acted_on(text)
    if code in acted and current not in acted:
        return False  # "那俺老婆的驾驶证丢了咋补" after 换证: what happened to it says 补领
    if about_other(what_about(text), this, other, ranked[:1] == [code]):
        return False
    # "以后贷款还清了，注销抵押要带啥": the other matter is named and this one is not. A
    # conditions question names it where it asks ("出生证明还没拿到，能先上吗" asks about 上户口).
    # (a self-description opening it names nothing asked: "我是外地户口的在这边能开吗")
    asking = _without_self(asking_clause(tracker)) if aspect == Aspect.CONDITIONS else text
    if named_word_for_word(other, normalize(asking).replace(" ", "")) and not named_word_for_word(this, folded):
        return False
    if TURNS_TO.match(folded) and named_word_for_word(other, _without_self(folded)) and not named_word_for_word(this, folded):
        return False  # "那以后我想买房用公积金贷款，要缴满多久才能贷" after 租房提取: turned to 公积金贷款, named
    # "户口注销那个要带啥" after 死亡医学证明, "居住证办下来要多久" after 小学入学: two words of
    # the other's name or an alias, none of this one's. A conditions question tells the
    # situation first ("靠一千多的养老金，我们这样的够不够格"): two words in the clause that
    # asks ("…，能申请临时救助吗"), or three anywhere ("小猪拉稀不吃食，能找专家看看吗").
    def names_other(part: str, enough: int, whole: str = "") -> bool:
        # (this one's words count wherever `whole` says them, the words that ask included)
        # ("网上能办不 上班莫得时间": 上班 and 时间 of "工作人员上班时间聊天" name no 好差评)
        return (len((naming_pairs(part) - EVERYDAY_PAIRS) & name_bigrams(other)) >= enough
                and not naming_pairs(whole or part) & name_bigrams(this))

    if aspect == Aspect.CONDITIONS:
        if names_other(asking, 2) or names_other(_without_self(folded), 3):
            return False
    elif names_other(_without_offices(_unasked(tracker)), 2, text):
        return False  # (an office is where it is done: "要跑税务局不" names no 税务 matter)
    # "那契税在哪里交" after 新房办证, "那要是明年买了房 提取又是怎么弄" after 租房提取: where, how
    # much, how long… asked of a thing that is the other matter's own keyword and none of this
    # one's words (its guide may mention it); "了" left out, "买了房" says 买房. Whether one may
    # counts when the message turns to it ("那等明年真买了房子，公积金里剩的钱能取出来吗"), this
    # one unnamed: what may be done then, not the situation of the matter in hand.
    if aspect not in (Aspect.CONDITIONS, Aspect.MATERIALS) or (
            aspect == Aspect.CONDITIONS and TURNS_TO.match(folded) and not named_word_for_word(this, folded)):
        own = {normalize(w).replace(" ", "") for w in [this["name"], *this.get("aliases", []), *this.get("keywords", [])]}
        theirs = {normalize(w).replace(" ", "") for w in other.get("keywords", [])}
        # (a clause that recalls the past, cues.yml recalled, compares: "我以前租房提取的时候挺快的"
        # asks nothing of 租房)
        recalled = cue_pattern("recalled")
        plain = normalize("".join(c for c in clauses(text) if not recalled.search(c))).replace(" ", "").replace("了", "")
        plain = _institutions().sub("，", plain)  # an office is where: "要跑税务局不" (税务局 a keyword of 新办纳税人)
        if any(len(w) >= 2 and w in plain and not any(w in o and f"没{w}" not in o and f"不{w}" not in o for o in own)
               for w in theirs):
            return False  # (this one's "没买房能取公积金吗" says 买房 only to deny it)
    return aspect == Aspect.CONDITIONS or current in ranked or not named_word_for_word(other, folded)


# How to do a thing: "契税怎么交", "这个咋弄".
_HOW = re.compile(r"怎么|怎样|咋|如何|点样|哪能")
# Whether there is one to have first, meanwhile: "有没有临时的证可以先用用", "能不能先办个临时的";
# or one asked for first, "is that all right?" ("先弄张临时的好伐", "那先办个临时的行不").
_MEANWHILE = re.compile(r"(?:有没有|有冇|有无|能不能|可不可以|可以)[\u4e00-\u9fff]{0,8}?先"
                        r"|^(?:那|那就|那我)?先(?:弄|办|开|搞|拿|领|申请)(?:张|个|一张|一个|本)?[\u4e00-\u9fff]{0,6}?"
                        r"(?:好伐|好吗|好不好|行吗|行不|行不行|可以吗|可以不|成吗)")


def _plain_follow_up(tracker: Tracker) -> Optional[str]:
    """The message folded, when it is a follow-up in a few words that may be about the matter in
    hand: typed (no button), not turning away ("另外…") nor asking what about another ("低保呢")."""
    text = text_of(tracker)
    folded = normalize(text).replace(" ", "")
    if is_button(tracker) or len(folded) > FOLLOW_UP_QUESTION or says(text, "switch") or asks_what_about(text):
        return None
    return folded


async def in_current_guide(tracker: Tracker, current: str, other: str) -> bool:
    """A follow-up about something the current matter's guide itself speaks of, the other
    matter not named word for word: about the current matter. "要体检吗" after 驾驶证换证 (its
    guide asks for the 体检, not 健康证明), "照片要自己带还是现场拍" after 社保卡申领 (its photo,
    not 一窗通拍), "申请资助要不要去开低保证明" after 学生资助 (its 低保 proof, not 低保)."""
    text = text_of(tracker)
    folded = _plain_follow_up(tracker)
    if folded is None:
        return False  # "低保呢" after 临时救助: what about the other matter, not its word in this guide
    this, that = await hall().guide(current), await hall().guide(other)
    if this is None or that is None:
        return False
    if named_word_for_word(that, folded):
        return False
    acted = acted_on(text)
    if other in acted and current not in acted:
        return False  # "我社保卡前两天也丢了，要补一张" after 失业金: what happened to the card says 补换
    written = normalize(" ".join(str(this.get(k) or "") for k in GUIDE_TEXT_FIELDS + ("name",))
                        + " ".join(this.get("aliases", []))).replace(" ", "")
    core = FUNCTION_WORDS.sub("", folded)
    if len(folded) <= SHORT_QUESTION and len(core) >= 2 and core in written:
        return True
    # A thing to bring or a word with no aspect ("补办的时候要重新拍照吗"): the words that drew
    # the matcher to the other matter, beyond those the two share, are mostly the current
    # guide's. Asking how long, how much, where… of the thing ("居住证办下来要多久") or
    # whether one may have it ("可以先办临时的身份证吗") asks about the other matter.
    if entity(tracker, "aspect") not in (None, Aspect.MATERIALS) or _HOW.search(folded) or _MEANWHILE.search(folded):
        return False  # (or how to do it: "契税怎么交" after 二手房过户 is 契税's own business)
    said = naming_pairs(text) - EVERYDAY_PAIRS
    pulling = said & name_bigrams(that)
    distinct = pulling - name_bigrams(this)
    inside = {b for b in distinct if _loosely_in(b, written)}
    return bool(inside) and 2 * len(inside) >= len(distinct)


# Opening on the doing of the matter in hand ("补的时候老照片还好用伐", "补出来的新证有效期是重新算
# 还是…到期"): about it, whatever the rest brushes against (照片, 到期). The act must be the
# matter's own (补 of 补领); 办 and 申请 are every one's.
# ("补的那张有效期是从新开始算…", "补本子的时候要不要…重新体检": the one it gives, its paper named plainly.)
_ON_ACT = re.compile(r"^(?:那|那么|我|我们|等|等到)?(?P<act>[补换办领迁开转]|补办|补领|换领|办理|申请)(?:证|好|完|下来|出来|本子|本本|卡)?"
                     r"(?:的时候|的话|出来的|下来的|好的|好了以后|好以后|了以后|完以后|之后|的那张|的那本|的那个|的新)")


async def on_current_act(tracker: Tracker, current: str, other: Optional[str]) -> bool:
    """Whether a follow-up opens on the doing of the matter in hand, the matcher's reading `other`
    not named word for word: about the matter in hand."""
    folded = _plain_follow_up(tracker)
    found = _ON_ACT.match(folded) if folded is not None else None
    this = await hall().guide(current) if found else None
    if not found or this is None:
        return False
    that = await hall().guide(other) if other and other != current else None
    if that is not None and named_word_for_word(that, folded):
        return False
    act = found.group("act")
    return act in ("办", "办理", "申请") or any(act in normalize(n) for n in names_of(this))


def _loosely_in(pair: str, written: str) -> bool:
    """The pair in the text, or its two characters one apart: people shorten names ("残疾证" for
    the guide's "残疾人证", "医保卡" for "医疗保障卡")."""
    return pair in written or re.search(re.escape(pair[0]) + "." + re.escape(pair[1]), written) is not None


# "…了还能批吗", "…了也可以办吗": a circumstance, then whether it can still be done, no thing named.
_STILL_MAY = re.compile(r"了(?:还|也)(?:能不能|可不可以|能|可以)[\u4e00-\u9fff]{1,2}?(?:吗|不|么|伐|呢)$")


async def asked_of_current(tracker: Tracker, current: str, other: Optional[str] = None) -> bool:
    """A story whose question names the matter in hand and not the other (the one the matcher
    read, if any), the other's words being only what it tells: "卖家说房子以前抵押过，贷款已经还清
    了，这样过户有没有影响" after 二手房过户 asks about 过户, whatever 抵押 and 还清 suggest; or
    whose question asks only what the circumstance told does ("我之前在别的区交的社保，有影响吗"
    after 失业金) or whether the citizen's own case fits ("我这种情况能办吗，我开的是个体户奶茶店"
    after 创业补贴): asked of the matter in hand."""
    text = text_of(tracker)
    if is_button(tracker) or says(text, "switch"):
        return False
    if fears_misuse(text, current):
        return True  # "里面医保的钱会不会被人用掉" after 社保卡挂失: what 挂失 is for
    asking = asking_clause_of(text)
    if not asking and _STILL_MAY.search(normalize(text).replace(" ", "")):
        # One clause, a circumstance told then "还能批吗" ("我户口迁出去了还能批吗" after 宅基地):
        # whether the matter in hand can still be done, its verb alone asked.
        return True
    this, that = await hall().guide(current), (await hall().guide(other) if other else None)
    if this is None or (other and that is None):
        return False
    ours, theirs = name_bigrams(this), (name_bigrams(that) if that else set())
    if not asking:
        # One clause that names the matter in hand and asks what a lapse of it does ("过期了没年检
        # 会不会扣分" after 机动车年检): its consequences, not the other matter a word of it brushes.
        said = naming_pairs(text)
        if said & ours - theirs and says(text, "impact"):
            return True
        # One clause, typed without stops, that tells the situation and then asks whether the
        # citizen's own case fits ("我户口不在这个村是嫁过来的我这情况能办不" after 养殖证): asked of
        # the matter in hand, unless what follows "我这情况" names the other.
        folded = normalize(text).replace(" ", "")
        case = max((m.start() for m in cue_pattern("own_case").finditer(folded)), default=-1)
        if case < 0:
            return False
        tail = naming_pairs(folded[case:])
        return not tail & theirs - ours
    said = naming_pairs(asking)
    if said & theirs - ours:
        return False  # the question names the other
    return bool(said & ours - theirs) or says(asking, "impact") or says(asking, "own_case")


async def needed_for(asked: Tuple[str, str], other: str) -> Optional[str]:
    """The aspect of the current matter a message asks when it asks whether a thing is needed
    (`asked`: needed_thing's reading) and the thing is what drew the matcher to another matter:
    "要出生证吗" after 出生落户 (its materials, not 出生医学证明办理), "申请捕捞证还要先有养殖证吗"
    (its conditions: what must come first). None otherwise."""
    thing, aspect = asked
    that = await hall().guide(other)
    if that is None or not bigrams(thing) & name_bigrams(that):
        return None
    return aspect


async def said_only_to_deny(tracker: Tracker, other: str) -> bool:
    """The other matter's words are said only to deny them ("不用回来手工报销吧") or to compare
    with them ("会不会跟挂失一样马上作废")."""
    if is_button(tracker) or says(text_of(tracker), "switch"):
        return False
    that = await hall().guide(other)
    return bool(that) and (only_denied(text_of(tracker), name_bigrams(that)) or _compared_only(text_of(tracker), that))


def _compared_only(text: str, other: Dict[str, Any]) -> bool:
    """The other matter is compared with ("补的时候是不是跟到期换证一样还要去体检", "过户了是不是等于重新上牌")
    and not named word for word besides: the question is the matter in hand's, whatever else of the
    other's words it holds (体检)."""
    folded = normalize(text).replace(" ", "")
    compared = COMPARED.findall(folded)
    if not any(naming_pairs(span) & name_bigrams(other) for span in compared):
        return False
    return not named_word_for_word(other, COMPARED.sub("，", folded))


async def short_reply_reading(tracker: Tracker, current: Optional[str],
                   combined: Callable[[], Awaitable[Optional[str]]]) -> Optional[str]:
    """"租房的" right after an answer on 购房提取, "车子" after 过户: the matter a word or two mean
    read with the message before (or the current one, when they are its own words)."""
    text = text_of(tracker)
    if not current or is_button(tracker) or len(normalize(text).replace(" ", "")) > SHORT_REPLY:
        return None
    guide = await hall().guide(current)
    folded = normalize(text).replace(" ", "")
    if guide and len(folded) >= 2 and any(folded in n for n in folded_names(guide)):
        return current  # "身份证" after 身份证补领: the current matter's own words
    best = await combined()
    if best not in (current, FALLBACK_MATTER, None):
        return best
    return await sibling_named(tracker, current, guide)


# "那要是丢了呢", "那电呢", "那要是买房的时候取": the same business in another situation. A lead
# (那, 那么) and a tail (呢, 咋办…), or an "if" word, around a few words.
_LEAD, _IF, _THING, _WHEN_WORDS = r"那么|那", r"要是|如果|万一|假如|假设|以后", r"[\u4e00-\u9fff]{1,8}?", r"的话|的时候"
_WHAT_IF = re.compile(rf"^(?P<lead>{_LEAD})?(?P<if>{_IF})?(?P<thing>{_THING})(?P<when>{_WHEN_WORDS})?"
                      r"(?P<tail>呢|咋办|怎么办|咋弄|怎么弄|咋整|咋搞|怎么搞)?$")
_WHEN = re.compile(rf"^(?:{_LEAD})(?:{_IF})?(?P<thing>{_THING})(?:{_WHEN_WORDS})")


def what_if(text: str) -> Optional[str]:
    """The situation of "那要是X呢", "那要是X的时候取，要带啥" (X), or None when the message, or its
    first clause, is no such question."""
    folded = normalize(text).replace(" ", "")
    for part in [folded] + clauses(text)[:1]:
        found = _WHAT_IF.match(part.rstrip("?？。!！"))
        if found and (found.group("if") or found.group("when") or (found.group("lead") and found.group("tail"))):
            return found.group("thing")
    # "那以后买房的时候还能取吗": a situation, then what is asked of it (not "当初办抵押的时候…", told)
    found = _WHEN.match(folded)
    return found.group("thing") if found else None


def _pairs_not_all_everyday(text: str) -> Set[str]:
    """A few words' pairs that could name something (not two everyday characters, nor a kinship word)."""
    return {p for p in bigrams(text) if not set(p) <= EVERYDAY_CHARS} - EVERYDAY_PAIRS


def _share_saying(names: List[str], word: str) -> float:
    """The share of a matter's names and aliases that say `word`."""
    return sum(word in n for n in names) / len(names) if names else 0.0


async def sibling_in_situation(tracker: Tracker, current: str) -> Optional[str]:
    """The matter of the current matter's department that is the same business in the situation a
    "what if" names ("那要是丢了呢" after 身份证换领: 身份证补领; "那电呢" after 自来水过户: 电力过户):
    more of its names and aliases say the situation than the current matter's do (an alias of 租房提取
    may say "没买房", most of 购房提取's say 买房), and its name shares words with the current matter's
    name (the same document, the same 过户). The closest such matter when one is closest; None when
    there is none or several tie."""
    thing = what_if(text_of(tracker))
    guide = await hall().guide(current) if thing else None
    if not guide or guide["kind"] == MatterKind.BUNDLE:
        return None
    own = folded_names(guide)
    if len(thing) > 1:
        words = _pairs_not_all_everyday(thing) - bigrams(guide["name"])
    else:  # "那电呢": one character, not of the current matter's name
        words = set() if thing in EVERYDAY_CHARS or thing in own[0] else {thing}
    if not words:
        return None
    own_name = _pairs_not_all_everyday(guide["name"])
    ranked = []
    for item in await hall().matters(department=guide["department"]):
        other = await hall().guide(item["code"]) if item["code"] not in (current, FALLBACK_MATTER) else None
        if not other or other["kind"] == MatterKind.BUNDLE:
            continue
        names = folded_names(other)
        said = {w for w in words if _share_saying(names, w) > _share_saying(own, w)}
        shared = own_name & _pairs_not_all_everyday(other["name"])
        if said and shared:
            ranked.append(((len(said), len(shared)), other["code"]))
    ranked.sort(reverse=True)
    if not ranked or (len(ranked) > 1 and ranked[0][0] == ranked[1][0]):
        return None
    return ranked[0][1]
