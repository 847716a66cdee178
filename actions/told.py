"""Clauses that deny a thing or tell it is had already ("不是丢了", "出生证明已经拿到了", "拿到出生证明以后…"):
a matter named only there is not what the citizen asks about."""

from __future__ import annotations

import re
from typing import List

from actions.naming import bigrams, naming_pairs
from bot.text.normalize import normalize
from bot.text.sentences import clauses


# A clause that says what the citizen does not need or is not doing ("我的医保关系不用转移过去吧",
# "不用回来手工报销吧", "不是挂失补卡"), or already has ("出生证明已经拿到了"); not a question of
# whether ("要不要", "是不是", "用不用", "拿到了吗"), nor what the citizen lacks ("我没有社保卡" asks
# for one). A paper held is told had too ("俺是外地户口，在萧山有居住证").
_CLAUSES = re.compile(r"[^，。！？,.!?；;、\s]+")
_DENIES = re.compile(r"(?<![是用需])(?:不是|不用|不需要|用不着|无需|不必)(?![不])"
                     # a thing not wanted moved: "我不想把医保转过去的 就在这边登记一下"
                     r"|不想把|不愿意?把|不想(?:转|迁)"
                     r"|(?:已经|早就|早已|已|刚刚|刚)(?:拿到|办好|办了|办过|领了|领到|有了|开好|开了|开过|弄好|办下来)"
                     r"|(?:拿到|办好|领到|开好|弄好|办下来)了(?![吗没么伐嘛]|没有)"
                     # a paper the citizen holds, told at the end of its clause ("在萧山有居住证"),
                     # not one needed or lacked ("要有居住证", "没有社保卡"), nor one there is ("听说现在有个优待证")
                     r"|(?<![没要需还只得该才能])有(?![没什么啥哪多几个一种些])[\u4e00-\u9fff]{0,5}?(?:证|照|卡|簿)$")


# A thing named only to compare with ("会不会跟挂失一样马上作废", "要不要像结婚登记那样两个人都到场",
# "是不是等于重新上牌"):
# it is not what the message asks about.
COMPARED = re.compile(r"(?:跟|和|像|同)[\u4e00-\u9fff]{1,8}?(?:一样|似的|那样|一个样)"
                      # "过户了是不是等于重新上牌": what a thing amounts to, asked
                      r"|(?:等于|相当于|等同于)[\u4e00-\u9fff]{1,8}?(?=[吗呢吧么嘛伐？?，,。\s]|$)")


def _written_clauses(text: str) -> List[str]:
    """The clauses of the message as written (spaces part them too: "不是丢了 是从来没办过" is two),
    normalised."""
    return [c for c in (normalize(part).replace(" ", "") for part in _CLAUSES.findall(text)) if c]


def denied_clauses(text: str) -> List[str]:
    """The clauses of the message that deny: "不是丢了"."""
    return [c for c in _written_clauses(text) if _DENIES.search(c)]


# A thing had first, as the time of what is asked ("拿到出生证明以后报户口去哪个派出所", "等残疾证办好后"):
# had, like a clause that says it is done; the rest of its clause is what is asked.
# So is a thing set aside as had ("除了那本退伍证还要准备啥": what else, besides it).
_HAD_FIRST = re.compile(r"(?:等|在)?(?:拿到|领到|办好|开好|弄好|办下来|有了)[\u4e00-\u9fff]{1,10}?(?:以后|之后|后)"
                        r"|除了[\u4e00-\u9fff]{1,8}?(?:以外|之外)?(?=还|另外|别的|其他|其它)")


def undenied_clauses(text: str) -> List[str]:
    """The clauses of the message that do not deny, without a thing had first: "现在要上户口" of
    "孩子出生证明已经拿到了，现在要上户口", "那报户口去哪个派出所" of "那拿到出生证明以后报户口去哪个派出所"."""
    return [rest for rest in (_HAD_FIRST.sub("", c) for c in _written_clauses(text) if not _DENIES.search(c)) if rest]


def without_denied(text: str) -> str:
    """The message as written without its clauses that deny or tell a thing had, the punctuation
    after them too, its sentences kept: what is asked besides them ("…浙A牌照…俺想把车弄到俺名下，
    俺是外地户口，这个能办不？" of "…俺是外地户口，在萧山有居住证，这个能办不？")."""
    return re.sub(_CLAUSES.pattern + r"[，,、；;\s]?",
                  lambda m: "" if _DENIES.search(normalize(m.group(0).rstrip("，,、；; ")).replace(" ", "")) else m.group(0),
                  text)


def only_denied(text: str, words: set) -> bool:
    """Whether every pair of `words` (a matter's name and alias bigrams) that the message says is
    said in a clause that denies it, or only to compare with it (COMPARED): "我的医保关系不用转移过去吧？
    备案就够了对吗" names 转移 only to say it is not needed, "出生证明已经拿到了，办接种证还要带什么" 出生证明 only to say it is done,
    so they ask nothing of 医保转移 or 出生医学证明."""
    folded = normalize(text).replace(" ", "")
    said = naming_pairs(folded) & words
    if not said:
        return False
    denied = set().union(*(bigrams(c) for c in _CLAUSES.findall(folded) if _DENIES.search(c)))
    denied |= set().union(*(bigrams(c) for c in COMPARED.findall(folded) + _HAD_FIRST.findall(folded)))
    return said <= denied


# A clause that only says a thing is done goes with the clause before it: "残疾证是肢体二级，已经办好几年了".
_DONE_ALONE = re.compile(r"^(?:都|也|早)?(?:已经|早就|早已|已)")

# A few words after a clause that says a thing is had, telling which one it is ("个体户的", "肢体二级的").
_WHICH_ONE = re.compile(r"^[\u4e00-\u9fff]{1,5}的$")


def only_told_had(text: str, words: set) -> bool:
    """only_denied for a story, clause by clause as written: every pair of `words` the story says
    stands in a clause that says the thing is not needed or already had, or just before a clause
    that says so of it ("残疾证是肢体二级，已经办好几年了…残联有补贴…我们这种能申请吗")."""
    parts = clauses(text)
    said = set().union(*map(naming_pairs, parts)) & words
    if not said:
        return False
    denied: set = set().union(*(bigrams(h) for c in parts for h in _HAD_FIRST.findall(c)))
    for i, clause in enumerate(parts):
        if _DENIES.search(clause):
            denied |= bigrams(clause)
            if i and _DONE_ALONE.match(clause):
                denied |= bigrams(parts[i - 1])
            if i + 1 < len(parts) and _WHICH_ONE.match(parts[i + 1]):
                denied |= bigrams(parts[i + 1])  # "营业执照上个礼拜刚拿到，个体户的": which one was had
    return said <= denied

