"""What the matcher gives and what it reads off a message: plain data, shared by its stages."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Dict, FrozenSet, List, Optional, Tuple

import numpy as np


@dataclass
class Match:
    matter: str
    department: str
    score: float
    name: str = ""
    features: Dict[str, float] = field(default_factory=dict, repr=False, compare=False)


@dataclass
class MatchResult:
    query: str
    matches: List[Match]
    abstain: bool
    clarify: bool = False
    normalized: str = ""
    path: str = "lexical"  # which stage answered: "lexical" or "semantic" (not in the JSON output)

    def to_dict(self, top_k: Optional[int] = None) -> Dict[str, Any]:
        matches = self.matches[:top_k] if top_k else self.matches
        return {
            "query": self.query,
            "matches": [{"matter": m.matter, "department": m.department, "score": round(m.score, 4)}
                        for m in matches],
            "abstain": self.abstain,
        }

    def to_json(self, top_k: Optional[int] = None) -> str:
        """One line of ``onetrip match`` output."""
        return json.dumps(self.to_dict(top_k), ensure_ascii=False)


@dataclass
class QueryAnalysis:
    """Everything derived from the query text alone; exposed for debugging and the CLI."""

    normalized: str
    repaired: str
    tokens: List[str]
    unit_ids: List[int]
    unit_idf: np.ndarray
    known_share: float
    content: List[Tuple[str, float, bool]]  # (token, weight, is an object word)
    kinds: List[str]
    departments: List[str]
    inside_verbs: FrozenSet[int] = frozenset()  # offsets in `repaired` inside a verb compound (补领's 领)
