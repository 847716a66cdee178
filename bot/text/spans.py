"""Entity offsets in the text as the citizen wrote it, for phrases found in the normalised form."""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import List, Optional, Tuple

from bot.text.normalize import _t2s, fold_dialect


@lru_cache(maxsize=4096)
def _fold(char: str) -> str:
    """One character as `normalize` would leave it (punctuation and spaces: nothing)."""
    folded = unicodedata.normalize("NFKC", char)
    folded = "".join(c for c in folded if c.isalnum())
    return _t2s().convert(folded).lower() if folded else ""


def locate(original: str, phrase: str) -> Optional[Tuple[int, int]]:
    """(start, end) of `phrase` (in normalised form, spaces ignored) within `original`, or None."""
    target = phrase.replace(" ", "")
    if not original or not target:
        return None
    folded: List[str] = []
    owner: List[int] = []  # for each folded character, the index of its original character
    for index, char in enumerate(original):
        for piece in _fold(char):
            folded.append(piece)
            owner.append(index)
    at = fold_dialect("".join(folded)).find(target)  # length kept: owner still maps each position
    if at < 0:
        return None
    return owner[at], owner[at + len(target) - 1] + 1
