"""Similarity of short citizen questions: cosine of character 1- and 2-gram counts.

Used to group failed questions for review and to find the approved answer for a question. No
model and no index: a few thousand short texts group in well under a second, and the characters
of Chinese carry most of the meaning at this length. Texts are compared in the matcher's
canonical form (bot.text.normalize: simplified, half-width, lower-case), without punctuation.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Sequence, Tuple

from bot.text.normalize import normalize

_DROP = re.compile(r"[\s\W_]+", re.UNICODE)
# Filler that every question has; it would make unrelated questions look alike.
_STOP = set("的了吗呢吧啊呀么我你是要在有和就都也还请问怎样怎么什哪")


def canonical(text: str) -> str:
    return _DROP.sub("", normalize(text or ""))


def vector(text: str) -> Dict[str, float]:
    chars = [c for c in canonical(text)]
    grams = Counter(c for c in chars if c not in _STOP)
    grams.update(a + b for a, b in zip(chars, chars[1:]))
    norm = math.sqrt(sum(v * v for v in grams.values())) or 1.0
    return {g: v / norm for g, v in grams.items()}


def cosine(a: Dict[str, float], b: Dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(g, 0.0) for g, v in a.items())


def similarity(x: str, y: str) -> float:
    return cosine(vector(x), vector(y))


@dataclass
class Group:
    """Similar texts: ``items`` are (key, text) pairs; ``text`` is the most frequent wording."""

    text: str
    items: List[Tuple[object, str]] = field(default_factory=list)
    centroid: Dict[str, float] = field(default_factory=dict, repr=False)

    @property
    def count(self) -> int:
        return len(self.items)

    def wordings(self) -> List[Tuple[str, int]]:
        """Each distinct wording with its count, most frequent first."""
        counts = Counter(t for _, t in self.items)
        return counts.most_common()


def group(items: Iterable[Tuple[object, str]], threshold: float = 0.5) -> List[Group]:
    """Greedy leader clustering: identical wordings first, then each wording joins the most similar
    group whose leader is at least ``threshold`` alike. Largest groups first."""
    by_text: Dict[str, List[Tuple[object, str]]] = {}
    for key, text in items:
        by_text.setdefault(canonical(text) or text, []).append((key, text))
    groups: List[Group] = []
    # The most frequent wordings lead their groups.
    for _, members in sorted(by_text.items(), key=lambda kv: -len(kv[1])):
        vec = vector(members[0][1])
        best, best_score = None, threshold
        for g in groups:
            score = cosine(vec, g.centroid)
            if score >= best_score:
                best, best_score = g, score
        if best is None:
            groups.append(Group(text=members[0][1], items=list(members), centroid=vec))
        else:
            best.items.extend(members)
    groups.sort(key=lambda g: (-g.count, g.text))
    return groups


def best_match(query: str, candidates: Sequence[Tuple[object, str]]) -> Tuple[object, float]:
    """The candidate key most similar to ``query`` and its score (None, 0.0 when there are none)."""
    q = vector(query)
    best, best_score = None, 0.0
    for key, text in candidates:
        score = cosine(q, vector(text))
        if score > best_score:
            best, best_score = key, score
    return best, best_score
