"""The lexical features: TF-IDF of character 1-3-grams and of jieba words, each block L2-normed.

scikit-learn fits the vocabularies and IDF weights; a message is then featurised here in plain
Python and NumPy (~0.3 ms), because TfidfVectorizer.transform costs ~1 ms per call in sparse-matrix
bookkeeping alone, several times the routing budget. Linear models keep only their coefficient
matrices (``Linear``), so a pickled router depends on no scikit-learn version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, List, Sequence, Tuple

import numpy as np

_SPACES = re.compile(r"\s\s+")
EMPTY = (np.zeros(0, np.int32), np.zeros(0, np.float32))


def char_ngrams(text: str) -> List[str]:
    """Character 1-, 2- and 3-grams (spaces included: a space marks a word boundary)."""
    text = _SPACES.sub(" ", text)
    grams = list(text)
    for n in (2, 3):
        grams += [text[i:i + n] for i in range(len(text) - n + 1)]
    return grams


class WordAnalyzer:
    """jieba words with the domain vocabulary kept whole; picklable (the segmenter is rebuilt)."""

    def __init__(self, words: Sequence[str]) -> None:
        self.words = sorted(set(words))
        self._tokenizer: Any = None

    def __getstate__(self) -> Dict[str, Any]:
        return {"words": self.words, "_tokenizer": None}

    def __call__(self, text: str) -> List[str]:
        if self._tokenizer is None:
            from bot.matching.index import make_tokenizer

            self._tokenizer = make_tokenizer(self.words)
        return [t for t in self._tokenizer.lcut(text, HMM=True) if t.strip()]


@dataclass
class Features:
    indices: np.ndarray   # feature columns present in the message
    values: np.ndarray    # their TF-IDF weights
    words: List[str]      # the message's words (the gate counts how many the knowledge knows)


class Featurizer:
    def __init__(self, words: Sequence[str]) -> None:
        self.analyzer = WordAnalyzer(words)
        self.char_vocab: Dict[str, int] = {}
        self.char_idf = np.zeros(0, np.float32)
        self.word_vocab: Dict[str, int] = {}
        self.word_idf = np.zeros(0, np.float32)

    @property
    def size(self) -> int:
        return len(self.char_vocab) + len(self.word_vocab)

    def fit(self, texts: Sequence[str]) -> "Featurizer":
        from sklearn.feature_extraction.text import TfidfVectorizer

        chars = TfidfVectorizer(analyzer=char_ngrams, sublinear_tf=True, dtype=np.float32).fit(texts)
        words = TfidfVectorizer(analyzer=self.analyzer, sublinear_tf=True, dtype=np.float32).fit(texts)
        self.char_vocab = {k: int(v) for k, v in chars.vocabulary_.items()}
        self.char_idf = chars.idf_.astype(np.float32)
        self.word_vocab = {k: int(v) for k, v in words.vocabulary_.items()}
        self.word_idf = words.idf_.astype(np.float32)
        return self

    def transform(self, text: str) -> Features:
        words = self.analyzer(text)
        ci, cv = _block(char_ngrams(text), self.char_vocab, self.char_idf)
        wi, wv = _block(words, self.word_vocab, self.word_idf)
        return Features(np.concatenate([ci, wi + len(self.char_vocab)]), np.concatenate([cv, wv]), words)

    def matrix(self, texts: Sequence[str]) -> Any:
        """A CSR matrix of many texts, for training (the same numbers as ``transform``)."""
        from scipy.sparse import csr_matrix

        rows = [self.transform(t) for t in texts]
        indptr = np.cumsum([0] + [len(r.indices) for r in rows])
        indices = np.concatenate([r.indices for r in rows]) if rows else np.zeros(0, np.int32)
        values = np.concatenate([r.values for r in rows]) if rows else np.zeros(0, np.float32)
        return csr_matrix((values, indices, indptr), shape=(len(rows), self.size), dtype=np.float32)


def _block(tokens: List[str], vocab: Dict[str, int], idf: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    counts: Dict[int, int] = {}
    for token in tokens:
        j = vocab.get(token)
        if j is not None:
            counts[j] = counts.get(j, 0) + 1
    if not counts:
        return EMPTY
    idx = np.fromiter(counts.keys(), np.int32, len(counts))
    values = (1.0 + np.log(np.fromiter(counts.values(), np.float32, len(counts)))) * idf[idx]
    norm = float(np.sqrt(values @ values))
    return idx, (values / norm if norm else values).astype(np.float32)


class Linear:
    """A fitted linear classifier's decision function, without scikit-learn at run time."""

    def __init__(self, model: Any) -> None:
        self.classes = [str(c) for c in model.classes_]
        coef = np.asarray(model.coef_, dtype=np.float32)
        intercept = np.asarray(model.intercept_, dtype=np.float32)
        if len(self.classes) == 2 and coef.shape[0] == 1:  # binary: one row, for the second class
            coef, intercept = np.vstack([-coef, coef]), np.concatenate([-intercept, intercept])
        self.coef_t = np.ascontiguousarray(coef.T)  # (features, classes): a message's rows are contiguous
        self.intercept = intercept

    def decision(self, features: Features) -> np.ndarray:
        if not len(features.indices):
            return self.intercept.astype(np.float64)
        return (features.values @ self.coef_t[features.indices] + self.intercept).astype(np.float64)
