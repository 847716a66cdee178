"""A long story's clauses read alone (Rasa's /model/parse on each): its asking sentence, what it
tells as already done, and the clauses that say what the citizen wants. The whole story's other
words (where the family lives, what the hospital already gave) pull the matcher elsewhere or leave
it unsure; how action_answer_matter weighs these readings against the whole story's is
actions.stories'."""

from __future__ import annotations

import asyncio
import re
from typing import Any, Dict, List, Optional, Set

from actions.api import rasa as rasa_api
from actions.api.hall import hall
from actions.cues import STORY_CHARS, says
from actions.reading import needed_thing
from bot.catalogue.lexicons import cue_pattern
from bot.text.normalize import normalize
from bot.text.sentences import asking_sentences, clauses
from bot.vocabulary import FALLBACK_MATTER, MatterKind

# A story's asking sentence read alone names its matter when its best reading is this good and
# clearly ahead of the next ("…现在就是想问：孩子户口落到我瑞安老家的话，具体要带哪些材料？").
STORY_QUESTION_SCORE = 0.4
STORY_QUESTION_LEAD = 1.5


def _question_marked(text: str, sentence: str) -> bool:
    """Whether the sentence ends with a question mark where the text has it."""
    at = text.find(sentence)
    return at >= 0 and text[at + len(sentence):at + len(sentence) + 1] in ("?", "？")


# The asking sentences read, from the last: "…能不能回杭州補辦結婚證？需要帶什麼證件？" names its
# matter in the one before the last, which asks only what to bring.
STORY_QUESTIONS = 2


async def asked_in_story(text: str) -> Optional[str]:
    """The matter a long story's asking sentence names, read alone (Rasa's /model/parse): the
    whole story's other words (where the family lives, what the hospital already gave) pull the
    matcher elsewhere or leave it unsure. The last asking sentence decides; when it names no
    matter and asks only one thing of it ("需要帶什麼證件？", not "請問要怎麼辦？", which asks about
    all the story told), a question just before it ("…能不能回杭州補辦結婚證？") names the matter."""
    if len(normalize(text).replace(" ", "")) < STORY_CHARS:
        return None
    askings = asking_sentences(text)
    if len(askings) > 1 and needed_thing(askings[0]):
        # "…请问去派出所要带哪些东西？结婚证是不是也要带上？": a paper to bring names its own
        # matter's words, not the one asked; the question before it does.
        askings = askings[1:]
    for n, asking in enumerate(askings[:STORY_QUESTIONS]):
        if len(asking) >= len(text):
            return None
        if n and not _question_marked(text, asking):
            return None  # a sentence that only tells ("住了二十几天") asks nothing
        parsed = await rasa_api.parse(asking)
        match = (parsed or {}).get("matter_match") or {}
        matches = [m for m in match.get("matches") or [] if m.get("matter") != FALLBACK_MATTER]
        if not matches or (match.get("abstain") and float(matches[0].get("score") or 0.0) < STORY_QUESTION_SCORE):
            if says(asking, "how_in_general") or says(asking, "general_how"):
                return None
            continue  # names no matter: the question is an earlier sentence's
        if float(matches[0].get("score") or 0.0) < STORY_QUESTION_SCORE:
            return None
        runner_up = float(matches[1].get("score") or 0.0) if len(matches) > 1 else 0.0
        return matches[0]["matter"] if float(matches[0]["score"]) >= STORY_QUESTION_LEAD * runner_up else None
    return None


# A clause that tells a thing done must name it this surely, read alone, to count as told done.
DONE_SCORE = 0.5
# "还没拿到", "未办好": not done; "拿到了吗", "办好了没有": asked, not told.
_NOT_YET = re.compile(r"(?:没|未|没有|还没|尚未)[\u4e00-\u9fff]{0,2}$")
_ASKED_AFTER = re.compile(r"^[\u4e00-\u9fff]{0,3}?(?:吗|么|没有|没|伐|嘛|不)")


def _tells_done(clause: str) -> bool:
    """Whether a clause tells something already done (cues.yml done_before), not that it is not
    yet, nor asks whether it is."""
    for found in cue_pattern("done_before").finditer(clause):
        if not _NOT_YET.search(clause[:found.start()]) and not _ASKED_AFTER.match(clause[found.end():]):
            return True
    return False


_AFTERTHOUGHT = re.compile(r"^[\u4e00-\u9fff]{1,5}的$")


async def told_done(text: str) -> Set[str]:
    """The matters a message tells as already done: those a clause that says so ("工伤认定今年
    三月已经下来了", "…去劳动监察那里投诉过", "营业执照我已经拿到了"), read alone, names (Rasa's
    /model/parse, side by side). The message then asks about something else: "…工伤认定已经下来了…
    听说政府有免费的律师，我这样的能申请吗？" asks for 法律援助, whatever the whole story's words read.
    (Turn.told_done reads it once per message.)"""
    parts = clauses(text)
    # an afterthought that says which goes with it: "营业执照上个月已经办好了，个体户的"
    done = [c + (parts[i + 1] if i + 1 < len(parts) and _AFTERTHOUGHT.match(parts[i + 1]) else "")
            for i, c in enumerate(parts) if _tells_done(c)]
    named = set()
    for parsed in await asyncio.gather(*(rasa_api.parse(clause) for clause in done)):
        match = (parsed or {}).get("matter_match") or {}
        matches = match.get("matches") or []
        if matches and not match.get("abstain") and float(matches[0].get("score") or 0.0) >= DONE_SCORE:
            named.add(await _step_told(matches))
    return named


async def _step_told(matches: List[Dict[str, Any]]) -> str:
    """What a clause that tells a thing done names: its reading, or, when that is a 一件事 ("…退役军人
    服务站报到了" reads as the veterans' bundle), the step of it the clause reads best (退役报到): one
    clause tells one step done, not every step of the 一件事 (the 优待证 the story goes on to ask)."""
    guide = await hall().guide(matches[0]["matter"])
    if not guide or guide["kind"] != MatterKind.BUNDLE:
        return matches[0]["matter"]
    members = {m["code"] for m in guide.get("member_guides") or []}
    return next((m["matter"] for m in matches[1:] if m["matter"] in members), matches[0]["matter"])


# A clause of a story that says what the citizen wants done or asks (cues.yml wish: "现在想给孩子报户口",
# "想问下车子转到我名下怎么弄"; not "外地户口要有指标", what someone said), or what they heard there is.
_HEARD_OF = re.compile(r"听说.{0,6}有个")


def _wishes(clause: str) -> bool:
    return bool(cue_pattern("wish").search(clause) or _HEARD_OF.search(clause))

# Wish and asking clauses read alone (at most this many, from the end) and the score one of them
# must give its reading to name the story's matter over the whole story's.
WISH_CLAUSES = 4
WISH_SCORE = 0.5
# A whole story read this surely is left alone ("…想自己单干接活拉货…想问个体的能不能办" is the
# road freight permit the story is about, whatever "个体" alone reads).
STORY_SURE = 0.8


async def _wish_readings(text: str) -> Dict[str, float]:
    """Each matter the clauses of a story that say what the citizen wants name, read alone (their
    best reading, 兜底 left out, with its best score). Parsed side by side, once per message: the
    overrule check and the story's reading of the same turn share them."""
    if text in _LAST_WISHES:
        return _LAST_WISHES[text]
    wishes = [c for c in clauses(text) if _wishes(c)][-WISH_CLAUSES:]
    best: Dict[str, float] = {}
    for parsed in await asyncio.gather(*(rasa_api.parse(clause) for clause in wishes)):  # side by side
        match = (parsed or {}).get("matter_match") or {}
        matches = [m for m in match.get("matches") or [] if m.get("matter") != FALLBACK_MATTER]
        if matches and not match.get("abstain"):
            code, score = matches[0]["matter"], float(matches[0].get("score") or 0.0)
            best[code] = max(best.get(code, 0.0), score)
    _LAST_WISHES.clear()
    _LAST_WISHES[text] = best
    return best


# The last message's wish readings (one entry: a turn asks twice, the next message is another text).
_LAST_WISHES: Dict[str, Dict[str, float]] = {}


async def wished_in_story(text: str, whole: Optional[str], whole_score: float) -> Optional[str]:
    """The matter the clauses of a long story that say what the citizen wants name, read one by
    one, when the whole story's reading `whole` is not sure, is not it, and none of them reads
    that: the background ("我是去年人才引进把户口迁到杭州的…我户口不在杭州") pulls the whole story to
    its matter, the wish ("现在想给孩子报户口") is what is asked."""
    if len(normalize(text).replace(" ", "")) < STORY_CHARS or whole_score >= STORY_SURE:
        return None
    best = await _wish_readings(text)
    if not best or whole in best:
        return None
    code = max(best, key=best.__getitem__)
    return code if best[code] >= WISH_SCORE else None


async def wish_reads(text: str, code: str) -> bool:
    """Whether a clause of a long story that says what the citizen wants, read alone, names `code`
    ("…医保报完自己还要出三万多…有没有救急的那种补助" names 临时救助, whatever department the
    hospital bills lean the whole story to)."""
    if len(normalize(text).replace(" ", "")) < STORY_CHARS:
        return False
    return (await _wish_readings(text)).get(code, 0.0) >= WISH_SCORE

