"""Repairs what citizens type by ear or by abbreviation, using the catalogue's own terms.

Two repairs, both driven by the domain vocabulary (names, aliases, keywords), so they only
ever produce words the catalogue knows:

* sound-alike: a span whose toneless pinyin equals a domain term's (身分证 → 身份证,
  公基金 → 公积金, 社宝卡 → 社保卡). For terms of three or more characters one character may
  also differ in the final but keep its initial (户口薄 bao → 户口簿 bu): shape-alike
  slips that pinyin alone misses.
* latin: sfz / gjj (pinyin initials) and yibao / shebao (full pinyin) become the term.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Tuple

from pypinyin import Style, lazy_pinyin, pinyin

from bot.matching.normalize import latin_words

MIN_TERM, MAX_TERM = 2, 6
_CJK_ONLY = re.compile(r"^[\u3400-\u9fff]+$")
_INITIALS = ("zh", "ch", "sh", "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j", "q", "x", "r",
             "z", "c", "s", "y", "w")


def _initial(syllable: str) -> str:
    for ini in _INITIALS:
        if syllable.startswith(ini):
            return ini
    return ""  # vowel-initial syllable


@dataclass
class Repairer:
    """Built once from the domain terms; ``repair`` costs a few dict lookups per character."""

    terms: Dict[str, int]  # term → how many catalogue records use it (ties go to the commoner)
    by_sound: Dict[str, str] = field(default_factory=dict)  # "shen fen zheng" → 身份证
    by_initials: Dict[str, Tuple[str, ...]] = field(default_factory=dict)  # "b|h kou" style keys
    by_latin: Dict[str, str] = field(default_factory=dict)  # "sfz" / "shenfenzheng" → 身份证
    _char_readings: Dict[str, Tuple[str, ...]] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, terms: Iterable[str], weights: Optional[Dict[str, int]] = None) -> "Repairer":
        weights = dict(weights or {})
        counted: Dict[str, int] = {}
        for term in terms:
            if MIN_TERM <= len(term) <= MAX_TERM and _CJK_ONLY.match(term):
                counted[term] = max(counted.get(term, 0), weights.get(term, 1))
        rep = cls(terms=counted)
        # Commoner terms first, so on a key collision the commoner term keeps the key.
        for term in sorted(counted, key=lambda t: (-counted[t], t)):
            syllables = lazy_pinyin(term)
            key = " ".join(syllables)
            rep.by_sound.setdefault(key, term)
            if len(term) >= 3:
                for i in range(len(term)):
                    fuzzy = syllables[:i] + [_initial(syllables[i]) + "*"] + syllables[i + 1:]
                    rep.by_initials.setdefault(" ".join(fuzzy), tuple())
                    rep.by_initials[" ".join(fuzzy)] += (term,)
            if 2 <= len(term) <= 4:
                initials = "".join(s[0] for s in syllables if s)
                if len(initials) >= 3:  # two letters (sb, yb) are too often something else
                    rep.by_latin.setdefault(initials, term)
            rep.by_latin.setdefault("".join(syllables), term)
        return rep

    def _readings(self, char: str) -> Tuple[str, ...]:
        cached = self._char_readings.get(char)
        if cached is None:
            readings = pinyin(char, style=Style.NORMAL, heteronym=True)[0] if _CJK_ONLY.match(char) else [char]
            cached = tuple(dict.fromkeys(readings))[:4]
            self._char_readings[char] = cached
        return cached

    def repair_latin(self, text: str) -> str:
        """sfz过期 → 身份证过期. Only whole latin runs of 2+ letters that spell a term are replaced."""
        for word in set(latin_words(text)):
            term = self.by_latin.get(word) if len(word) >= 2 else None
            if term:
                text = re.sub(rf"(?<![a-z]){word}(?![a-z])", term, text)
        return text

    def repair_sound(self, text: str) -> str:
        """Replace spans that sound like a domain term but are spelt differently."""
        if len(text) < MIN_TERM:
            return text
        out: List[str] = []
        i, n = 0, len(text)
        while i < n:
            replaced = False
            for size in range(min(MAX_TERM, n - i), MIN_TERM - 1, -1):
                span = text[i:i + size]
                if span in self.terms:
                    out.append(span)
                    i += size
                    replaced = True
                    break
                term = self._sound_alike(span)
                if term:
                    out.append(term)
                    i += size
                    replaced = True
                    break
            if not replaced:
                out.append(text[i])
                i += 1
        return "".join(out)

    def _sound_alike(self, span: str) -> Optional[str]:
        if not _CJK_ONLY.match(span):
            return None
        readings = [self._readings(c) for c in span]
        # Exact toneless pinyin, trying each character's readings (薄 is bao/bo, 分 is fen).
        for combo in _combos(readings, limit=16):
            term = self.by_sound.get(" ".join(combo))
            if term and _shares(span, term, need=len(span) - (1 if len(span) <= 3 else 2)):
                return term
        if len(span) >= 3:
            for i in range(len(span)):
                for combo in _combos(readings[:i] + [tuple(_initial(r) + "*" for r in readings[i])]
                                     + readings[i + 1:], limit=16):
                    for term in self.by_initials.get(" ".join(combo), ()):
                        if len(term) == len(span) and _shares(span, term, need=len(span) - 1):
                            return term
        return None

    def repair(self, text: str) -> str:
        return self.repair_sound(self.repair_latin(text))


def _shares(span: str, term: str, need: int) -> bool:
    """At least ``need`` characters in place agree: a slip, not a different word."""
    return sum(a == b for a, b in zip(span, term)) >= max(need, 1)


def _combos(options: List[Tuple[str, ...]], limit: int) -> List[Tuple[str, ...]]:
    combos: List[Tuple[str, ...]] = [()]
    for opts in options:
        combos = [c + (o,) for c in combos for o in opts][:limit]
    return combos
