"""The aspect lexicon (data/lexicon/aspects.yml): the everyday words that ask which aspect of a
matter a citizen wants (要带啥, 几天, 网上能办). A service centre edits it; the Rasa
AspectExtractor, the matcher and the actions read it through here, once."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import FrozenSet, List, Optional, Tuple

import yaml

from bot.text.normalize import normalize
from bot.vocabulary import ASKABLE_ASPECTS

ASPECTS_FILE = Path(__file__).resolve().parents[2] / "data" / "lexicon" / "aspects.yml"
ASPECTS = ASKABLE_ASPECTS


def load_aspects(path: Optional[Path] = None) -> List[Tuple[str, str]]:
    """(phrase, aspect) pairs of data/lexicon/aspects.yml, longest phrase first so 网上能办 wins
    over 网上. The Rasa AspectExtractor reads them to fill the aspect; the matcher to know that
    these words (要带啥, 几天, 网上能办) ask about a matter without naming one."""
    path = path or ASPECTS_FILE
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    pairs = []
    for aspect, phrases in (data.get("aspects") or {}).items():
        if aspect not in ASPECTS:
            raise ValueError(f"{path}: unknown aspect {aspect!r}; expected one of {ASPECTS}")
        pairs += [(normalize(str(p)), aspect) for p in phrases or []]
    return sorted(pairs, key=lambda pair: -len(pair[0]))


@lru_cache(maxsize=1)
def aspect_words() -> FrozenSet[str]:
    return frozenset(phrase for phrase, _ in load_aspects())


@lru_cache(maxsize=1)
def asking_pairs() -> FrozenSet[str]:
    """Character pairs of the phrases that ask how long, how much, where, online or how many trips
    ("到账", "工本", "窗口"): they name no matter, even in an alias ("租房提取多久到账"). Conditions
    and materials phrases are left out: theirs hold things that do ("有补助吗", "复印件")."""
    return frozenset(phrase[i:i + 2] for phrase, aspect in load_aspects()
                     if aspect not in ("conditions", "materials") for i in range(len(phrase) - 1))
