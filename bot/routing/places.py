"""Places outside Zhejiang: a message about another province's office is none of our departments.

"上海的居住证积分" and "苏州的公积金贷款额度" are for Shanghai's and Suzhou's offices, while "户口在安徽，
在杭州上学" is ours. The router does not decide on the place alone: it gives the gate signals
(another place is named; it is named and no Zhejiang place is; it is named as the matter's own) and
the fitted weights decide. The places are data/lexicon/regions.yml's (bot.text.regions), the one
list the actions use too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Pattern

from bot.catalogue.lexicons import cue_pattern
from bot.text.regions import elsewhere_words, names_zhejiang_normalized, place_words


@lru_cache(maxsize=1)
def _other_re() -> Pattern[str]:
    zhejiang = place_words()
    # A name that is also a Zhejiang place (none today) must never count as "elsewhere".
    other = sorted({p for p in elsewhere_words(abroad=False) if p not in zhejiang}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, other)))


@dataclass(frozen=True)
class PlaceSignals:
    other: bool        # a place outside Zhejiang is named, other than as the citizen's origin
    zhejiang: bool     # a Zhejiang place is named as where the matter is (not only where the citizen is now)
    possessive: bool   # "上海的居住证", "苏州那边": the matter itself is there
    mentions: int      # how often places outside Zhejiang are named (origins included)


# "我是四川过来的", "俺是河南来义乌打工的", "安徽户口在杭州": where the citizen comes from, not where
# the matter is.
# "老家贵州的，在滨江工地干活", "户口在安徽老家": the same, told before the place.
_ORIGIN_BEFORE = ("是", "从", "系", "老家", "户口在", "户籍在", "老家在")
_ORIGIN_AFTER = ("人", "过来", "来的", "来", "户口", "户籍", "籍", "嚟", "搬")
# Punctuation is gone from a normalised text: "老家贵州的跟着包工头干" tells who the citizen is when
# a new clause starts after "的" (a pronoun, a verb of doing, a linking word), not a noun.
_TOLD_END = re.compile(r"的?(?:[我你他她在跟和现今去来已从到打做干因所但可就也都还]|一直|$)")
_POSSESSIVE_AFTER = ("的", "那边", "那里", "那儿", "当地", "本地", "嘅")


def place_signals(normalized: str) -> PlaceSignals:
    """Where the places a normalised message names are, and how it names them."""
    other = possessive = False
    mentions = 0
    # "老伴去年在上海的医院住了二十多天…现在回来了 这些钱还能不能报": what happened there, asked of
    # us now that the citizen is back (cues.yml back_here).
    if cue_pattern("back_here").search(normalized):
        return PlaceSignals(False, names_zhejiang_normalized(normalized), False, len(_other_re().findall(normalized)))
    matches = list(_other_re().finditer(normalized))
    for i, match in enumerate(matches):
        mentions += 1
        # "俺是河南周口的", "我老家安徽阜阳": a province then its city is one place; the pair is read
        # from the first name's left and the last name's right.
        first = i
        while first > 0 and matches[first - 1].end() == matches[first].start():
            first -= 1
        last = i
        while last + 1 < len(matches) and matches[last + 1].start() == matches[last].end():
            last += 1
        before = normalized[max(0, matches[first].start() - 3):matches[first].start()]
        after = normalized[matches[last].end():matches[last].end() + 2]
        # "老家贵州的，…" tells who the citizen is; "老家安徽的宅基地" is a thing there.
        told = bool(_TOLD_END.match(normalized, matches[last].end()))
        owns = after.startswith(_POSSESSIVE_AFTER) and not told
        origin = after.startswith(_ORIGIN_AFTER) or (before.endswith(_ORIGIN_BEFORE) and not owns)
        # "我在北京上班…老家房子", "去上海复查": where the citizen is or goes (cues.yml away_doing), not the matter's place.
        away = before.endswith(("在", "去", "到")) and bool(cue_pattern("away_doing").match(normalized, matches[last].end()))
        origin = origin or away
        possessive = possessive or (owns and not away)  # "去香港的证": the permit to go, not Hong Kong's
        if not origin:
            other = True
    return PlaceSignals(other, names_zhejiang_normalized(normalized), possessive, mentions)
