"""The word lists a service centre edits (data/lexicon/): cue words (cues.yml), the words that ask
for an aspect (aspects.yml), documents not named (documents.yml) and topics of several matters
(umbrellas.yml). One reader for all four: each file is checked against its schema and every mistake
is said in Chinese with the file, the entry and the field, by ``onetrip catalogue validate`` before
it reaches a citizen, and at load (a LexiconError) if it was not.

Words are returned as matching reads them: normalised (简体, half-width) and, except in the
aspect lexicon whose phrases are matched as written, without spaces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, FrozenSet, List, Optional, Sequence, Tuple

from pydantic import BaseModel, Extra, ValidationError, create_model, validator

from bot.catalogue.problems import error_messages, read_yaml
from bot.catalogue.schema import CODE_RE
from bot.text.normalize import normalize
from bot.vocabulary import ASKABLE_ASPECTS

LEXICON_DIR = Path(__file__).resolve().parents[2] / "data" / "lexicon"

# What each list of cues.yml decides (its comments explain each to the clerk).
CUE_KINDS = ("failed_trip", "repeated_trips", "runaround", "private_parties", "feared", "feared_afar", "hearsay", "first_person", "ask_person", "ticket_status", "cancel", "no_phone",
             "grievance", "switch", "verdict", "consent", "closing", "own_ticket", "photos", "accept_offer", "plain_yes",
             "general_how", "steps_words", "whole_bundle", "bot_words", "here", "alternatives", "impact", "own_case", "in_person",
             "complaint_request", "erase_words", "which_department", "person_words", "not_person",
             "done_together", "done_in_one_go", "together_may", "how_in_general", "lives_or_works", "office_contact",
             "their_office", "asks_who", "which_procedures", "recalled", "another_time", "others_did", "theirs_asked", "also_added", "form_of_paper", "back_here",
             "wish", "wants_now", "is_that_all", "whole_set", "listed_with", "fear_ends", "ticket_state", "several", "away_doing",
             "office_guess", "office_words", "institutions", "used_by_others", "misuse", "done_before", "acted_upon", "outside_bodies")

FIELD_NAMES = {"words": "词语", "with": "同时要有的词", "unless": "排除词", "options": "候选事项", "generic": "泛称",
               "named": "具体证件名", "actions": "办理动作", "aspects": "方面", "umbrellas": "话题"}


class LexiconError(ValueError):
    """A lexicon file that does not follow its schema; ``problems`` says each mistake in Chinese."""

    def __init__(self, problems: List[str]):
        super().__init__("；".join(problems))
        self.problems = problems


class _Strict(BaseModel):
    class Config:
        extra = Extra.forbid
        anystr_strip_whitespace = True


def _words_given(values: List[str]) -> List[str]:
    if any(not str(v).strip() for v in values):
        raise ValueError("列表里有空的词，请删去空行或填上词语")
    return values


def _codes(values: Sequence[str]) -> Sequence[str]:
    bad = [v for v in values if not CODE_RE.match(v)]
    if bad:
        raise ValueError(f"“{'、'.join(bad)}”不是事项编码（应为“部门.事项”，如 gongan.id_card_lost）")
    return values


_words_validator = validator("*", each_item=False, allow_reuse=True)

CueWords = create_model("CueWords", __config__=_Strict.Config,
                        __validators__={"_words": _words_validator(_words_given)},
                        **{kind: (List[str], []) for kind in CUE_KINDS})


class AspectWords(_Strict):
    aspects: Dict[str, List[str]]

    @validator("aspects")
    def _known(cls, value):
        unknown = [a for a in value if a not in ASKABLE_ASPECTS]
        if unknown:
            raise ValueError(f"未知的方面“{'、'.join(unknown)}”，只能是 {'、'.join(ASKABLE_ASPECTS)}")
        for words in value.values():
            _words_given(words)
        return value


class DocumentAction(_Strict):
    words: List[str]
    options: List[str]
    child_options: List[str] = []  # when the document is a child's (documents.yml `child`)

    _words = validator("words", allow_reuse=True)(_words_given)
    _options = validator("options", "child_options", allow_reuse=True)(_codes)


class DocumentWords(_Strict):
    generic: List[str]
    named: List[str]
    child: List[str] = []
    actions: Dict[str, DocumentAction] = {}

    _words = validator("generic", "named", allow_reuse=True)(_words_given)


class UmbrellaEntry(_Strict):
    words: List[str]
    with_: List[str] = []
    unless: List[str] = []
    options: Dict[str, List[str]]

    class Config:
        fields = {"with_": "with"}

    _words = validator("words", "with_", "unless", allow_reuse=True)(_words_given)

    @validator("options")
    def _two_options(cls, value):
        if len(value) < 2:
            raise ValueError("应列出至少两个事项编码，每个事项下写说明是它的词")
        _codes(list(value))
        for words in value.values():
            _words_given(words)
        return value


class UmbrellaWords(_Strict):
    umbrellas: Dict[str, UmbrellaEntry] = {}


SCHEMAS = {"cues.yml": CueWords, "aspects.yml": AspectWords, "documents.yml": DocumentWords,
           "umbrellas.yml": UmbrellaWords}


def _read(file: Path) -> BaseModel:
    problems: List[str] = []
    label = f"data/lexicon/{file.name}" if file.parent == LEXICON_DIR else str(file)
    data = read_yaml(file, problems, label)
    if data is not None:
        try:
            return SCHEMAS[file.name].parse_obj(data)
        except ValidationError as error:
            for loc, message in error_messages(error.errors(), FIELD_NAMES):
                where = ".".join(str(part) for part in loc if part != "__root__")
                problems.append(f"{label}：{where}：{message}" if where else f"{label}：{message}")
    raise LexiconError(problems)


def lexicon_problems(directory: Optional[Path] = None, matter_codes: Optional[Sequence[str]] = None) -> List[str]:
    """Every mistake in the lexicon files, in Chinese; with the catalogue's codes, also the matter
    codes the files name that the catalogue does not hold."""
    directory = directory or LEXICON_DIR
    problems: List[str] = []
    for name in SCHEMAS:
        try:
            model = _read(directory / name)
        except LexiconError as exc:
            problems += exc.problems
            continue
        if matter_codes is not None:
            known = set(matter_codes)
            named: List[Tuple[str, str]] = []
            if isinstance(model, DocumentWords):
                named = [(f"actions.{a}.options", c) for a, action in model.actions.items() for c in action.options]
            elif isinstance(model, UmbrellaWords):
                named = [(f"{u}.options", c) for u, entry in model.umbrellas.items() for c in entry.options]
            label = f"data/lexicon/{name}" if directory == LEXICON_DIR else str(directory / name)
            problems += [f"{label}：{where}：事项库中没有事项“{code}”" for where, code in named if code not in known]
    return problems


def _folded(words: Sequence[str]) -> Tuple[str, ...]:
    return tuple(normalize(str(w)).replace(" ", "") for w in words)


@lru_cache(maxsize=1)
def cue_words() -> Dict[str, Tuple[str, ...]]:
    """Each kind of cues.yml: its words, folded."""
    model = _read(LEXICON_DIR / "cues.yml")
    return {kind: _folded(getattr(model, kind)) for kind in CUE_KINDS}


@lru_cache(maxsize=None)
def cue_pattern(kind: str) -> "re.Pattern[str]":
    """The words of one kind of cues.yml as a pattern that finds any of them, in the list's order
    (for code that needs where a cue stands, or matches it within a larger pattern)."""
    return re.compile("|".join(re.escape(word) for word in cue_words()[kind] if word))


def aspect_phrases(path: Optional[Path] = None) -> List[Tuple[str, str]]:
    """(phrase, aspect) pairs of aspects.yml, normalised, longest phrase first so 网上能办 wins
    over 网上. The Rasa AspectExtractor reads them to fill the aspect; the matcher to know that
    these words (要带啥, 几天, 网上能办) ask about a matter without naming one."""
    model = _read(path or LEXICON_DIR / "aspects.yml")
    pairs = [(normalize(str(p)), aspect) for aspect, phrases in model.aspects.items() for p in phrases]
    return sorted(pairs, key=lambda pair: -len(pair[0]))


@dataclass(frozen=True)
class DocumentAct:
    words: Tuple[str, ...]
    options: Tuple[str, ...]
    child_options: Tuple[str, ...] = ()


@dataclass(frozen=True)
class Documents:
    generic: Tuple[str, ...]
    named: Tuple[str, ...]
    actions: Dict[str, DocumentAct]
    child: Tuple[str, ...] = ()


@lru_cache(maxsize=1)
def document_words() -> Documents:
    model = _read(LEXICON_DIR / "documents.yml")
    return Documents(_folded(model.generic), _folded(model.named),
                     {name: DocumentAct(_folded(a.words), tuple(a.options), tuple(a.child_options))
                      for name, a in model.actions.items()},
                     _folded(model.child))


@dataclass(frozen=True)
class Umbrella:
    name: str
    words: Tuple[str, ...]
    with_: Tuple[str, ...]
    unless: Tuple[str, ...]
    options: Dict[str, Tuple[str, ...]]  # matter code → the words that say it is that one


@lru_cache(maxsize=1)
def umbrella_words() -> Tuple[Umbrella, ...]:
    model = _read(LEXICON_DIR / "umbrellas.yml")
    return tuple(Umbrella(name=str(name), words=_folded(e.words), with_=_folded(e.with_), unless=_folded(e.unless),
                          options={code: _folded(tells) for code, tells in e.options.items()})
                 for name, e in model.umbrellas.items())


@lru_cache(maxsize=1)
def aspect_words() -> FrozenSet[str]:
    """The phrases that ask about an aspect: they ask about a matter without naming one."""
    return frozenset(phrase for phrase, _ in aspect_phrases())


@lru_cache(maxsize=1)
def asking_pairs() -> FrozenSet[str]:
    """Character pairs of the phrases that ask how long, how much, where, online or how many trips
    ("到账", "工本", "窗口"): they name no matter, even in an alias ("租房提取多久到账"). Conditions
    and materials phrases are left out: theirs hold things that do ("有补助吗", "复印件")."""
    return frozenset(phrase[i:i + 2] for phrase, aspect in aspect_phrases()
                     if aspect not in ("conditions", "materials") for i in range(len(phrase) - 1))
