"""A document not named (data/lexicon/documents.yml): "我的证丢了咋补办" offers the lost-document
matters people most often mean, instead of whatever matters share the words 丢 and 补."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import List, Optional, Set, Tuple

from actions.api.hall import hall
from actions.naming import EVERYDAY_PAIRS, bigrams, name_bigrams, naming_pairs
from bot.catalogue.lexicons import cue_pattern, document_words
from bot.text.denial import denied
from bot.text.normalize import normalize
from bot.text.sentences import asks, clauses

# A question about "my document" is short; a story that mentions 证 is read by the matcher.
GENERIC_CHARS = 20
# A greeting before it counts for nothing ("請問一下，我爸爸的證件過期了，要換新的，要怎麼弄？").
_GREETING = re.compile(r"^(?:你好|您好|请问一下|请问下|请问|问一下|问下|麻烦问一下|麻烦问下|想问一下|想问下)+")


def unnamed_document(text: str) -> Optional[List[str]]:
    """The options for a short question about a document it does not name ("我的证丢了咋补办",
    "证件到期了要换"), or None."""
    folded = normalize(text).replace(" ", "")
    found = document_words()
    if len(_GREETING.sub("", folded)) > GENERIC_CHARS or any(n in folded for n in found.named) or not any(g in folded for g in found.generic):
        return None
    child = any(w in folded for w in found.child)
    return next((list(a.child_options if child and a.child_options else a.options)
                 for a in found.actions.values() if any(w in folded for w in a.words)), None)


# The generic word standing bare, someone's or this one, then what happened to it ("我爸的证过期了",
# "证件掉了"): no document named, whatever the matcher leans to; not "许可证快到期", "银行卡丢了",
# "打疫苗的本子丢了" (whose 的 qualifies it).
_OWNERS = r"(?:我|他|她|俺|爸|妈|爹|娘|儿子|女儿|老婆|老公|媳妇|孩子|小孩|奶奶|爷爷|外婆|外公|老人|家里|自己)"
_BARE_GENERIC = re.compile(r"(?:^|" + _OWNERS + r"的?|(?<!的)(?:这个|那个|这|那))(?:证件|证书|证|卡|本本|本子)"
                           r"(?=[丢掉坏过到快要被换补遗不找寻弄搞]|(?:全|都)(?:在|丢|掉|没|被)|$)")


def bare_document(text: str) -> bool:
    """Whether a question that unnamed_document reads speaks of its document by a generic word
    alone ("我爸的证过期了要换个新的")."""
    # (clause by clause too: "钱包被偷了 证件全在里面" opens a clause on it)
    return any(_BARE_GENERIC.search(part) for part in [normalize(text).replace(" ", ""), *clauses(text)])


def acted_on(text: str) -> Set[str]:
    """The matters whose document the message says something happened to: "丢了", "被偷" say the
    lost-document matters, "到期" the renewals — "驾驶证丢了咋补" after 驾驶证换证 names another
    matter. Getting a new one ("换一张", "补办") says nothing of which: a lost card is 换 too."""
    return _acts(text)[0]


def denied_acts(text: str) -> Set[str]:
    """The matters whose act the message says only to deny it ("边角都磨破了，但是没丢": not the
    lost-document matters, whatever the words of the document lean to)."""
    return _acts(text)[1]


def _acts(text: str) -> Tuple[Set[str], Set[str]]:
    """(the matters whose act is told, those whose act is said only denied), in one pass."""
    folded = normalize(text).replace(" ", "")
    told: Set[str] = set()
    denied_only: Set[str] = set()
    for act in document_words().actions.values():
        words = [w for w in act.words if w and not _NEW_ONE.search(w)]
        if any(_told(w, folded) for w in words):
            told |= set(act.options)
        elif any(w in folded for w in words):
            denied_only |= set(act.options)
    return told, denied_only


def _told(word: str, folded: str) -> bool:
    """The word said and not denied ("证没丢，只是旧了" tells no loss)."""
    return any(not denied(folded, m.start()) for m in re.finditer(re.escape(word), folded)) if word else False


_NEW_ONE = re.compile(r"[换补]")


# Someone else using a lost document (cues.yml used_by_others after 被, misuse anywhere):
# "里面的钱会不会被人用掉", "会不会被人冒用去贷款".
@lru_cache(maxsize=1)
def _misuse() -> "re.Pattern[str]":
    return re.compile(r"被(?:人|别人|坏人)?(?:" + cue_pattern("used_by_others").pattern + ")|" + cue_pattern("misuse").pattern)


def fears_misuse(text: str, current: Optional[str]) -> bool:
    """Whether the message fears the lost document in hand being used by someone else: a question
    about that matter (挂失 stops it), whatever department the money in it suggests."""
    lost = document_words().actions.get("lost")
    return bool(lost and current in lost.options and _misuse().search(normalize(text).replace(" ", "")))


async def replacement_asked(text: str, code: str, ranked: List[str]) -> Optional[str]:
    """"身份证被偷了，下周要坐火车，补一个要多久": a document the message tells lost and asks to
    replace (补, in a clause that asks) is that document's lost-document matter, not the sibling
    the story's situation leans to (临时身份证, for the train), unless the asking clauses say the
    sibling's own words (临时). The one lost-document option of the same document (its name's
    words; among the matcher's readings `ranked` when several are), or None."""
    # (补 asked: "补一个要多久", "能在这边补吗", "补办的话要几天"; checked first, it is on every
    # first message's path)
    if "补" not in normalize(text):
        return None
    asking = [c for c in clauses(text) if asks(c)]
    told = acted_on(text)
    if code in told or not any("补" in normalize(c) for c in asking):
        return None
    mine = await hall().guide(code)
    if not mine:
        return None
    # the option of the same document (its name's words), among the matcher's readings when several
    same = [(c, g) for c in sorted(told) if (g := await hall().guide(c))
            and (bigrams(mine["name"]) & bigrams(g["name"])) - EVERYDAY_PAIRS]
    if len(same) > 1:
        same = [(c, g) for c, g in same if c in ranked]
    if len(same) != 1:
        return None
    option, theirs = same[0]
    own = naming_pairs(mine["name"]) - name_bigrams(theirs)
    if own & set().union(*(naming_pairs(normalize(c)) for c in asking)):
        return None  # "补好之前能先办个临时的吗": the sibling asked by its own words
    return option
