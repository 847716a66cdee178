"""bot/rasa/classifier.py builds the same feature matrix as Rasa's LogisticRegressionClassifier."""

from __future__ import annotations

import numpy as np
import scipy.sparse
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message

from bot.rasa import classifier


def _message(row, dense=None, words=None) -> Message:
    """Sparse sequence and sentence features as CountVectorsFeaturizer adds them (a second
    featurizer's when `words` is given, as in OneTrip's pipeline), optionally dense ones."""
    message = Message(data={TEXT: "身份证快过期了"})
    for origin, values in (("chars", row), ("words", words)):
        if values is None:
            continue
        sentence = scipy.sparse.coo_matrix(np.array([values], dtype=np.int64))
        message.add_features(Features(scipy.sparse.coo_matrix((3, len(values)), dtype=np.int64), FEATURE_TYPE_SEQUENCE, TEXT, origin))
        message.add_features(Features(sentence, FEATURE_TYPE_SENTENCE, TEXT, origin))
    if dense is not None:
        message.add_features(Features(np.array([dense], dtype=np.float32), FEATURE_TYPE_SENTENCE, TEXT, "dense"))
    return message


def _same(a, b) -> None:
    assert a.shape == b.shape and a.dtype == b.dtype
    assert (a != b).nnz == 0


def test_one_and_several_messages_like_rasa():
    rows = [[0, 2, 0, 1, 0], [1, 0, 0, 0, 3], [0, 0, 0, 0, 0]]
    for messages in ([_message(rows[0])], [_message(r) for r in rows]):
        _same(classifier.create_X(None, messages), classifier._rasa_create_X(None, messages))


def test_two_featurizers_like_rasa():
    messages = [_message([0, 2, 0, 1], words=[1, 0, 5]), _message([1, 0, 0, 0], words=[0, 0, 0])]
    _same(classifier.create_X(None, messages[:1]), classifier._rasa_create_X(None, messages[:1]))
    _same(classifier.create_X(None, messages), classifier._rasa_create_X(None, messages))
    assert classifier.create_X(None, messages).shape == (2, 7)


def test_dense_features_use_rasas_own_code():
    messages = [_message([0, 1, 0], dense=[0.5, 0.25])]
    _same(classifier.create_X(None, messages), classifier._rasa_create_X(None, messages))
    assert classifier.create_X(None, messages).shape == (1, 5)
