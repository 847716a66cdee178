"""Sentences of a message, and the one that asks: a long story's question is its last asking
sentence ("…前前后后要好几个月。想问问现在有没有简易注销，流程是怎样的")."""

from __future__ import annotations

import re
from typing import Optional

from bot.text.normalize import normalize

# Question words, read on the normalised text too (問問 and 怎樣 are asked in Traditional as well).
ASKS = re.compile(r"[?？吗呢嘛伐]|想问|请问|问一下|问问|咨询|多少|多久|几[天趟次个日]|哪|怎么|怎样|咋|啥|什么|能不能|"
                  r"可不可以|是否|有没有|要不要|收不收|行不行")
_SENTENCE_END = re.compile(r"[。！!？?；;\n]+")


def asks(text: str) -> bool:
    """Whether the text is worded as a question."""
    return bool(ASKS.search(text) or ASKS.search(normalize(text)))


def asking_sentence(text: str) -> Optional[str]:
    """The last sentence that asks something, when the text (as written: normalising drops the
    punctuation) has several sentences; None otherwise."""
    sentences = [part for part in _SENTENCE_END.split(text) if part.strip()]
    if len(sentences) < 2:
        return None
    return next((part for part in reversed(sentences) if asks(part)), None)
