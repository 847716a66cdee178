"""The Rasa component with Rasa's real model storage: train, persist, load, process."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.catalogue import default_catalogue_path
from bot.nlu.matter_matcher import MATCH_PROPERTY, MatterMatcher

CATALOGUE = str(default_catalogue_path())


@pytest.fixture()
def storage(tmp_path: Path) -> LocalModelStorage:
    (tmp_path / "storage").mkdir()
    return LocalModelStorage(tmp_path / "storage")


def _context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), "test")


def test_train_persist_load_process(storage: LocalModelStorage) -> None:
    resource = Resource("matter_matcher")
    config = {**MatterMatcher.get_default_config(), "catalogue_path": CATALOGUE}
    component = MatterMatcher.create(config, storage, resource, _context())
    assert component.train(TrainingData()) == resource

    loaded = MatterMatcher.load(config, storage, resource, _context())
    # Its segmenter is built while the model loads, not on the first citizen's message.
    assert loaded._matcher.index._tokenizer is not None
    text = "社宝卡丢了怎么办"
    confident, chitchat = Message(data={"text": text}), Message(data={"text": "你好呀"})
    loaded.process([confident, chitchat])

    assert confident.get("text") == text  # the text is never rewritten
    by_type = {e["entity"]: e for e in confident.get("entities")}
    assert by_type["matter"]["value"] == "renshe.social_card_lost"
    assert by_type["matter"]["extractor"] == "MatterMatcher"
    assert by_type["department"]["value"] == "renshe"
    assert 0 < by_type["matter"]["confidence"] <= 1
    assert 0 <= by_type["matter"]["start"] < by_type["matter"]["end"] <= len(text)
    match = confident.get(MATCH_PROPERTY)
    assert match["abstain"] is False and match["matches"][0]["matter"] == "renshe.social_card_lost"
    assert set(match["matches"][0]) == {"matter", "department", "score", "name"}
    # Added to Rasa's output properties, so it survives into the parse result.
    assert MATCH_PROPERTY in confident.as_dict(only_output_properties=True)

    assert chitchat.get("entities", []) == []
    assert chitchat.get(MATCH_PROPERTY)["abstain"] is True


def test_load_without_persisted_index_builds_from_catalogue(storage: LocalModelStorage) -> None:
    config = {**MatterMatcher.get_default_config(), "catalogue_path": CATALOGUE}
    component = MatterMatcher.load(config, storage, Resource("never_trained"), _context())
    message = Message(data={"text": "身份证到期了"})
    component.process([message])
    assert message.get(MATCH_PROPERTY)["matches"][0]["matter"] == "gongan.id_card_renew"


def test_fingerprint_follows_the_catalogue(tmp_path: Path) -> None:
    copy = tmp_path / "catalogue"
    shutil.copytree(CATALOGUE, copy)
    before = MatterMatcher.fingerprint_addon({"catalogue_path": str(copy)})
    assert before == MatterMatcher.fingerprint_addon({"catalogue_path": str(copy)})
    departments = copy / "departments.yml"
    departments.write_text(departments.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert MatterMatcher.fingerprint_addon({"catalogue_path": str(copy)}) != before


def test_private_segmenters_keep_their_own_words() -> None:
    """Each segmenter starts from one copy of jieba's dictionary: words added to one stay there."""
    from bot.matching.index import make_tokenizer

    first, second = make_tokenizer(["公积金提取"]), make_tokenizer(["虾苗病害"])
    assert "公积金提取" in first.lcut("我要公积金提取", HMM=False)
    assert "公积金提取" not in second.lcut("我要公积金提取", HMM=False)
    assert "虾苗病害" in second.lcut("虾苗病害怎么办", HMM=False)
    assert "虾苗病害" not in first.lcut("虾苗病害怎么办", HMM=False)
