"""Cue words (data/lexicon/cues.yml) that decide what a message is where the intent classifier
guesses: a failed trip, a request for a person, a ticket-status question, dropping a form,
declining to leave a phone, a complaint told as a story."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Dict, Tuple

import yaml

from bot.text.normalize import normalize
from bot.text.sentences import asking_sentence, sentences

CUES_FILE = Path(__file__).resolve().parents[1] / "data" / "lexicon" / "cues.yml"
KINDS = ("failed_trip", "repeated_trips", "feared", "ask_person", "ticket_status", "cancel", "no_phone", "grievance", "switch", "verdict", "consent", "closing", "own_ticket", "photos",
         "general_how", "steps_words", "whole_bundle")


@lru_cache(maxsize=1)
def _cues() -> Dict[str, Tuple[str, ...]]:
    data = yaml.safe_load(CUES_FILE.read_text(encoding="utf-8")) or {}
    unknown = set(data) - set(KINDS)
    if unknown:
        raise ValueError(f"{CUES_FILE}: 未知的类别 {sorted(unknown)}，只能是 {KINDS}")
    return {kind: tuple(normalize(str(w)).replace(" ", "") for w in data.get(kind) or ()) for kind in KINDS}


def says(text: str, kind: str) -> bool:
    """True when the text holds one of the cue words of `kind`."""
    folded = normalize(text).replace(" ", "")
    return any(word and word in folded for word in _cues()[kind])


def went_and_failed(text: str) -> bool:
    """兜底: the citizen says they went and could not get it done. An outcome word decides; a count
    of trips alone does when it is not feared ("怕跑好几趟", up to 4 characters before it) and the
    message does not complain about someone else ("找老板跑了好几趟" about unpaid wages)."""
    folded = normalize(text).replace(" ", "")
    if _unfeared(folded, "failed_trip"):  # "白跑了一趟", not "怕白跑一趟"
        return True
    return _unfeared(folded, "repeated_trips") and not says(text, "grievance")


def _unfeared(folded: str, kind: str) -> bool:
    """Whether a cue word of `kind` occurs without a word of fear just before it."""
    feared = _cues()["feared"]
    for word in _cues()[kind]:
        at = folded.find(word) if word else -1
        while at >= 0:
            if not any(f in folded[max(0, at - 4):at] for f in feared):
                return True
            at = folded.find(word, at + 1)
    return False


STORY_CHARS = 60  # a message this long is a story: what it asks is in its asking sentence


def asks_for_person(text: str) -> bool:
    """"让个真人来", "打字太累了找个人"; in a long story only its asking sentence counts ("社区的
    工作人员来走访，说可以办残疾人证……请问办理流程是怎样的" asks the steps, not for a person)."""
    if len(normalize(text).replace(" ", "")) < STORY_CHARS:
        return says(text, "ask_person")
    return says(asking_sentence(text) or (sentences(text) or [text])[-1], "ask_person")
