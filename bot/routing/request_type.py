"""What a message asks for: 咨询, 投诉, 建议 or 求助 (the 12345 hotline's 诉求类型).

Explicit cues decide first ("建议…", "投诉…", "举报…", "求助…"); otherwise a small linear model over
the router's own lexical features, trained on the remit files' four phrasing lists (asks,
complaints, requests, suggestions), reads the wording.
"""

from __future__ import annotations

import re
from typing import Any, Optional, Sequence

import numpy as np

from bot.routing.features import Features, Linear
from bot.vocabulary import RequestType

# Cues at the start of the message or of its main request: the citizen says what it is.
_CUES = (
    (re.compile(r"^(?:我)?(?:想|要)?(?:投诉|举报)"), RequestType.COMPLAINT),
    (re.compile(r"^(?:我)?(?:想|要)?(?:提个|提一个|有个|有一个)?建议"), RequestType.SUGGESTION),
    (re.compile(r"^(?:求助|求求|救命|紧急求助)"), RequestType.HELP),
)
C = 0.3


class RequestTyper:
    def __init__(self) -> None:
        self._model: Optional[Linear] = None

    def fit(self, matrix: Any, types: Sequence[RequestType]) -> "RequestTyper":
        from sklearn.svm import LinearSVC

        self._model = Linear(LinearSVC(C=C, class_weight="balanced").fit(matrix, [t.value for t in types]))
        return self

    @staticmethod
    def cue(normalized: str, main: str = "") -> Optional[RequestType]:
        for text in (normalized, main):
            for pattern, kind in _CUES:
                if text and pattern.search(text):
                    return kind
        return None

    def predict(self, features: Features, normalized: str, main: str = "") -> RequestType:
        kind = self.cue(normalized, main)
        if kind is None and self._model is not None:
            kind = RequestType(self._model.classes[int(np.argmax(self._model.decision(features)))])
        return kind or RequestType.CONSULT
