"""AspectExtractor: which aspect of a matter the citizen asks about (materials, fee, ...).

A small lexicon-driven entity extractor; the phrases live in data/lexicon/aspects.yml so that a
service centre can add the words its citizens use without touching code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.matching.lexicon import load_aspects
from bot.text.normalize import normalize
from bot.text.spans import locate

def find_aspect(text: str, lexicon: List[Tuple[str, str]]) -> Optional[Tuple[str, int, int]]:
    """The aspect of the earliest, longest lexicon phrase in the text."""
    best: Optional[Tuple[str, int, int]] = None
    for phrase, aspect in lexicon:
        start = text.find(phrase)
        if start >= 0 and (best is None or start < best[1]):
            best = (aspect, start, start + len(phrase))
    return best


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False
)
class AspectExtractor(GraphComponent, EntityExtractorMixin):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"lexicon_path": "data/lexicon/aspects.yml"}

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[Text]:
        path = Path(config["lexicon_path"])
        return path.read_text(encoding="utf-8") if path.exists() else None

    def __init__(self, config: Dict[Text, Any]) -> None:
        self._lexicon = load_aspects(Path(config["lexicon_path"]))

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "AspectExtractor":
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            original = message.get(TEXT) or ""
            found = find_aspect(normalize(original), self._lexicon)
            if found:
                aspect, phrase_start, phrase_end = found
                # Offsets in the text as written (bot.text's convention), found from the phrase.
                span = locate(original, normalize(original)[phrase_start:phrase_end])
                start, end = span if span else (0, len(original))
                entity = {"entity": "aspect", "value": aspect, "start": start, "end": end,
                          "confidence": 1.0, "extractor": self.__class__.__name__}
                message.set(ENTITIES, message.get(ENTITIES, []) + [entity], add_to_output=True)
        return messages
