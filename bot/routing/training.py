"""The router's training examples, from the department knowledge and the catalogue.

Every phrasing of a remit file teaches its department (and, by the list it is in, a request
type); ``not_handled`` topics teach the department they go to, or "none of ours" when they go to
a body outside; ``_outside.yml`` teaches "none of ours"; each routed message (data/catalogue/routed/)
teaches the department given with it and its request type. The catalogue adds its matters' names
and aliases and the departments' own names, so a matter the matcher knows routes to its department.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, List, Optional

from bot.routing.knowledge import NONE_OF_OURS, Knowledge
from bot.vocabulary import RequestType

if TYPE_CHECKING:  # pragma: no cover
    from bot.catalogue import Catalogue

NONE = NONE_OF_OURS  # the class of messages for no department of ours (also the label in the test sets)

# Small talk names no department either; the remit files are about departments, so the router
# learns it here (a greeting must not send a citizen to the police).
CHITCHAT = (
    "你好", "您好", "在吗", "有人吗", "你好在吗", "哈喽", "早上好", "晚上好", "谢谢", "谢谢你", "好的", "知道了",
    "再见", "拜拜", "你是谁", "你是机器人吗", "你叫什么名字", "你会干什么", "讲个笑话", "陪我聊聊天",
    "今天天气怎么样", "明天会下雨吗", "现在几点了", "今天星期几", "一加一等于几", "我心情不好", "无聊",
    "哈哈哈", "嗯嗯", "测试", "随便问问", "推荐一部电影", "附近有什么好吃的", "唱首歌吧",
)

# A routed message for none of ours counts this much: writers' "none" messages are as varied as
# everything outside our remits, and counted whole they made the classifier read "none" into short
# questions and stories of ours. Chosen out of fold (each writer by a router fitted without them,
# words only, the mean of routed right over the writers): with writers A, B and N, 1.0 -> 0.5 gave
# A 0.942 -> 0.944, B 0.940 -> 0.943, N 0.956 -> 0.960; with EE, FF and GG added, 0.5 -> 0.25 gave
# the six writers' mean 0.9335 -> 0.9360 and ours taken for outside lower for five of six (GG 0.081 -> 0.051).
ROUTED_NONE_WEIGHT = 0.25

# Which request type each phrasing list shows.
LIST_TYPES = {
    "asks": RequestType.CONSULT,
    "complaints": RequestType.COMPLAINT,
    "requests": RequestType.HELP,
    "suggestions": RequestType.SUGGESTION,
}


@dataclass(frozen=True)
class Example:
    text: str
    label: str                            # a department code, or NONE
    source: str                           # asks, …, topic, not_handled, outside, routed, chitchat, alias, department
    type: Optional[RequestType] = None    # the request type the phrasing shows, when its list says
    weight: float = 1.0                   # how much the classifier counts it


def examples(knowledge: Knowledge, catalogue: Optional["Catalogue"] = None) -> List[Example]:
    out: List[Example] = []
    for code, remit in knowledge.remits.items():
        for field, texts in remit.phrasings().items():
            out += [Example(t, code, field, LIST_TYPES[field]) for t in texts]
        out += [Example(str(t), code, "topic") for t in remit.topics]
        out.append(Example(str(remit.remit), code, "remit"))
        for item in remit.not_handled:
            target = str(item.goes_to)
            out.append(Example(str(item.topic), target if target in knowledge.remits else NONE, "not_handled"))
    out += [Example(t, NONE, "chitchat") for t in CHITCHAT]
    for body in knowledge.outside:
        out += [Example(str(t), NONE, "outside", RequestType.CONSULT) for t in body.phrasings]
        out.append(Example(str(body.what), NONE, "outside"))
    out += [Example(str(m.text), m.department, "routed", m.type, ROUTED_NONE_WEIGHT if m.department == NONE else 1.0)
            for m in knowledge.routed]
    if catalogue is not None:
        for guide in catalogue.all_guides():
            if guide.department in knowledge.remits:
                out += [Example(str(t), guide.department, "alias") for t in (guide.name, *guide.aliases)]
        for dept in catalogue.departments.values():
            if dept.code in knowledge.remits:
                out += [Example(str(t), dept.code, "department") for t in (dept.name, *dept.aliases)]
    return [e for e in out if e.text.strip()]
