"""A topic named without saying which of its matters (data/lexicon/umbrellas.yml): "社保要怎么转过去"
is 养老 or 医保, "我要办注销" 公司, 户口 or 抵押. The citizen is offered those matters instead of the
one the words happen to lean to."""

from __future__ import annotations

import re
from typing import Iterator, List, Optional, Sequence

from bot.catalogue.lexicons import Umbrella, cue_pattern, umbrella_words
from bot.text.normalize import normalize

# A question that only names its topic is short; a story tells which one, or is the matcher's.
UMBRELLA_CHARS = 30
# ... a little longer when the matcher places it nowhere and the topic is named with what is to be
# done to it ("我在嘉兴干了十年现在回安徽老家了 这边交的东西要转回去 怎么转": where it worked, then the
# topic and 转); a topic word alone in a longer message is its background.
UNPLACED_UMBRELLA_CHARS = 40
# A list of things or all of them at once (cues.yml several: "一个个去跑", "要办的所有手续"): several
# matters (a 一件事), not one topic; so is a list with two 、 ("出生证、户口、医保这些"), read on the text
# as written, for the 、 that normalising drops.
_LISTED = re.compile(r"、.*、")


def umbrella_options(text: str, likeliest: Sequence[str], before: Sequence[str] = (),
                     unplaced: bool = False) -> Optional[List[str]]:
    """The matters a short question names only by their topic, when one of the likeliest readings
    (`likeliest`) is one of them; None when the question says which one, or the citizen's message
    `before` it did ("孩子是在苏州出生的…" then "那孩子在杭州上户口要带啥"), or it is not of that kind.
    `unplaced`: the matcher found no matter for it."""
    folded = normalize(text).replace(" ", "")
    longer = len(folded) > UMBRELLA_CHARS
    if longer and not (unplaced and len(folded) <= UNPLACED_UMBRELLA_CHARS):
        return None
    said_before = [normalize(t).replace(" ", "") for t in before]
    for entry in _named(folded):
        if any(w in folded for w in entry.unless) or not set(likeliest) & set(entry.options):
            continue
        if longer and not entry.with_:
            continue
        # (the topic's own words may hold a word of several: "以前交的那些" is the topic, not a list)
        covered = set()
        for word in entry.words:
            for m in re.finditer(re.escape(word), folded):
                covered.update(range(m.start(), m.end()))
        rest = "".join(c for i, c in enumerate(folded) if i not in covered)
        if _LISTED.search(text) or _several(rest, rest):
            return None
        if _told(entry, folded):
            return None  # "社保里养老那块怎么转": it says which (or names several: the matcher reads it)
        if any(len(_told(entry, b)) == 1 for b in said_before):
            return None
        return list(entry.options)
    return None


def told_option(text: str) -> Optional[str]:
    """The one matter of a topic a question names and tells apart ("孙子满16了还没办过身份证" is
    首次申领), or None."""
    folded = normalize(text).replace(" ", "")
    if _several(text, folded):
        return None
    for entry in umbrella_words():
        if any(w in folded for w in entry.words) and not any(w in folded for w in entry.unless):
            told = _told(entry, folded)
            if len(told) == 1:
                return told[0]
    return None


def option_told_before(text: str, before: Sequence[str]) -> Optional[str]:
    """The one matter of a topic that a question names only by its topic ("那户口去哪里上") when the
    citizen's earlier messages tell which ("宝宝出生一个月了…": 出生登记), or None."""
    folded = normalize(text).replace(" ", "")
    if len(folded) > UMBRELLA_CHARS or _several(text, folded):
        return None
    earlier = [normalize(t).replace(" ", "") for t in before]
    for entry in _named(folded):
        if any(w in folded for w in entry.unless) or _told(entry, folded):
            return None
        told = {code for b in earlier for code in _told(entry, b)}
        return told.pop() if len(told) == 1 else None
    return None


def option_told_among(text: str, candidates: Sequence[str]) -> Optional[str]:
    """The one option offered that an answer to "which one?" tells by a topic's words for it
    ("每个月都有的那种" after 低保 or 临时救助: 低保's 每个月), or None."""
    folded = normalize(text).replace(" ", "")
    if len(folded) > UMBRELLA_CHARS or _several(text, folded):
        return None
    for entry in umbrella_words():
        if len(set(entry.options) & set(candidates)) < 2:
            continue
        told = [code for code in _told(entry, folded) if code in candidates]
        if len(told) == 1:
            return told[0]
    return None


# "不是补办，是到期了要换" (Wu "勿是…"; 弗 the normaliser already folds to 不): the one said not to be
# meant, then the one that is.
_NOT_BUT = re.compile(r"^(?:我)?(?:不是|勿是|并不是|不是要|没有)[\u4e00-\u9fff]{1,8}?(?:的)?(?:是|而是|我是|就是|只是)(?P<meant>[\u4e00-\u9fff]{2,})")


def corrected_option(text: str, current: str) -> Optional[str]:
    """The matter of the current one's topic a correction says is meant ("不是补办，是到期了要换"
    after 身份证补领: 换领), or None when the message corrects nothing or names no one other option."""
    folded = normalize(text).replace(" ", "")
    found = _NOT_BUT.match(folded)
    if not found:
        return None
    meant = found.group("meant")
    for entry in umbrella_words():
        if current not in entry.options:
            continue
        told = [code for code in _told(entry, meant) if code != current]
        if len(told) == 1:
            return told[0]
    return None


def _named(folded: str) -> Iterator[Umbrella]:
    """The topics a question names: one of their words, and one of their `with` words if they list any."""
    for entry in umbrella_words():
        if any(w in folded for w in entry.words) and (not entry.with_ or any(w in folded for w in entry.with_)):
            yield entry


def _several(text: str, folded: str) -> bool:
    several = cue_pattern("several")
    return bool(_LISTED.search(text) or several.search(text) or several.search(folded))


def _told(entry: Umbrella, folded: str) -> List[str]:
    return [code for code, tells in entry.options.items() if any(w in folded for w in tells)]
