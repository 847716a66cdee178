"""NormalizingJiebaTokenizer: Rasa's JiebaTokenizer on full-width-folded, Simplified text.

Citizens write in Traditional characters and full-width forms; the intent classifier learns
from (mostly) Simplified examples. Folding before segmentation lets both meet one vocabulary.
The folding keeps every character in place, so token offsets still point into the original text.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Any, Dict, List, Text

import opencc
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.message import Message


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def fold_in_place(text: str) -> str:
    """Half-width, Simplified, lower-case text of exactly the same length as the input."""
    chars = []
    for char in text:
        folded = unicodedata.normalize("NFKC", char)
        chars.append(folded if len(folded) == 1 else char)
    text = "".join(chars).lower()
    simplified = _t2s().convert(text)
    if len(simplified) != len(text):  # a phrase conversion changed the length: go char by char
        simplified = "".join(c2 if len(c2 := _t2s().convert(c)) == 1 else c for c in text)
    return simplified


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True
)
class NormalizingJiebaTokenizer(JiebaTokenizer):
    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource) -> None:
        import jieba

        super().__init__(config, model_storage, resource)
        # jieba reads its dictionary on first use: do it while the model loads, not on the
        # first citizen's message (about two seconds of CPU).
        jieba.initialize()

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        import jieba

        text = fold_in_place(message.get(attribute) or "")
        tokens = [Token(word, start) for (word, start, _end) in jieba.tokenize(text)]
        return self._apply_token_pattern(tokens)
