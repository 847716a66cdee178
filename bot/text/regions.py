"""Zhejiang's cities and counties (data/lexicon/regions.yml): which one a citizen mentions (the
actions fill the `region` slot with it), and which words are only places (the matcher does not
take them for the object of a matter: "宁波象山" alone names no matter)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Dict, FrozenSet, List, Optional, Tuple

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
def _patterns() -> List[Tuple[str, str]]:
    """(pattern, canonical) pairs, longest first: county names before city names."""
    data: Dict[str, List[str]] = yaml.safe_load(LEXICON.read_text(encoding="utf-8"))["regions"]
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


@lru_cache(maxsize=1)
def elsewhere_words() -> Tuple[str, ...]:
    """Places outside Zhejiang (provinces, big cities, 港澳台, other countries), longest first."""
    data = yaml.safe_load(LEXICON.read_text(encoding="utf-8"))
    return tuple(sorted(dict.fromkeys(data.get("elsewhere") or ()), key=len, reverse=True))


def find_elsewhere(text: str) -> Optional[str]:
    """The first place outside Zhejiang the text names ("苏州"), or None."""
    text = normalize(text)
    return next((place for place in elsewhere_words() if place in text), None)


def find_region(text: str) -> Optional[str]:
    """The canonical region named in the text ("萧山" → "杭州市萧山区"), or None."""
    text = normalize(text)
    found: Optional[str] = None
    for pattern, canonical in _patterns():
        if pattern in text:
            # Prefer the most specific: a county beats its city.
            if found is None or (canonical.startswith(found) and len(canonical) > len(found)):
                found = canonical
    return found


def looks_like_place(text: str) -> Optional[str]:
    """A place name outside Zhejiang's lexicon, as the citizen wrote it."""
    match = _PLACE_RE.search(normalize(text))
    return match.group(0) if match else None
