"""AspectExtractor: which aspect of a matter the citizen asks about (materials, fee, ...).

A small lexicon-driven entity extractor; the phrases live in data/lexicon/aspects.yml so that a
service centre can add the words its citizens use without touching code.
"""

from __future__ import annotations

import re
from pathlib import Path
from functools import lru_cache
from typing import Any, Dict, List, Optional, Sequence, Text, Tuple

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from pypinyin import lazy_pinyin

from bot.catalogue.lexicons import aspect_phrases, cue_pattern
from bot.matching.typos import fuzzy
from bot.text.coming import who_comes
from bot.text.normalize import normalize
from bot.text.regions import place_spans
from bot.text.sentences import asking_sentences, asks, clauses
from bot.text.spans import locate
from bot.vocabulary import Aspect

# Question words: "材料往哪里递" asks where (哪里), not what to bring (材料).
CONDITIONS = Aspect.CONDITIONS.value
MATERIALS = Aspect.MATERIALS.value
LOCATION = Aspect.LOCATION.value
STEPS = Aspect.STEPS.value
ONLINE = Aspect.ONLINE.value
VISITS = Aspect.VISITS.value
TIME_LIMIT = Aspect.TIME_LIMIT.value
FEE = Aspect.FEE.value
_INTERROGATIVES = ("哪", "几", "多少", "多久", "多长", "啥", "什么", "怎么", "咋", "吗", "能", "伐")  # 伐: Wu 吗
# 不 asks at the end ("要钱不") or between a word and itself ("收不收费"); "不用跑" only tells.
_NOT_ASKS = re.compile(r"不$|(.)不\1")


def _asks(phrase: str) -> bool:
    return any(word in phrase for word in _INTERROGATIVES) or bool(_NOT_ASKS.search(phrase))


def _modal(phrase: str, aspect: str) -> bool:
    """"能办吗", "可以申请": whether one may, said of whatever else the sentence asks."""
    return aspect == CONDITIONS and not any(word in phrase for word in ("条件", "资格", "符合", "要求"))


def _told_time(text: str, phrase: str, start: int) -> bool:
    """"这几天死了好多", "前几天去过", "想去海南住几个月", "最近几个月一到晚上就排水", "拖了好几个月",
    "实岁还差几个月", "社保断了几个月还能办吗":
    a time the citizen tells, not a time limit asked."""
    # (了 before months tells them: "断了几个月"; before days it may ask: "交了几天能到账")
    return phrase.startswith(("几天", "几日", "几个月")) and start > 0 and (
        text[start - 1] in "这前过头住待呆玩期近好差" or (text[start - 1] == "了" and phrase.startswith("几个月")))


# Words of the lexicon that ask no aspect where they stand: what a thing is ("这个登记是个啥东西"
# asks what it is, not what to bring), an address that is the thing changed ("营业执照上地址
# 要改", "变更地址"), a place not known ("不知道掉在哪里了").
_NOT_ASKED = re.compile(r"是(?:个|些)?(?:啥|什么|什么样的)(?:东西|玩意|意思)|(?:啥|什么)意思|是干(?:啥|什么|嘛)的|是做什么的"
                        r"|(?:变更|更改|修改|改|换|迁|搬)(?:个|了|下)?(?:地址|地点)"
                        r"|(?:地址|地点)(?:要|想|得|需要)?(?:变更|更改|修改|改|换|迁|变)"
                        # where a thing was lost is told, not asked: "身份证不知道掉在哪里了"
                        r"|(?:不知道|不晓得|不清楚|想不起|记不得)[\u4e00-\u9fff]{0,4}?(?:哪里|哪儿|哪)"
                        # a fee that describes a thing is no fee asked: "听说政府有免费的律师，我这样的能申请吗",
                        r"|(?:免费|收费|付费|自费|公费)的(?=[\u4e00-\u9fff])(?![吗吧呢么伐啊呀嘛了不])"
                        # and so does one that describes a help given: "政府有没有不要钱帮人打官司的"
                        r"|(?:免费|不要钱|不收钱|不花钱)(?:帮|给|替|提供)[\u4e00-\u9fff]{0,8}?的(?![吗吧呢么伐啊呀嘛])"
                        # a time heard of is told: "听说能领几个月失业的钱"
                        r"|(?:听说|据说|听人说|人家说)[\u4e00-\u9fff]{0,4}?几个?(?:月|天|年)(?![\u4e00-\u9fff]{0,2}[吗吧呢么伐])"
                        # a thing told had is no time asked: "执照已经拿到手了"
                        r"|(?:已经|早就|早已|已|刚刚|刚)(?:拿到手|到手)"
                        # "在那办" is a phone typist's 在哪办, but "在那办了三次" tells where it was done
                        r"|在那(?:儿|里)?(?:办|换|弄|补|领|交|申请)(?:了|过|的|好)"
                        # papers told handed in are not asked: "交好材料以后还要做啥", "材料交上去了接下来是等通知吗"
                        r"|(?:交好|交了|交完|交齐了|交上去了|递了|递完|递好|递交了|提交了|提交完)(?:的)?(?:材料|资料)"
                        r"|(?:材料|资料)(?:我|都|也)?(?:已经|早就|昨天|都)?(?:交|递|提交)(?:好|了|完|上去|到窗口)")


def _not_asked(spans: List[Tuple[int, int]], start: int, end: int) -> bool:
    """Whether [start, end) lies inside one of the spans _NOT_ASKED found (once per text)."""
    return any(a <= start and end <= b for a, b in spans)


# The citizen's own case, as a conditions phrase opens ("我这种情况", "这种情况能", "像我这样").
_OWN_CASE = ("我这", "这种情况", "这情况", "像我", "我们这种", "我们这样", "阿拉")  # 阿拉: Wu "we"
# A threshold the citizen asks of ("住多久才能办", "驾龄多少年才行", "啥病才算数"): the conditions,
# whatever amount or time the sentence names.
_THRESHOLD = ("才",)
_SERVED = re.compile(r"(?:住|交|缴|满|干|做|工作|上班|参保|居住|待|呆)(?:了|满|够)?(?:多久|好久|多长时间|几年|几个月|多少年)")


def find_aspect(text: str, lexicon: List[Tuple[str, str]]) -> Optional[Tuple[str, int, int]]:
    """The aspect the (normalised) text asks about: of two overlapping phrases the one that ends
    later ("需要什么条件" asks the 条件), unless it only asks whether one may ("网上能办吗" asks
    online); then one worded as a question wins over a bare noun; then the earliest, then the
    longest."""
    found = []
    quiet = [m.span() for m in _NOT_ASKED.finditer(text)]
    for phrase, aspect in lexicon:
        start = text.find(phrase)
        while start >= 0 and (_told_time(text, phrase, start) or _not_asked(quiet, start, start + len(phrase))):
            start = text.find(phrase, start + 1)
        if start >= 0:
            found.append((phrase, aspect, start, start + len(phrase)))
    spans = who_comes(text)
    # the person is no material to bring: "要带孩子本人去吗" asks who must come, not 要带
    found = [f for f in found if not (f[1] == MATERIALS and any(a < f[3] and f[2] < b for a, b in spans))]
    # who must come asks who may apply (conditions), paired with the trips by the answer
    found += [(text[a:b], CONDITIONS, a, b) for a, b in spans]

    def beaten(f: Tuple[str, str, int, int]) -> bool:
        return any(o is not f and o[2] < f[3] and f[2] < o[3] and not _modal(o[0], o[1])
                   and (o[3], o[3] - o[2]) > (f[3], f[3] - f[2]) for o in found)

    best: Optional[Tuple[Tuple[int, int, int, int], Tuple[str, int, int]]] = None
    # "像我这种情况，办结婚登记要准备哪些文件": the citizen's own case frames what else is asked;
    # it is the question only beside a "may I" ("我这种情况能申请吗") or alone.
    may = any(f[1] == CONDITIONS and not f[0].startswith(_OWN_CASE) for f in found)
    for phrase, aspect, start, end in [f for f in found if not beaten(f)]:
        asks = _asks(phrase)
        # "网上能办吗", "手机上能开吗": the thing named (online) is asked, not whether one may
        # (conditions) — conditions only when nothing else is asked.
        # …unless it asks whether the citizen's own case fits ("我这种情况能申请吗，我在网上开了个
        # 淘宝店"): that asks the conditions, whatever thing the case tells of.
        # a threshold asks only where the question ends ("住多久才能办"), not in what is told before
        # it ("老板说要先办健康证才能上班，健康证去哪里办")
        # …and beside a time, only a time to be served first ("住多久才能办", not "多久才能领")
        threshold = (phrase.startswith(_THRESHOLD) and not text[end:].strip("吗呢啊哦呀嘛的了?？。!！ ")
                     and (_SERVED.search(text) or not any(f[1] == "time_limit" for f in found)))
        last = aspect == CONDITIONS and not ((phrase.startswith(_OWN_CASE) and (may or asks)) or threshold
                                             or (start, end) in spans)
        # A plain "how" ("失业金咋领，得准备些啥") gives way to another aspect asked beside it (not to a
        # bare noun: "证件掉了要咋补"): the first answer to a plain how is the whole guide anyway
        # (actions.reading.answer_aspects).
        plain_how = aspect == STEPS and bool(cue_pattern("general_how").fullmatch(phrase))
        key = (-1 if threshold else 1 if last else 0, 0.5 if plain_how else 0 if asks else 1, start, -len(phrase))
        if best is None or key < best[0]:
            best = (key, (aspect, start, end))
    if best and best[1][0] == STEPS:
        # "手机上怎么交", "网上咋申请": how it is done online asks about doing it online.
        online = [f for f in found if f[1] == ONLINE and f[3] <= best[1][1] <= f[3] + 1]
        if online:
            return ONLINE, online[0][2], best[1][2]  # the span asks: it holds the how
    if best and best[1][0] == ONLINE:
        # (the same, the online phrase ranked first: its span holds the plain how after it)
        how = [f for f in found if f[1] == STEPS and best[1][2] <= f[2] <= best[1][2] + 1]
        if how:
            return ONLINE, best[1][1], how[0][3]
    return best[1] if best else None


# Whether one may, with the thing in the middle: "我这种能领失业金吗", "城乡居民养老保险好交伐",
# "这样也好取吧" (asking to be told yes), "可不可以补办". Asked only when no phrase of the lexicon is
# found (conditions come last anyway).
# "能不能", "可不可以", "能否" ask by themselves ("老家那几年的能不能并过来").
_MAY_SHAPE = re.compile(r"(?:(?:能不能|可不可以|能否)[\u4e00-\u9fff]{1,8}?|(?:能|可以|好)[\u4e00-\u9fff]{1,8}?(?:吗|伐|么|不|吧)"
                        r"|(?:带|办|去|弄|领|交|申请|代|拿|补|换|迁|转)[\u4e00-\u9fff]{0,3}?(?:可以|行|可不可以|行不行)(?:吗|伐|么|不)?)$")
# ...unless what may be done is doing them together (cues.yml together_may: "能不能一趟办掉", "好一道办伐"):
# that asks what the 一件事 is, not its conditions.
# Where, as a choice between places: "是在宁波这边申请还是要回江西申请", "是到村里申请还是镇上".
_PLACES = r"(?:这边|那边|这里|那里|村|镇|乡|县|区|市|省|老家|当地|户籍地|里|上|学校|医院|派出所|局|所|中心|窗口|大厅|街道|社区|单位|银行|地方)"
_WHERE_SHAPE = re.compile(r"(?<!现)(?:在|到|去|回|找)[\u4e00-\u9fff]{0,5}?" + _PLACES + r"(?:申请|办理|办|交|弄)?还是"
                          r"|(?<!现)(?:在|到|去|回)[\u4e00-\u9fff]{1,5}?(?:申请|办理|办)还是"
                          # one office or another: "派出所开还是公安局开"
                          r"|[\u4e00-\u9fff]{1,4}?(?:所|局|中心|窗口|大厅|街道|社区|医院|银行|委会)(?:开|办|弄|交|申请|补|领|报)还是"
                          r"|(?:申请|办理|办|弄)还是(?:要|得)?(?:去|到|在|回)[\u4e00-\u9fff]"
                          # Going to a place, asked to be confirmed: "要回原来登记的地方补吗", "是去生孩子那个医院弄吧".
                          r"|(?:是|要|得|就)(?:回|去|到)[\u4e00-\u9fff]{0,8}?" + _PLACES + r"(?:去)?"
                          r"(?:办|弄|补|领|开|交|申请|拿|报|换)?(?:吗|吧|么|伐|不|呀)$"
                          # Done at a place, asked to be confirmed: "登记在派出所办吗", "在街道弄伐".
                          r"|(?<![现正实存])在(?!网上|线上|手机|电脑|家里|家)[\u4e00-\u9fff]{0,8}?" + _PLACES +
                          r"(?:办|办理|弄|补|领|开|交|申请|拿|报|换)(?:吗|吧|么|伐|不|呀)$")



# Whether it may be done at a place: "在杭州能开吗，还是得回衢州", "在医院里能办吗", "能在舟山本地办吗" ask where, not
# the conditions ("在网上能办吗" is online's: the lexicon names it).
_AT_PLACE = re.compile(r"(?:(?<![现正实存])在|到(?!底)|去|回)(?!网上|线上|手机|电脑|家里|家)[\u4e00-\u9fff]{1,6}?(?:里|上|这边|那边|这里|那里)?"
                       r"(?:能|可以|能不能|可不可以|好)(?:办|开|弄|申请|交|领|补|换|拿)"
                       r"|(?:还是|还得|还要)(?:一定|必须|非得|只能)?(?:得|要)?(?:回|去|到)[\u4e00-\u9fff]{1,6}"
                       # the may first: "能在舟山本地办吗", "能不能去县医院补"
                       r"|(?:能|可以|能不能|可不可以)(?:(?<![现正实存])在|到(?!底)|去|回)(?!网上|线上|手机|电脑|家里|家)"
                       r"[\u4e00-\u9fff]{1,6}?(?:办|开|弄|申请|交|领|补|换|拿)")

# A place that opens the clause, whether it may be done there: "村里头办得了不", "卫生院能弄吗",
# "绍兴登记的杭州能补伐" (a place of Zhejiang, data/lexicon/regions.yml).
_NEAR_PLACES = ("村里", "村委", "村委会", "镇上", "镇里", "乡里", "乡镇", "街道", "社区", "居委会", "卫生院", "医院",
                "派出所", "银行", "县里", "市里", "区里", "当地", "本地", "附近", "这边", "那边", "这里", "那里")


@lru_cache(maxsize=1)
def _place_opens() -> "re.Pattern[str]":
    from bot.text.regions import place_words

    places = sorted(set(_NEAR_PLACES) | place_words(), key=len, reverse=True)
    return re.compile(r"^(?:那|那么|就)?(?:[\u4e00-\u9fff]{1,6}的)?(?:" + "|".join(map(re.escape, places)) + r")"
                      r"(?:里|头|面|这边|那边)?(?:就|也|都)?(?:能|可以|能不能|可不可以|好)?"
                      r"(?:办|开|弄|申请|交|领|补|换|拿)(?:得了|得成|得好)?")


# A situation told, then "可以吗" ("我想迁到女儿家，投靠她，我今年六十八了，可以吗"): whether one
# may. Not a bare "这样行吗" (a reply to the bot), hence the length.
_MAY_END = re.compile(r"(?:可以吗|可以不|可以伐|行吗|行不|行伐|能行吗|同意吗)$")
MAY_END_MIN = 10

# A message this long, with no sentence that asks, is read clause by clause for its question: its
# last asking clauses, then its last clauses, this many of each at most, from the end.
LONG_UNPUNCTUATED = 40
ASKING_CLAUSES = 3



# Which kind qualifies: "啥样的机器才给补", "什么样的房子能提取" ask the conditions.
_WHICH_KIND = re.compile(r"(?:啥样|什么样|哪样|哪种|哪类)的?[\u4e00-\u9fff]{0,6}?(?:才|能|可以|好)")


# Whether something stands in the way, its object between ("影响贷款吗", "受不受影响", "耽误上学不"): the
# conditions (aspects.yml holds the plain "会影响", "影响吗").
_AFFECTS = re.compile(r"(?:影响|耽误)[\u4e00-\u9fff]{1,6}?(?:吗|么|不|嘛|伐)$|受不受影响|影不影响")


# The whole message "在那" / "去那里" typed for 在哪 / 去哪里 (那 and 哪 are one key on a phone's
# pinyin pad): where. Inside a longer message 在那 is "there" ("在那边上班").
_TYPED_WHERE = re.compile(r"(?:那|那个|这个)?(?:要|得)?(?:在|去|到|上)那(?:里|儿|边)?(?:办|弄|交|领|申请)?"
                          r"(?:呢|啊|呀|啦|嘞)?$")


def _may_shape(folded: str) -> Optional[Tuple[str, int, int]]:
    found = _WHICH_KIND.search(folded) or _AFFECTS.search(folded)
    if found:
        return CONDITIONS, found.start(), found.end()
    found = _MAY_SHAPE.search(folded)
    if found and not cue_pattern("together_may").search(found.group()):
        # "照片我自己带去可以吗": whether one may bring it asks what to bring.
        return MATERIALS if "带" in found.group() else CONDITIONS, found.start(), found.end()
    found = _GO_IN_SHAPE.search(folded)
    if found:
        return VISITS, found.start(), found.end()
    found = _WHERE_SHAPE.search(folded) or _TYPED_WHERE.match(folded)
    return (LOCATION, found.start(), found.end()) if found else None


# Whether one must go to the office at all, asked on its own: "要去税务局不", "还得跑一趟派出所吗"
# (no doing there named, no choice of places: "要去派出所办吗", "是去医院还是…" ask where).
_GO_IN_SHAPE = re.compile(r"^(?:那|那我|我)?(?:还|也)?(?:要|得|需要|必须|非得|一定要)(?:亲自|本人)?(?:去|跑|到)(?:一趟|一下)?"
                          r"[\u4e00-\u9fff]{0,6}?(?:局|所|中心|窗口|大厅|柜台|营业厅)(?:一趟|一下)?(?:吗|不|伐|么|嘛|没)$")


# Whether it is done within a time: "一日搞得好伐", "三天弄得完吗", "当天拿得到手吗".
_WITHIN = re.compile(r"(?:[一两二三四五六七八九十几半]+个?(?:天|日|礼拜|星期|周|工作日)|当天|当日|当场)(?:之内|以内|内)?就?"
                     r"(?:能|可以|好)?(?:搞|办|弄|拿|做)(?:得|的)?(?:好|完|下来|出来|到手)")


def _within_shape(folded: str) -> Optional[Tuple[str, int, int]]:
    found = _WITHIN.search(folded)  # asked ("…伐", "…吗"), not wished ("我想一日搞好")
    return (TIME_LIMIT, found.start(), found.end()) if found and asks(folded[found.start():]) else None


# Which comes first, asked as a choice: "是先买了再报还是先申请再买", "先体检还是先报名" ask the steps.
_ORDER_SHAPE = re.compile(r"先[\u4e00-\u9fff]{1,6}?(?:再[\u4e00-\u9fff]{1,6}?)?还是先?|还是先[\u4e00-\u9fff]{1,6}?再")


def _order_shape(folded: str) -> Optional[Tuple[str, int, int]]:
    found = _ORDER_SHAPE.search(folded)
    return (STEPS, found.start(), found.end()) if found else None


# A supposing clause that opens a question: "不要钱的话…", "要是网上办不了的话…".
_IF_CLAUSE = re.compile(r"^(?:如果|要是|假如|万一)?[^，。,.!?！？]{1,12}?的话")


def asked_aspect(text: str, lexicon: List[Tuple[str, str]]) -> Optional[Tuple[str, str]]:
    """The aspect a message asks about and the phrase (normalised) that says it: in a story of
    several sentences, the question is its last asking sentence ("…前前后后要好几个月。想问问
    现在有没有简易注销，流程是怎样的" asks the steps, not the time); else the whole message."""
    asking_parts = _direct_first(asking_sentences(text))
    asking = asking_parts[0] if asking_parts else None
    if asking is None and len(text) >= LONG_UNPUNCTUATED:
        # A long message without full stops ("…最怕跑过去说材料不全又白跑一趟 所以先问清楚 到底要准备
        # 哪些东西"): its last asking clauses (a few), the first that names an aspect; else as a whole.
        # Then one of its last few clauses whose aspect words ask ("…这个证从申请到批下来要多长时间 来不来
        # 的及"; not one that tells, "没有的话被查到要罚款").
        parts = [c for c in reversed(clauses(text)) if len(c) < LONG_UNPUNCTUATED]
        for last in _direct_first([c for c in parts if asks(c)][:ASKING_CLAUSES]) + parts[:ASKING_CLAUSES]:
            found = asked_aspect(last, lexicon)
            if found and _in_time_beside_time(found, text, lexicon):
                continue
            # (a clause that does not ask asks by the lexicon's own words, not by a sound heard in
            # it: "贷款受不受影响" is no 收不收费)
            if found and (asks(last) or (_asks(found[1]) and any(p in found[1] for p, _ in lexicon))):
                return found
    # A story's question is its last asking sentence that names an aspect ("…可以辦嗎？要什麼條件？
    # 情況是這樣：…不太會用手機…所以先在這裡問問" asks the conditions, not the phone told of).
    for part in asking_parts + [text]:
        # A plain "how do I get it done" (cues.yml how_in_general) asks no one aspect.
        if part is not asking and asking and cue_pattern("how_in_general").search(normalize(asking)):
            return None  # "…被查到要罚款的。想问下这个证咋办": how in general, not the fine told
        folded = normalize(part)
        told_if = _IF_CLAUSE.match(folded)
        later = asked_aspect(folded[told_if.end():], lexicon) if told_if and told_if.end() < len(folded) else None
        if later:
            return later  # "不要钱的话去哪里上": what the clause supposes is told; the question follows it
        found = find_aspect(folded, lexicon)
        may = found is not None and _modal(folded[found[1]:found[2]], found[0])
        if found is None or not _asks(folded[found[1]:found[2]]) or may:
            # A bare noun ("变更地址要啥才料": 地址 is the thing changed) gives way to a question a
            # phone typist's homophone hides (啥才料 = 啥材料).
            # Whether one may ("手机app上能报不") gives way to the thing named, heard or not.
            # ("用手鸡能不能办": 用手机, the thing whether one may do it with)
            heard = find_aspect_by_sound(folded, lexicon)
            found = heard if heard and (found is None or (
                ((may and heard[0] == ONLINE) or _asks(folded[heard[1]:heard[2]])) and heard[0] != CONDITIONS)) else found
        order = _order_shape(folded)
        if order and (found is None or not _asks(folded[found[1]:found[2]])):
            found = order  # "是先交材料再预约还是先预约再交材料": which comes first, not the 材料 named
        found = found or _may_shape(folded) or _within_shape(folded)
        ending = None if found or len(folded) < MAY_END_MIN else _MAY_END.search(folded)
        if ending:
            found = (CONDITIONS, ending.start(), ending.end())
        if found and found[0] == CONDITIONS and _modal(folded[found[1]:found[2]], CONDITIONS):
            # "我在杭州上班能办吗" tells where they live or work: whether they may, not where. Read
            # clause by clause: "忘了去复审，现在还能补救吗" goes nowhere.
            # ("我户口在安徽，人在杭州打工，在这边能开不": the clause before tells where they work.)
            before = ""
            for clause in clauses(part):
                at = _AT_PLACE.search(clause) or _place_opens().search(clause)
                lives = cue_pattern("lives_or_works")  # "我在杭州上班能办吗": where they work, not asked
                if at and not lives.search(before[-6:] + clause[max(0, at.start() - 4):at.end()]):
                    return LOCATION, clause[at.start():at.end()]
                before = clause
        if found and found[0] == VISITS and _HEARD_ONE_GO.search(folded[:found[2]]):
            return None  # "听说可以一次办完？": what the 一件事 is, not how many trips
        if found and part is not text and _in_time_beside_time((found[0], folded[found[1]:found[2]]), text, lexicon):
            continue
        if found and (part is text or _asks(folded[found[1]:found[2]]) or part is asking):
            aspect, start, end = found
            if (aspect == FEE and part is text and len(folded) >= LONG_UNPUNCTUATED and not asks(text)
                    and not _asks(folded[start:end])):
                return None  # "…听说买农机政府会补一部分钞票": a story that asks nothing tells of the money
            return aspect, folded[start:end]
    if asking is None and len(text) < LONG_UNPUNCTUATED:
        # A short message whose question is not its last clause ("外地户口能用公积金贷款买房不 我交了
        # 三年了"): the clause that asks, read alone.
        parts = clauses(text)
        for part in [c for c in reversed(parts) if asks(c)] if len(parts) > 1 else []:
            found = asked_aspect(part, lexicon)
            if found:
                return found
    return None


def _in_time_beside_time(found: Tuple[str, str], whole: str, lexicon: List[Tuple[str, str]]) -> bool:
    """"…现在去办护照要多久能拿到，来得及吗": whether it is done in time for the citizen's plan, asked
    beside how long it takes, asks the time ("还来得及交伐" alone asks whether one still may)."""
    folded = normalize(whole)
    return (found[0] == CONDITIONS and "来得及" in found[1]
            and any(aspect == TIME_LIMIT and phrase in folded for phrase, aspect in lexicon))


# "我也不知道这个归哪个部门管": not knowing is told beside the question, which asks first.
_UNSURE = re.compile(r"^(?:我|俺|阿拉)?(?:也|都|还|实在|真)?(?:不知道|不晓得|不清楚|搞不清|弄不清|不懂|不了解|不大懂)")


def _direct_first(parts: List[str]) -> List[str]:
    """Asking parts (last first) with those that only tell what the citizen does not know after the
    rest, each group in its order (a stable sort)."""
    return sorted(parts, key=lambda p: bool(_UNSURE.match(normalize(p).replace(" ", ""))))


# Done in one go, as heard ("听说可以一次办完？", "人事说退休的手续可以一次办完…是怎么回事"): the
# citizen asks what the 一件事 is.
_HEARD_ONE_GO = re.compile(r"(?:听说|听人说|据说|说|讲)[\u4e00-\u9fff]{0,12}?(?:可以|能|能够)?(?:一次|一趟|一站式)[\u4e00-\u9fff]?(?:办|弄|搞)?(?:完|好|掉|定|齐)")


@lru_cache(maxsize=4)
def _phrase_sounds(lexicon: Tuple[Tuple[str, str], ...]) -> List[Tuple[str, str, int]]:
    """Each phrase of three or more characters as its pinyin (" zhun bei sha "), once per lexicon:
    converting them at every message cost more than the rest of the NLU pipeline together."""
    return [(" " + " ".join(fuzzy(x) for x in lazy_pinyin(phrase)) + " ", aspect, len(phrase))
            for phrase, aspect in lexicon if len(phrase) >= 3]


def find_aspect_by_sound(text: str, lexicon: Sequence[Tuple[str, str]]) -> Optional[Tuple[str, int, int]]:
    """The same, where a phone typist's homophone hides the phrase ("要准被啥", "能半吗"):
    phrases of three or more characters compared by their pinyin, tones and the sounds that
    accents fold (zh/z, n/l, -ng/-n) ignored."""
    # sounds an IME or a southern accent mixes up are one ("要带撒" is 要带啥: sa, sha)
    syllables = [fuzzy(x) for x in lazy_pinyin(text, errors=lambda chars: ["?"] * len(chars))]
    joined = " " + " ".join(syllables) + " "
    quiet = [m.span() for m in _NOT_ASKED.finditer(text)]
    places = place_spans(text)  # a place's name is no homophone: "桐乡上班" is no 线上办
    best: Optional[Tuple[str, int, int]] = None
    for sound, aspect, length in _phrase_sounds(tuple(lexicon)):
        at = joined.find(sound)
        if at >= 0:
            start = joined[:at].count(" ")
            if (_told_time(text, text[start:start + length], start) or _not_asked(quiet, start, start + length)
                    or any(a < start + length and start < b for a, b in places)):
                continue
            if best is None or start < best[1]:
                best = (aspect, start, start + length)
    return best


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False
)
class AspectExtractor(GraphComponent, EntityExtractorMixin):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"lexicon_path": "data/lexicon/aspects.yml"}

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[Text]:
        path = Path(config["lexicon_path"])
        return path.read_text(encoding="utf-8") if path.exists() else None

    def __init__(self, config: Dict[Text, Any]) -> None:
        self._lexicon = aspect_phrases(Path(config["lexicon_path"]))

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "AspectExtractor":
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            original = message.get(TEXT) or ""
            found = asked_aspect(original, self._lexicon)
            if found:
                aspect, phrase = found
                # Offsets in the text as written (bot.text's convention), found from the phrase.
                span = locate(original, phrase)
                start, end = span if span else (0, len(original))
                entity = {"entity": "aspect", "value": aspect, "start": start, "end": end,
                          "confidence": 1.0, "extractor": self.__class__.__name__}
                message.set(ENTITIES, message.get(ENTITIES, []) + [entity], add_to_output=True)
        return messages
