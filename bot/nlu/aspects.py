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

from pypinyin import lazy_pinyin

from bot.matching.lexicon import load_aspects
from bot.text.normalize import normalize
from bot.text.spans import locate
from bot.vocabulary import Aspect

# Question words: "材料往哪里递" asks where (哪里), not what to bring (材料).
CONDITIONS = Aspect.CONDITIONS.value
_INTERROGATIVES = ("哪", "几", "多少", "多久", "啥", "什么", "怎么", "咋", "吗", "不", "能")


def find_aspect(text: str, lexicon: List[Tuple[str, str]]) -> Optional[Tuple[str, int, int]]:
    """The aspect the text asks about: of the lexicon phrases it contains, one worded as a
    question wins over a bare noun; then the earliest, then the longest."""
    best: Optional[Tuple[Tuple[int, int, int, int], Tuple[str, int, int]]] = None
    for phrase, aspect in lexicon:
        start = text.find(phrase)
        if start < 0:
            continue
        asks = any(word in phrase for word in _INTERROGATIVES)
        # "网上能办吗", "手机上能开吗": the thing named (online) is asked, not whether one may
        # (conditions) — conditions only when nothing else is asked.
        key = (1 if aspect == CONDITIONS else 0, 0 if asks else 1, start, -len(phrase))
        if best is None or key < best[0]:
            best = (key, (aspect, start, start + len(phrase)))
    return best[1] if best else None


def find_aspect_by_sound(text: str, lexicon: List[Tuple[str, str]]) -> Optional[Tuple[str, int, int]]:
    """The same, where a phone typist's homophone hides the phrase ("要准被啥", "能半吗"):
    phrases of three or more characters compared by their pinyin, tones ignored."""
    syllables = lazy_pinyin(text, errors=lambda chars: ["?"] * len(chars))
    joined = " " + " ".join(syllables) + " "
    best: Optional[Tuple[str, int, int]] = None
    for phrase, aspect in lexicon:
        if len(phrase) < 3:
            continue
        sound = " " + " ".join(lazy_pinyin(phrase)) + " "
        at = joined.find(sound)
        if at >= 0:
            start = joined[:at].count(" ")
            if best is None or start < best[1]:
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
            folded = normalize(original)
            found = find_aspect(folded, self._lexicon) or find_aspect_by_sound(folded, self._lexicon)
            if found:
                aspect, phrase_start, phrase_end = found
                # Offsets in the text as written (bot.text's convention), found from the phrase.
                span = locate(original, folded[phrase_start:phrase_end])
                start, end = span if span else (0, len(original))
                entity = {"entity": "aspect", "value": aspect, "start": start, "end": end,
                          "confidence": 1.0, "extractor": self.__class__.__name__}
                message.set(ENTITIES, message.get(ENTITIES, []) + [entity], add_to_output=True)
        return messages
