"""Reading a whole message: sentences, the main request, and the chunks an embedding can take.

Hotline records run to a thousand characters: "来电人王**反映：1. …；2. …。诉求：请住建部门…". The
router reads all of it (the matcher reads the head only), and weighs the main request (the
诉求 sentence, or a closing "请…/希望…" sentence) once more, since a record often tells the
background of several problems before it says what it asks for and of whom.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List

from bot.text.normalize import normalize

MAX_CHARS = 4000  # a pasted 1 MB text must not cost more than a long letter
CHUNK_CHARS = 160  # e5 reads up to 512 tokens, but its cost grows fast with length: keep chunks short
MAX_CHUNKS = 2

# Sentence ends, and the numbered points of hotline records (1. 2、 （3） ③).
_SPLIT_RE = re.compile(r"[。！？!?；;\n\r]+|(?<![\d.])\d{1,2}[.、)）](?!\d)|[(（]\d{1,2}[)）]|[①②③④⑤⑥⑦⑧⑨⑩]")
# What marks the request itself, strongest first.
_REQUEST_MARK = re.compile(r"诉求|来电人要求|来电人希望|要求[:：]|希望[:：]")
_REQUEST_OPENERS = ("请求", "恳请", "希望", "要求", "请", "建议", "能否", "能不能", "询问", "咨询", "想问", "问一下")


@dataclass(frozen=True)
class Prepared:
    normalized: str        # the whole message, normalised (bot.text.normalize)
    main: str              # the main-request sentence, normalised ("" when the message is one)
    chunks: List[str]      # up to MAX_CHUNKS normalised pieces for the embedding stage

    @property
    def lexical(self) -> str:
        """What the lexical model reads: the whole text, and the main request once more."""
        return f"{self.normalized} {self.main}" if self.main else self.normalized


def sentences(text: str) -> List[str]:
    return [s.strip() for s in _SPLIT_RE.split(text or "") if s and s.strip()]


def main_request(parts: List[str]) -> str:
    """The sentence that says what the citizen asks for, or "" when no sentence stands out."""
    if len(parts) < 2:
        return ""
    for i, part in enumerate(parts):
        found = _REQUEST_MARK.search(part)
        if found:
            rest = part[found.end():].lstrip("：: ")
            # "诉求：" alone on its line: the request is the next sentence.
            return rest if len(rest) >= 4 else (parts[i + 1] if i + 1 < len(parts) else part)
    for part in reversed(parts[1:]):
        if part.startswith(_REQUEST_OPENERS):
            return part
    return ""


def prepare(text: str) -> Prepared:
    raw = text[: MAX_CHARS * 2] if isinstance(text, str) else ""
    normalized = normalize(raw, max_chars=MAX_CHARS)
    parts = sentences(raw)
    main = normalize(main_request(parts), max_chars=MAX_CHARS) if len(normalized) > 40 else ""
    if main == normalized:
        main = ""
    chunks: List[str] = []
    if len(normalized) <= CHUNK_CHARS:
        chunks = [normalized] if normalized else []
    else:
        # The main request says it shortest; the opening says who and what.
        chunks = [c for c in (main[:CHUNK_CHARS], normalized[:CHUNK_CHARS]) if c][:MAX_CHUNKS]
    return Prepared(normalized, main, chunks)
