"""Rasa's `LogisticRegressionClassifier` builds the feature row of each message with
`scipy.sparse.hstack([sparse sentence features, csr_matrix(dense or [])])` and then `vstack`s
the rows: for the one message of a chat turn that assembly cost more than the prediction
itself (≈3 ms against ≈0.7 ms on these machines). When a message has no dense features — the
case of OneTrip's pipeline, count vectors only — the row is its sparse sentence features, as
float64 like Rasa's; anything else goes to Rasa's own code. Same matrix, same predictions
(tests/unit/test_rasa_classifier.py)."""

from __future__ import annotations

from typing import List

import numpy as np
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.message import Message
from scipy.sparse import csr_matrix, hstack, vstack

_rasa_create_X = LogisticRegressionClassifier._create_X


def create_X(self: LogisticRegressionClassifier, messages: List[Message]) -> csr_matrix:
    rows = []
    for message in messages:
        # The sentence features only: Rasa's `get_sparse_features` also combines (copies and
        # stacks) the per-token sequence features, which the classifier never reads.
        sentence = [f for f in message.features if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE]
        sparse = [f.features for f in sentence if f.is_sparse()]
        if not sparse or len(sparse) != len(sentence):
            return _rasa_create_X(self, messages)  # no features, or dense ones: Rasa's own code
        rows.append(sparse[0] if len(sparse) == 1 else _side_by_side(sparse))
    if len(rows) == 1:
        return csr_matrix(rows[0], dtype=np.float64)
    return vstack(rows, format="csr", dtype=np.float64)


def _side_by_side(parts: List) -> csr_matrix:
    """`hstack(parts)` of one-row matrices (a message's sentence features, one per featurizer),
    built directly: scipy's general block assembly cost more than the prediction. Canonical (sorted,
    duplicates summed) like hstack's, so the matrix is the same."""
    if any(p.shape[0] != 1 for p in parts):
        return hstack(parts)
    cols, data, offset = [], [], 0
    for part in parts:
        coo = part.tocoo()
        cols.append(coo.col.astype(np.int64) + offset)
        data.append(coo.data.astype(np.float64))
        offset += part.shape[1]
    col = np.concatenate(cols)
    row = csr_matrix((np.concatenate(data), col, np.array([0, len(col)])), shape=(1, offset))
    row.sum_duplicates()  # also sorts the column indices
    return row


def install() -> None:
    """Idempotent."""
    LogisticRegressionClassifier._create_X = create_X
