"""Which option a citizen's answer to "which one?" picks: by its number, by the options it names
only to deny, by its own words, or read together with the question it answers."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Set

from rasa_sdk import Tracker

from actions.api import rasa as rasa_api
from actions.api.hall import hall
from actions.bundles import members_of
from actions.conversation import entity, last_bot_response, text_of
from actions.documents import acted_on, denied_acts
from actions.follow_ups import FOLLOW_UP_QUESTION, MAX_CLARIFY, SHORT_REPLY
from actions.naming import bigrams, name_bigrams, names_of
from actions.reading import read_with_previous
from actions.told import denied_clauses, only_denied
from actions.umbrellas import option_told_among
from bot.text.choices import choice_number
from bot.text.normalize import normalize


async def denied_options(tracker: Tracker, candidates: List[str]) -> Set[str]:
    """The options offered that the reply names only to deny ("不是丢了 小孙子刚生出来 给他办一张新的"
    after 社保卡: 申领、补换): by their own words, or by what it says did not happen to the document."""
    guides = {code: await hall().guide(code) for code in candidates}
    return _denied(text_of(tracker), guides) | await _denied_as_read(text_of(tracker), candidates)


# A denying clause read alone this surely names the option it denies.
DENIED_READ = 0.5
# What a denying clause says besides the thing it denies: "不是…的那种".
_DENIAL = re.compile(r"^(?:也|都|并|可)?(?:不是|不用|不需要|用不着|无需|不必)|的?(?:那种|那个|这种|这个|那样的?)$")


async def _denied_as_read(text: str, candidates: List[str]) -> Set[str]:
    """The options a clause that denies names in words of its own, read alone without its denial
    ("不是刚出生的那种，三岁的在哪交" after 新生儿参保 and 城乡居民参保: the first clause, "刚出生的那种",
    reads as 新生儿参保, which it denies)."""
    denied: Set[str] = set()
    for clause in denied_clauses(text):
        rest = _DENIAL.sub("", clause)
        if len(rest) < 2:
            continue
        parsed = await rasa_api.parse(rest)
        matches = ((parsed or {}).get("matter_match") or {}).get("matches") or []
        if not matches or float(matches[0].get("score") or 0.0) < DENIED_READ:
            continue
        read = matches[0]["matter"]
        if read in candidates:
            denied.add(read)
            continue
        # "刚出生的那种" reads as the newborn's 一件事: the options that are its members are denied.
        denied |= await members_of(read) & set(candidates)
    return denied


def _denied(text: str, guides: Dict[str, Optional[Dict[str, Any]]]) -> Set[str]:
    # (the act of a clause that denies, said with its denial: "不是丢了" denies 丢)
    acts = set().union(*(acted_on(clause) | denied_acts(clause) for clause in denied_clauses(text)))
    return {code for code, guide in guides.items() if guide and (code in acts or only_denied(text, name_bigrams(guide)))}


async def picked_option(tracker: Tracker, candidates: List[str], view) -> Optional[str]:
    """The option an answer to "which one?" picks, in this order: its number ("第二个"); the option
    the words that tell a topic's matters apart name (umbrellas.yml); the option its words place
    first; the one option whose name it says; the option it and the question it answers place first
    together; an option among the matcher's weak readings; the option whose name or aliases share
    most of its words. None when nothing picks one."""
    number = choice_number(text_of(tracker))
    if number is not None:
        index = len(candidates) - 1 if number == -1 else number - 1
        return candidates[index] if 0 <= index < len(candidates) else None
    guides = {code: await hall().guide(code) for code in candidates}
    denied = await denied_options(tracker, candidates)
    if denied and len(candidates) - len(denied) == 1:
        return next(code for code in candidates if code not in denied)
    candidates = [code for code in candidates if code not in denied]
    guides = {code: guides[code] for code in candidates}
    told = option_told_among(text_of(tracker), candidates)
    if told:
        return told  # "每个月都有的那种" after 低保 or 临时救助: the words that tell the options apart
    if view.matches and not view.abstain and view.matches[0]["matter"] in candidates:
        return view.matches[0]["matter"]  # "卡坏了": the words place one option first
    said = bigrams(text_of(tracker))
    in_name = [code for code, guide in guides.items() if guide and said & bigrams(guide["name"])]
    if len(in_name) == 1:
        return in_name[0]  # "注销" after "房子抵押的手续": one option's name says it
    # Words that place no option alone ("房子" after "过户要怎么弄", "就我自己一个人 小打小闹" after
    # 营业执照): read with the question they answer (二手房过户, 个体户), not whichever option a
    # bare 房子 ranks first among weak readings.
    length = len(normalize(text_of(tracker)).replace(" ", ""))
    # (a longer reply that asks something, "那要带些什么东西去派出所", is a question of its own)
    short = length <= SHORT_REPLY or (length <= FOLLOW_UP_QUESTION and not entity(tracker, "aspect"))
    together = await read_with_previous(tracker, among=candidates, denied=tuple(denied)) if short or denied else None
    if together:
        return together
    # Words naming one of the options ("换领那个"): the matcher ranks it among them.
    for match in view.matches[:MAX_CLARIFY]:
        if match["matter"] in candidates:
            return match["matter"]
    # Or the words of one option's name or aliases ("第一次办" → 首次申领, alias 第一次办身份证).
    if not said:
        return None
    scores = {}
    for code, guide in guides.items():
        if guide:
            scores[code] = max(len(said & bigrams(n)) for n in names_of(guide))
    best = sorted(scores.items(), key=lambda kv: -kv[1])
    if best and best[0][1] > 0 and (len(best) == 1 or best[0][1] > best[1][1]):
        return best[0][0]
    return None


async def in_context(tracker: Tracker) -> Optional[str]:
    """A short reply to "which one?"/"say more" means what it adds to the message before it."""
    text = text_of(tracker)
    if len(normalize(text).replace(" ", "")) > 10 or last_bot_response(tracker) not in (
            "utter_clarify", "utter_ask_rephrase", "utter_clarify_after_correction"):
        return None
    return await read_with_previous(tracker)
