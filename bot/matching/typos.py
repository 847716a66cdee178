"""Repairs what citizens type by ear or by abbreviation, using the catalogue's own terms.

Two repairs, both driven by the domain vocabulary (names, aliases, keywords), so they only
ever produce words the catalogue knows:

* sound-alike: a span whose toneless pinyin equals a domain term's and that differs from it
  in one character (身分证 → 身份证, 公基金 → 公积金, 社宝卡 → 社保卡, 投述 → 投诉). A short
  table of shape-alike characters covers slips pinyin misses (户口薄 → 户口簿).
* latin: sfz / gjj (pinyin initials) and yibao / shebao (full pinyin) become the term.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, List, Optional, Tuple

from pypinyin import lazy_pinyin

from bot.matching.lexicon import ENGLISH_TERMS
from bot.text.normalize import latin_words

MIN_TERM, MAX_TERM = 2, 6
_CJK_ONLY = re.compile(r"^[\u3400-\u9fff]+$")
# Characters people pick for a look-alike (not a sound-alike): 户口薄 for 户口簿.
SHAPE_ALIKE = {"薄": "簿", "蒲": "簿", "帐": "账", "己": "已", "拔": "拨", "侯": "候", "即": "既", "概": "慨"}
# Two-letter chat abbreviations that are not pinyin initials of a matter word.
LATIN_STOP = {"sb", "ok", "hi", "bb", "gg", "mm", "jj", "nb", "dd", "kk", "hh", "tm", "nm", "xx", "zz", "yy", "qq",
              "pk", "vs", "ps", "pm", "am", "id", "it", "me", "no", "so", "go", "do", "be", "we", "he", "an", "in",
              "on", "of", "to", "is", "at", "by", "or", "my", "up", "us", "if", "as", "hr", "kb", "mb", "gb", "tv"}
_LATIN_ANY = re.compile(r"[a-z]")
_CJK_GAP = re.compile(r"(?<=[\u3400-\u9fff]) (?=[\u3400-\u9fff])")
_LATIN_RUN = re.compile(r"(?<![a-z])[a-z]+(?: [a-z]+)+(?![a-z])")  # two or more words in a row
_ENGLISH_RE = re.compile(r"(?<![a-z])(?:" + "|".join(
    re.escape(t) for t in sorted(ENGLISH_TERMS, key=len, reverse=True)) + r")(?![a-z])")


def fuzzy(syllable: str) -> str:
    """Fold the sound pairs IMEs and southern accents mix up: zh/z, ch/c, sh/s, n/l, -ng/-n."""
    if syllable[:2] in ("zh", "ch", "sh"):
        syllable = syllable[0] + syllable[2:]
    elif syllable.startswith("n"):
        syllable = "l" + syllable[1:]
    if syllable.endswith("ng") and len(syllable) > 2:
        syllable = syllable[:-1]
    return syllable


@dataclass
class Repairer:
    """Built once from the domain terms; ``repair`` costs a few dict lookups per character."""

    terms: Dict[str, int]  # term → how many catalogue records use it (ties go to the commoner)
    by_sound: Dict[str, str] = field(default_factory=dict)  # "shen fen zheng" → 身份证
    by_latin: Dict[str, str] = field(default_factory=dict)  # "sfz" / "shenfenzheng" → 身份证
    first_sizes: Dict[str, set] = field(default_factory=dict)  # first syllable → term lengths
    _char_readings: Dict[str, Tuple[str, ...]] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, terms: Iterable[str], weights: Optional[Dict[str, int]] = None) -> "Repairer":
        weights = dict(weights or {})
        counted: Dict[str, int] = {}
        for term in terms:
            if MIN_TERM <= len(term) <= MAX_TERM and _CJK_ONLY.match(term):
                counted[term] = max(counted.get(term, 0), weights.get(term, 1))
        rep = cls(terms=dict(counted))
        # Commoner terms first, so on a key collision the commoner term keeps the key.
        for term in sorted(counted, key=lambda t: (-counted[t], t)):
            syllables = lazy_pinyin(term)
            key = " ".join(fuzzy(x) for x in syllables)
            rep.by_sound.setdefault(key, term)
            rep.first_sizes.setdefault(fuzzy(syllables[0]), set()).add(len(term))
            if 2 <= len(term) <= 4:
                initials = "".join(s[0] for s in syllables if s)
                if len(initials) >= 3 or (len(term) == 2 and initials not in LATIN_STOP):
                    rep.by_latin.setdefault(initials, term)
            rep.by_latin.setdefault("".join(syllables), term)
        # The catalogue lists misspellings as aliases (身分证 next to 身份证, 户口薄 next to
        # 户口簿): they are repaired like any other slip, not protected as words of their own.
        for term in [t for t in rep.terms if len(t) >= 3]:
            if rep._sound_alike(term):
                del rep.terms[term]
        return rep

    def _readings(self, char: str) -> Tuple[str, ...]:
        cached = self._char_readings.get(char)
        if cached is None:
            # The default reading only: heteronyms (车 ju, 参 shen) invent far more typos than
            # they explain. Shape-alike slips borrow their partner's reading.
            readings = [lazy_pinyin(char)[0]] if _CJK_ONLY.match(char) else [char]
            if char in SHAPE_ALIKE:
                readings += lazy_pinyin(SHAPE_ALIKE[char])
            readings = [fuzzy(r) for r in readings]
            cached = tuple(dict.fromkeys(readings))
            self._char_readings[char] = cached
        return cached

    def repair_latin(self, text: str) -> str:
        """sfz过期 → 身份证过期. Only whole latin runs of 2+ letters that spell a term are replaced;
        pinyin typed with spaces (jiezhong zheng) is tried joined, English through ENGLISH_TERMS."""
        if not _LATIN_ANY.search(text):
            return text
        text = _ENGLISH_RE.sub(lambda m: ENGLISH_TERMS[m.group(0)], text)
        for run in _LATIN_RUN.findall(text):
            joined = run.replace(" ", "")
            if " " in run and joined in self.by_latin:
                text = text.replace(run, self.by_latin[joined])
        for word in set(latin_words(text)):
            term = self.by_latin.get(word) if len(word) >= 2 else None
            if term:
                text = re.sub(rf"(?<![a-z]){word}(?![a-z])", term, text)
        return _CJK_GAP.sub("", text)  # 社保 卡 → 社保卡, as normalize() does for typed text

    def repair_sound(self, text: str, is_common: Optional[Callable[[str], bool]] = None,
                     tokens: Optional[List[str]] = None) -> str:
        """Replace spans that sound like a domain term but are spelt differently.

        Spans overlapping a correctly spelt term are left alone (失业金 must not become 后事
        + 业金), and so are spans that are common words in their own right (车子 is not a typo
        of 橘子): ``is_common`` answers that from the segmenter's dictionary.
        """
        n = len(text)
        if n < MIN_TERM:
            return text
        # Occurrences of correctly spelt terms. A repair may swallow whole terms (公基金 holds 基金)
        # but never cut one (后失 must not become 后事 inside 失业金): crossing[k] says a term
        # runs across the boundary before character k.
        # The segmenter's words are protected the same way: a slip sits inside a word or makes
        # up whole ones (投述, 公+基金), it does not straddle two (夜宵|吃 is not 夜 + 小吃).
        crossing = [False] * (n + 1)
        for i in range(n):
            for size in range(MIN_TERM, min(MAX_TERM, n - i) + 1):
                if text[i:i + size] in self.terms:
                    for k in range(i + 1, i + size):
                        crossing[k] = True
        if tokens and sum(map(len, tokens)) == n:
            pos = 0
            for tok in tokens:
                for k in range(pos + 1, pos + len(tok)):
                    crossing[k] = True
                pos += len(tok)
        out: List[str] = []
        i = 0
        while i < n:
            done = False
            # Only lengths of terms that start with this sound are worth trying.
            sizes = set()
            for reading in self._readings(text[i]):
                sizes |= self.first_sizes.get(reading, set())
            for size in sorted((z for z in sizes if i + z <= n), reverse=True):
                span = text[i:i + size]
                if span in self.terms or crossing[i] or crossing[i + size]:
                    continue
                if is_common is not None and is_common(span):
                    continue
                term = self._sound_alike(span)
                if term:
                    out.append(term)
                    i += size
                    done = True
                    break
            if not done:
                out.append(text[i])
                i += 1
        return "".join(out)

    def _sound_alike(self, span: str) -> Optional[str]:
        if not _CJK_ONLY.match(span):
            return None
        for combo in _combos([self._readings(c) for c in span], limit=8):
            term = self.by_sound.get(" ".join(combo))
            # All but one character agree: a slip of the IME, not a different word.
            if term and term != span and _shares(span, term, need=len(span) - 1):
                return term
        return None

    def repair(self, text: str, is_common: Optional[Callable[[str], bool]] = None,
               segment: Optional[Callable[[str], List[str]]] = None) -> str:
        text = self.repair_latin(text)
        return self.repair_sound(text, is_common, segment(text) if segment else None)


def _shares(span: str, term: str, need: int) -> bool:
    """At least ``need`` characters in place agree: a slip, not a different word."""
    return sum(a == b for a, b in zip(span, term)) >= max(need, 1)


def _combos(options: List[Tuple[str, ...]], limit: int) -> List[Tuple[str, ...]]:
    combos: List[Tuple[str, ...]] = [()]
    for opts in options:
        combos = [c + (o,) for c in combos for o in opts][:limit]
    return combos
