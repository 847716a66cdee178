"""Sentences of a message, and the one that asks: a long story's question is its last asking
sentence ("…前前后后要好几个月。想问问现在有没有简易注销，流程是怎样的")."""

from __future__ import annotations

import re
from typing import List, Optional, Tuple

from bot.text.normalize import normalize

# Question words, read on the normalised text too (問問 and 怎樣 are asked in Traditional as well).
# "几天" asks; "好几天", "十几个", "前几天" tell ("垃圾堆了好几天没人收"). 咩, 乜嘢: Cantonese "what".
ASKS = re.compile(r"[?？吗呢嘛伐咩]|乜嘢|想问|请问|问一下|问问|咨询|多少|多久|(?<![好十前这那没过头最隔])几[天趟次个日]|哪|怎么|怎样|咋|啥|什么|能不能|"
                  r"可不可以|是否|有没有|要不要|收不收|行不行|会不会|是不是|能否|可否|需不需要|用不用|对不对"
                  # a question ending in 不 or 了没: "要钱不", "网上行不", "批下来了没"
                  r"|[\u4e00-\u9fff]{2}不[\s。.!！]*$|了没[\s。.!！]*$")
_SENTENCE_END = re.compile(r"[。！!？?；;\n]+")


def asks(text: str) -> bool:
    """Whether the text is worded as a question."""
    return bool(ASKS.search(text) or ASKS.search(normalize(text)))


def sentences(text: str) -> List[str]:
    """The sentences of a text as written (normalising drops the punctuation that ends them)."""
    return [part for part in _SENTENCE_END.split(text) if part.strip()]


# Phone typists who put no full stop anywhere part their sentences with a space ("…一直住在城中村
# 租的房子 就是我不知道这个居主证到底咋版 我白天都在跑单只有下午两三点空一会").
_SPACE_END = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")


def spaced_questions(text: str) -> List[str]:
    """The parts that ask, of a text without full stops whose parts are set apart by spaces
    (none when it has full stops or no such parts)."""
    if _SENTENCE_END.search(text.strip()):
        return []
    parts = [part for part in _SPACE_END.split(text) if part.strip()]
    return [part for part in parts if asks(part)] if len(parts) > 1 else []


_CLAUSE_END = re.compile(r"[，,。！!？?；;\n]+")
# Clauses as the citizen wrote them: normalising drops the punctuation that separates them
# ("燃气也要过户，燃气呢" is two), so they are cut first, then each normalised.
_CLAUSE_CUT = re.compile(r"[，。！？,.!?；;、\s]+")


def written_clauses(text: str) -> List[str]:
    """The clauses of a text split at its punctuation only (spaces kept), as written, none empty:
    what normalising would join ("开车的活，人事让我…" is no 活人)."""
    return [part for part in _CLAUSE_END.split(text) if part.strip()]


def clauses(text: str) -> List[str]:
    """The clauses of a text as written, each normalised with its spaces dropped, none empty."""
    return [c for c in (normalize(part).replace(" ", "") for part in _CLAUSE_CUT.split(text)) if c]


def asking_clause_of(text: str) -> Optional[str]:
    """The last clause that asks, when the text has several clauses ("卖家说房子以前抵押过，贷款
    已经还清了，这样过户有没有影响"); None otherwise."""
    clauses = written_clauses(text)
    if len(clauses) < 2:
        return None
    return next((part for part in reversed(clauses) if asks(part)), None)


def asking_sentences(text: str) -> List[str]:
    """The sentences that ask something, last first, when the text has several sentences."""
    sentences_ = sentences(text)
    if len(sentences_) < 2:
        return []
    return [part for part in reversed(sentences_) if asks(part)]


def asking_sentence(text: str) -> Optional[str]:
    """The last sentence that asks something, when the text has several sentences; None otherwise."""
    return next(iter(asking_sentences(text)), None)


# Words that carry no topic of their own in a follow-up ("那这个要多少钱呢？").
_FILLER = set("那这个要呢吗嘛啊呀吧还请问我的了能可以是不么得都就在也去该")


def only_asks(text: str, aspect_span: Optional[Tuple[int, int]]) -> bool:
    """The message is only an aspect question ("那要多少钱？", "在哪里办"), no topic words besides
    it: `aspect_span` is where the aspect was found in the text as written (bot.text's offsets)."""
    if aspect_span is None:
        return False
    start, end = aspect_span
    rest = normalize(text[:start] + text[end:]).replace(" ", "")
    return sum(1 for ch in rest if ch not in _FILLER) <= 2
