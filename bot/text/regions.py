"""Zhejiang's cities and counties (data/lexicon/regions.yml): which one a citizen mentions (the
actions fill the `region` slot with it), and which words are only places (the matcher does not
take them for the object of a matter: "宁波象山" alone names no matter)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Optional, Tuple

import yaml

from bot.text.normalize import normalize

LEXICON = Path(__file__).resolve().parents[2] / "data" / "lexicon" / "regions.yml"
PROVINCE = ("浙江", "浙江省")
_SUFFIXES = ("畲族自治县", "自治县", "市", "区", "县")
# Free text that still names a place outside the lexicon (another province, a town).
_PLACE_RE = re.compile(r"[\u4e00-\u9fff]{1,8}(?:省|市|区|县|镇|乡|街道|村)")


def _short(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


@lru_cache(maxsize=1)
def _lexicon() -> Dict[str, Any]:
    """data/lexicon/regions.yml, read once."""
    return yaml.safe_load(LEXICON.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _patterns() -> List[Tuple[str, str]]:
    """(pattern, canonical) pairs, longest first: county names before city names."""
    data: Dict[str, List[str]] = _lexicon()["regions"]
    pairs: List[Tuple[str, str]] = []
    for city, counties in data.items():
        for county in counties:
            canonical = f"{city}{county}" if not county.startswith(city) else county
            pairs += [(county, canonical), (_short(county), canonical)]
        pairs += [(city, city), (_short(city), city)]
    return sorted(set(pairs), key=lambda p: -len(p[0]))


@lru_cache(maxsize=1)
def place_words() -> FrozenSet[str]:
    """Every name of a city or county, full and short (萧山区, 萧山), and the province's."""
    return frozenset(pattern for pattern, _ in _patterns()) | frozenset(PROVINCE)


@lru_cache(maxsize=2)
def elsewhere_words(abroad: bool = True) -> Tuple[str, ...]:
    """Places outside Zhejiang (provinces, big cities, 港澳台; other countries unless `abroad` is
    False), longest first."""
    data = _lexicon()
    words = list(data.get("elsewhere") or ()) + (list(data.get("abroad") or ()) if abroad else [])
    return tuple(sorted(dict.fromkeys(words), key=len, reverse=True))


def find_elsewhere(text: str) -> Optional[str]:
    """The first place outside Zhejiang the text names ("苏州"), or None."""
    text = normalize(text)
    return next((place for place in elsewhere_words() if place in text), None)


@lru_cache(maxsize=1)
def _zhejiang_re() -> "re.Pattern[str]":
    return re.compile("|".join(map(re.escape, sorted(place_words(), key=len, reverse=True))))


@lru_cache(maxsize=1)
def _any_place_re() -> "re.Pattern[str]":
    return re.compile("|".join(map(re.escape, sorted(place_words() | set(elsewhere_words()), key=len, reverse=True))))


def without_places(text: str, filler: str = "，") -> str:
    """The text with every place name (of Zhejiang, elsewhere, abroad) replaced by `filler`: what
    is left names things, not where they are."""
    return _any_place_re().sub(filler, text)


def place_spans(text: str) -> List[Tuple[int, int]]:
    """Where the text names places (of Zhejiang, elsewhere, abroad): (start, end) of each."""
    return [m.span() for m in _any_place_re().finditer(text)]


@lru_cache(maxsize=1)
def _whereabouts() -> Tuple[Tuple[str, ...], Tuple[str, ...], Tuple[str, ...]]:
    data = _lexicon()
    return (tuple(data.get("whereabouts_before") or ()), tuple(data.get("whereabouts_after") or ()),
            tuple(data.get("here_words") or ()))


def names_zhejiang(text: str) -> bool:
    """Whether the text names a place of Zhejiang (or the province) as where its matter is, not
    only as where the citizen now is: "武汉的房子办房产证…我人在杭州" and "我是重庆参保，在杭州打工"
    do not; "在湖州买了套二手房", "杭州的公积金" and "想在这边把结婚证扯了" do."""
    return names_zhejiang_normalized(normalize(text))


def names_zhejiang_normalized(text: str) -> bool:
    """names_zhejiang of a text already normalised (the router's, on every message)."""
    before_words, after_words, here = _whereabouts()
    if any(word in text for word in here):
        return True
    for match in _zhejiang_re().finditer(text):
        before = text[max(0, match.start() - 4):match.start()]
        after = text[match.end():match.end() + 2]
        if before.endswith(before_words) or (before.endswith("在") and after.startswith(after_words)):
            continue
        return True
    return False


def find_region(text: str) -> Optional[str]:
    """The canonical region named in the text ("萧山" → "杭州市萧山区"), or None; a phone
    typist's homophone of a name counts where it stands as a place ("我在湖洲那边" → 湖州市)."""
    text = normalize(text)
    found: Optional[str] = None
    for pattern, canonical in _patterns():
        if pattern in text:
            # Prefer the most specific: a county beats its city.
            if found is None or (canonical.startswith(found) and len(canonical) > len(found)):
                found = canonical
    return found or _heard_region(text)


# Where a homophone stands as a place: "在湖洲", "湖洲那边", "肖山区".
_PLACE_BEFORE = ("在", "到", "住", "是")
_PLACE_AFTER = ("那边", "这边", "那里", "这里", "那块", "市", "区", "县", "的")


@lru_cache(maxsize=1)
def _sounds() -> Dict[Tuple[str, str], Tuple[str, str]]:
    """The short two-character names (canonical, as written) by their pinyin, tones ignored; a
    sound two names share is left out (no guessing between them)."""
    from pypinyin import lazy_pinyin  # a dependency of the aspect extractor already

    by_sound: Dict[Tuple[str, str], List[str]] = {}
    pattern_of: Dict[str, str] = {}
    for pattern, canonical in _patterns():
        if len(pattern) == 2:
            by_sound.setdefault(tuple(lazy_pinyin(pattern)), []).append(canonical)
            pattern_of[canonical] = pattern
    return {sound: (names[0], pattern_of[names[0]]) for sound, names in by_sound.items() if len(set(names)) == 1}


def _heard_region(text: str) -> Optional[str]:
    from pypinyin import lazy_pinyin

    sounds = _sounds()
    syllables = lazy_pinyin(text, errors=lambda chars: ["?"] * len(chars))
    if len(syllables) != len(text):
        return None
    for i in range(len(text) - 1):
        heard = sounds.get((syllables[i], syllables[i + 1]))
        # one character mistyped, the other as the name has it ("湖洲", not "去周" for 衢州)
        if heard and (text[i] == heard[1][0] or text[i + 1] == heard[1][1]) and (
                text[:i].endswith(_PLACE_BEFORE) or text[i + 2:].startswith(_PLACE_AFTER)):
            return heard[0]
    return None


def looks_like_place(text: str) -> Optional[str]:
    """A place name outside Zhejiang's lexicon, as the citizen wrote it."""
    match = _PLACE_RE.search(normalize(text))
    return match.group(0) if match else None
