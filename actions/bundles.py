"""一件事 (bundles) in a conversation: the bundle a follow-up is inside, the member it names, and a
question that names several members of one bundle to be done together."""

from __future__ import annotations

import re
from functools import lru_cache
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Set, Tuple

from rasa_sdk import Tracker

from actions.api.hall import hall
from actions.conversation import aspect_span, entity, is_button, match_of, text_of
from actions.cues import STORY_CHARS, says
from actions.naming import EVERYDAY_PAIRS, bigrams, names_of, naming_pairs
from bot.catalogue.lexicons import cue_pattern
from bot.text.normalize import normalize
from bot.vocabulary import FALLBACK_MATTER, Aspect, MatterKind


# Doing several things at once ("一起弄", "合起来办", "好一道办伐", "一趟办掉"): cues.yml done_together.
# "一次办好" (cues.yml done_in_one_go) is doing several things at once only when several are listed
# ("过户跟水电瓦斯的名字是不是可以一次办好"); alone it is one trip for one thing ("我想一次弄好，在杭州报名要准备啥").
# The whole set of procedures around one thing ("入学那一套手续咋弄"): cues.yml whole_set.
# A 一件事 the matcher scores this much beside its first reading is one it also reads; this much as
# its first reading, one it leans to.
ALSO_READ = 0.1
LEANS_TO = 0.3
# People going together ("是不是要跟结婚那时候一样两个人一起去"): who comes, not matters done together.
_PEOPLE_TOGETHER = re.compile(r"(?:两个人|两人|俩|双方|夫妻|两口子|我们|一家人|全家)都?(?:要|得|必须|需要)?一起"
                              r"(?:去|来|到场|到|过去|出面)")
# 套 counting a house ("儿子以前买的那套老房子") is no whole set of procedures (cues.yml whole_set).
_HOUSE_COUNTED = re.compile(r"[那这一]套(?=(?:老|旧|新|二手|小|大)?(?:房|屋|公寓|住宅|商品房))")
# A message this long tells things of its own; a shorter one ("能在网上一起办吗") follows up.
TELLS_THINGS = 16
# Things listed together ("过户跟水电"): cues.yml listed_with, read on the folded text (no 、).


@dataclass(frozen=True)
class MemberWords:
    """How a member of a 一件事 is named: its name and aliases of three or more characters
    (normalised, to be found word for word), the bigrams of its name and of name and aliases
    together, and those of the latter that no other member of the 一件事 holds."""

    long_names: List[str]
    name_bigrams: Set[str]
    all_bigrams: Set[str]
    own_bigrams: Set[str]


_MEMBER_WORDS: Dict[str, Tuple[Dict[str, Any], Dict[str, MemberWords]]] = {}


async def _member_words(bundle: Dict[str, Any]) -> Dict[str, MemberWords]:
    """Per member of a 一件事 (by code), how it is named. Worked out once per guide the hall
    client caches, not at every follow-up."""
    cached = _MEMBER_WORDS.get(bundle["code"])
    if cached and cached[0] is bundle:
        return cached[1]
    members = [g for m in bundle.get("member_guides") or [] if (g := await hall().guide(m["code"]))]
    names = {m["code"]: bigrams(m["name"]) for m in members}
    words = {m["code"]: names[m["code"]].union(*(bigrams(n) for n in m.get("aliases", []))) for m in members}
    out = {m["code"]: MemberWords(
        long_names=[normalize(n).replace(" ", "") for n in names_of(m) if len(n) >= 3],
        name_bigrams=names[m["code"]],
        all_bigrams=words[m["code"]],
        own_bigrams=words[m["code"]] - set().union(*(w for c, w in words.items() if c != m["code"])))
        for m in members}
    _MEMBER_WORDS[bundle["code"]] = (bundle, out)
    return out


# "她的公积金可以全部提出来吗": all of the money, not all of the 一件事.
_ALL_THE_MONEY = re.compile(r"(?:全部|全都|一次性|一次)(?=[提取拿领退])")
# An office named as the place asked about (cues.yml office_guess): "社保局吗", "是去派出所还是民政局".
@lru_cache(maxsize=1)
def _office() -> "re.Pattern[str]":
    return re.compile(r"[\u4e00-\u9fff]{1,4}?(?:" + cue_pattern("office_guess").pattern + ")")


# A member the matcher reads at least this well breaks a tie of members the words name.
MEMBER_READ = 0.1


async def bundle_turn(tracker: Tracker, current: Optional[str], aspect: Optional[str]) -> Optional[str]:
    """Inside a 一件事, the matter a follow-up is about when it is not the current one: the whole
    一件事 asked again ("整个办下来要几天"), or the one member the follow-up names ("契税要交多少",
    "医保那个网上能弄吗")."""
    if not current or is_button(tracker) or entity(tracker, "matter") == current:
        return None
    bundle = await bundle_in_context(tracker, current)
    if bundle is None:
        return None
    text = text_of(tracker)
    if says(_ALL_THE_MONEY.sub("", text), "whole_bundle") and aspect:
        return bundle["code"]  # "能不能网上一次交掉": the whole, whatever member a word brushes
    # The words outside the aspect's own, that one member alone holds in its name or aliases.
    span = aspect_span(tracker)
    topic = text[:span[0]] + " " + text[span[1]:] if span else text
    if aspect == Aspect.LOCATION:
        topic = _office().sub(" ", topic)  # "去哪里办 社保局吗": a guess at the place, no member named
    said = naming_pairs(topic) - EVERYDAY_PAIRS
    if aspect == Aspect.LOCATION and current == bundle["code"] and not said:
        return bundle["code"]  # nothing but a place guessed: where the whole is done
    members = await _member_words(bundle)
    # Its name first ("发票" is 发票领用's, though another member's alias speaks of invoices),
    # then its aliases ("刻章").
    named: List[str] = []
    for words in ({c: m.name_bigrams for c, m in members.items()}, {c: m.all_bigrams for c, m in members.items()}):
        hits = {code: said & own - set().union(*(w for c, w in words.items() if c != code))
                for code, own in words.items()}
        named = [code for code, hit in hits.items() if hit]
        if len(named) == 1:
            return None if named[0] == current else named[0]
    # Several named ("房子过户给我妈": 我妈 brushes the 抚恤金's words): the one the matcher reads
    # likeliest of them, when it reads one at all.
    ranked = [m["matter"] for m in match_of(tracker).matches if float(m.get("score") or 0.0) >= MEMBER_READ]
    pick = next((code for code in ranked if code in named), None)
    return None if pick is None or pick == current else pick


async def bundle_in_context(tracker: Tracker, current: str) -> Optional[Dict[str, Any]]:
    """The 一件事 the conversation is in: the current matter itself, or the bundle answered
    earlier whose member the current matter is."""
    guide = await hall().guide(current)
    if guide and guide["kind"] == MatterKind.BUNDLE:
        return guide
    seen = []
    for event in reversed(tracker.events[-60:]):
        code = ((event.get("data") or {}).get("custom") or {}).get("matter") if event.get("event") == "bot" else None
        if code and code != current and code not in seen:
            seen.append(code)
            other = await hall().guide(code)
            if other and other["kind"] == MatterKind.BUNDLE:
                members = {m.get("code") for m in other.get("member_guides") or []}
                return other if current in members else None
    return None


async def named_bundle(tracker: Tracker) -> Optional[str]:
    """The 一件事 whose members the message names, the matcher's best reading (or the 一件事
    itself, when the matcher is unsure of it) among them: two of them with "together" words
    ("能不能一起办", "合起来办"), or three; or the one 一件事 of the matter read, asked of as a
    whole set ("入学那一套手续咋弄"), asked which things there are to do, or to do them together. A member is named by its name or an alias of three or more
    characters, word for word, or two words (bigrams) of them that no other member of the 一件事
    holds."""
    text = text_of(tracker)
    folded = normalize(text).replace(" ", "")
    view = match_of(tracker)
    top = next((m["matter"] for m in view.matches if m["matter"] != FALLBACK_MATTER), None)
    if is_button(tracker) or len(folded) < 8 or top is None:
        return None
    top_guide = await hall().guide(top)
    if top_guide is None or (top_guide["kind"] == MatterKind.BUNDLE and not (view.abstain or view.clarify)):
        return None  # a 一件事 named by its own name is the matcher's to find
    together = bool(cue_pattern("done_together").search(_PEOPLE_TOGETHER.sub("", folded))
                    or (cue_pattern("done_in_one_go").search(folded) and cue_pattern("listed_with").search(folded)))
    top_score = float(view.matches[0].get("score") or 0.0) if view.matches else 0.0
    if (together and top_guide["kind"] == MatterKind.BUNDLE and len(folded) >= TELLS_THINGS
            and top_score >= LEANS_TO):
        # "出生证 户口 医保那些能不能一起弄掉", or a story of a birth ending "有啥办法一趟弄好", read
        # as the 一件事 but not for sure: it.
        return top
    if len(folded) > STORY_CHARS:
        return None  # a story's members told are counted no further: what it asks is its own
    # A 一件事 the matcher also reads, beside the member it reads first, when several things are
    # listed ("过户跟水电的名字是不是可以一次办好": 二手房过户, then its 一件事): the 一件事. Not
    # "我想一次弄好，在杭州报名要准备啥": one trip for one matter.
    also = ({m["matter"] for m in view.matches if float(m.get("score") or 0) >= ALSO_READ}
            if cue_pattern("listed_with").search(folded) else set())
    said = naming_pairs(text) - EVERYDAY_PAIRS
    best: Tuple[int, Optional[str]] = (0, None)
    holding = []
    brushed = 0  # members of the last 一件事 holding the reading that the message touches a word of
    for bundle in await hall().bundles():
        members = await _member_words(bundle)
        if top not in members and top != bundle["code"]:
            continue  # the matcher's reading must be one of them, or the 一件事 itself
        holding.append(bundle["code"])
        count = sum(1 for m in members.values()
                    if any(n in folded for n in m.long_names) or len(said & m.own_bigrams) >= 2)
        brushed = sum(1 for m in members.values() if said & m.own_bigrams)
        if (count >= 3 or (count >= 2 and together)) and count > best[0]:
            best = (count, bundle["code"])
        elif together and bundle["code"] in also and best[1] is None:
            best = (1, bundle["code"])
    if best[1] is None and len(holding) == 1 and (cue_pattern("whole_set").search(_HOUSE_COUNTED.sub("", folded))
                                                  or says(text, "which_procedures")
                                                  or (together and brushed >= 2)):
        # Of the one 一件事 the matter read belongs to: asked as a whole set ("入学那一套手续咋弄"),
        # which things there are to do ("退休啥个手续要弄哪几样"), or to do it together with
        # another member touched on ("房子卖掉了…水电煤气一次性一起弄好"; not "社保卡和身份证一起办").
        return holding[0]
    return best[1]


async def member_among(current: Optional[str], ranked: List[str]) -> Optional[str]:
    """The first of the options that is a member of the current 一件事 bundle."""
    guide = await hall().guide(current) if current else None
    members = {m.get("code") for m in (guide or {}).get("member_guides") or []}
    return next((code for code in ranked if code in members), None)


async def members_of(code: str) -> Set[str]:
    """The member matters of a 一件事 (empty for any other matter)."""
    guide = await hall().guide(code)
    if not guide or guide["kind"] != MatterKind.BUNDLE:
        return set()
    return {m["code"] for m in guide.get("member_guides") or [] if m.get("code")}


async def holds_any(code: str, matters: Set[str]) -> bool:
    """Whether `code` is a 一件事 one of whose members is among `matters` (a story that tells
    "退役报到已经去过了" asks neither the registration nor the veterans' bundle that starts with it)."""
    return bool(await members_of(code) & set(matters))
