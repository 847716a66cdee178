"""How action_answer_matter reads a long story (STORY_CHARS and more) once the matcher has read the
whole of it: a story tells its background (what the family already has, what is done, where they
live) before it asks, and those words pull the whole story's reading to the background's matter.
The story's own clauses read alone (actions.story_clauses) are weighed here against the whole
story's reading and the department the router reads it as."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from actions.api.hall import hall
from actions.bundles import holds_any
from actions.departments import department_of
from actions.api import rasa as rasa_api
from actions.naming import EVERYDAY_PAIRS, bigrams, name_bigrams, naming_pairs
from actions.story_clauses import STORY_QUESTION_LEAD, asked_in_story, wished_in_story
from actions.told import denied_clauses, only_told_had, undenied_clauses, without_denied
from actions.turn import Turn
from bot.vocabulary import FALLBACK_MATTER


async def read_story(turn: Turn, code: str) -> Optional[str]:
    """The matter a long story asks about, the whole story read as `code`."""
    if await _told_had(code, turn.text):
        # "残疾证是肢体二级，已经办好几年了…残联有补贴…我们这种能申请吗": what the story says
        # it already has is not what it asks; its asking sentence is read alone, without what it
        # tells had ("…俺是外地户口，在萧山有居住证，这个能办不？"), or, when it names no matter
        # ("请问这个要准备些什么材料？"), the whole story without what it tells had.
        return await asked_in_story(without_denied(turn.text)) or await _besides_had(turn, code)
    if (done := await turn.told_done()) and (code in done or await holds_any(code, done)):
        # (or a 一件事 one of whose steps it tells as done: the veterans' bundle after "报到已经去过了")
        # "…工伤认定今年三月已经下来了…听说政府有免费的律师，我这样的能申请吗？": what the
        # story tells as done is its background; its asking sentence, read alone, names
        # the matter asked, when it names one; else the matcher's next reading of the same
        # department that the story does not tell as done ("营业执照已经拿到了，个体户的…
        # 这个做吃的证要带什么材料": 食品经营许可).
        asked = await asked_in_story(turn.text)
        # (the asking sentence read alone may name the done matter again: "退役报到已经去过了…
        # 我这种能不能领，要怎么申请": the story's next reading, not what it tells as done)
        return asked if asked and asked not in done else await _besides_done(turn, code)
    # "…我是去年人才引进把户口迁到杭州的…现在想给孩子报户口": the background is not
    # what is wished for; the clauses that wish or ask are read alone.
    wished = await wished_in_story(turn.text, code, turn.scores.get(code, 0.0))
    if wished and not (turn.routed_to and turn.routed_to == turn.departments.get(code)
                       and turn.routed_to != await department_of(wished)):
        # (unless the router reads the whole story as the matched matter's department
        # and not the wish's: "…我想知道房东那边要问他拿啥东西" asks for the 居住证)
        return wished
    return await _asked_over_story(turn, code)


# The rest of a message read alone names its matter this surely, over a matter the message says it has.
BESIDE_HAD_SCORE = 0.5


async def beside_told_had(turn: Turn, code: str) -> Optional[str]:
    """A message of a few clauses shorter than a story ("孩子出生证明已经拿到了，现在要上户口",
    "残疾证已经办下来了，想申请轮椅") whose matched matter's name is said only as had or not needed:
    the matter its other clauses, read alone, surely name; None when they name none or the same."""
    rest = undenied_clauses(turn.text)
    # (said as had in its name's words, or in other words a clause that tells it had names: "营业执照我已经拿到了")
    if not rest or not (await _told_had(code, turn.text) or code in await turn.told_done()):
        return None
    best = await _sure_reading(rest)
    if not best or best["matter"] == code:
        return None
    if code == turn.current:
        # A follow-up on the matter in hand leaves it only for a matter its other clauses name in
        # two words of its names at least, more than of the matter in hand's ("那拿到出生证明以后报户口
        # 去哪个派出所": 报户, 户口), not for what a few asking words brush against ("要去银行拿啥").
        theirs, ours = await hall().guide(best["matter"]), await hall().guide(code)
        said = naming_pairs("".join(rest))
        named = len(said & name_bigrams(theirs)) if theirs and ours else 0
        if named < 2 or named <= len(said & name_bigrams(ours)):
            return None
    return best["matter"]


async def _sure_reading(parts: List[str]) -> Optional[Dict[str, Any]]:
    """The match the clauses, read alone together, surely name (BESIDE_HAD_SCORE); None if unsure."""
    parsed = await rasa_api.parse("，".join(parts))
    match = (parsed or {}).get("matter_match") or {}
    matches = [m for m in match.get("matches") or [] if m.get("matter") != FALLBACK_MATTER]
    if match.get("abstain", True) or match.get("clarify") or not matches:
        return None
    return matches[0] if float(matches[0].get("score") or 0.0) >= BESIDE_HAD_SCORE else None


async def asked_besides_had(turn: Turn) -> Optional[str]:
    """A message the matcher is unsure of that tells a thing had ("营业执照我已经拿到了，在街上开个烧饼店，
    卖吃的是不是还得另外办个许可": 个体户 or 公司, whichever its words lean to): what its other clauses,
    read alone, surely name, when that is not a thing it tells had."""
    rest = undenied_clauses(turn.text)
    if not rest or not denied_clauses(turn.text):
        return None
    best = await _sure_reading(rest)
    return best["matter"] if best and best["matter"] not in await turn.told_done() else None


async def _besides_had(turn: Turn, code: str) -> Optional[str]:
    """The story read without its clauses that tell a thing had ("…浙A牌照…俺想把车弄到俺名下，俺是
    外地户口，在萧山有居住证，这个能办不？"): its best reading besides what else it tells done, when
    that is not `code`, is of `code`'s department and clearly leads the readings left
    (STORY_QUESTION_LEAD); None otherwise."""
    rest = without_denied(turn.text)
    parsed = await rasa_api.parse(rest) if rest.strip() else None
    done = (await turn.told_done() | {FALLBACK_MATTER}) - {code}
    left = [m for m in ((parsed or {}).get("matter_match") or {}).get("matches") or []
            if m.get("matter") not in done and not await holds_any(m["matter"], done)]
    # (still `code` without them: the had clause only brushed its words, "养殖证已经办好了" beside
    # a sick pond's 水产养殖技术指导)
    return None if left and left[0]["matter"] == code else _leading(left, turn.departments.get(code))


def _leading(readings: List[Dict[str, Any]], department: Optional[str]) -> Optional[str]:
    """The first of the matcher's readings, when it is of `department` and clearly leads the next
    (STORY_QUESTION_LEAD)."""
    if not readings or readings[0].get("department") != department:
        return None
    runner_up = float(readings[1].get("score") or 0.0) if len(readings) > 1 else 0.0
    return readings[0]["matter"] if float(readings[0].get("score") or 0.0) >= STORY_QUESTION_LEAD * runner_up else None


async def asked_in_routed_department(turn: Turn) -> Optional[str]:
    """The matter a long story's asking sentence names, read alone, when it is of the department
    the router reads the whole story as."""
    asked = await asked_in_story(turn.text) if turn.routed_to else None
    return asked if asked and await department_of(asked) == turn.routed_to else None


async def _told_had(code: str, text: str) -> bool:
    guide = await hall().guide(code)
    # its name's words: a story's situation words fill the aliases ("脑瘫孩子办残疾证")
    return bool(guide) and only_told_had(text, bigrams(guide["name"]) - EVERYDAY_PAIRS)


async def _besides_done(turn: Turn, code: str) -> str:
    """The matcher's best reading besides `code`, told done, and besides anything else the story
    tells as done, when it is of `code`'s department and clearly leads the readings left
    (STORY_QUESTION_LEAD); else `code`."""
    done = await turn.told_done() | {code, FALLBACK_MATTER}
    left = [m for m in turn.view.matches
            if m["matter"] not in done and not await holds_any(m["matter"], done)]
    return _leading(left, turn.departments.get(code)) or code


async def _asked_over_story(turn: Turn, code: str) -> str:
    """The matter a long story's asking sentence names, read alone, over the whole story's reading
    `code` when the router reads the story as the asking sentence's department and not as
    `code`'s ("…开发商…要我们先去把契税交掉…我就想问下这个契税要交多少？": the story's words lean
    to 公积金贷款, its question is 契税's, and so is the department the router reads)."""
    if turn.routed_to == turn.departments.get(code):
        return code
    asked = await asked_in_routed_department(turn)
    if not asked or asked == code:
        return code
    guide = await hall().guide(code)
    # a 一件事 read from the whole story holds what one of its questions asks ("第一，户口要怎么注销…")
    return code if guide and asked in {m["code"] for m in guide.get("member_guides") or []} else asked
