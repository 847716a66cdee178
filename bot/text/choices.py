"""Which of the offered options a reply picks: "2", "第二个", "选3", "最后那个"."""

from __future__ import annotations

import re
from typing import Optional

_CN_NUMBERS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "1": 1, "2": 2, "3": 3, "4": 4, "5": 5}
_CHOICE_RE = re.compile(r"^\s*(?:第|选|选择|就)?\s*([1-5一二两三四五])\s*(?:个|项|条|号|吧|呀|啊)?\s*[。.!！]?\s*$")
_ORDINAL_RE = re.compile(r"第\s*([1-5一二两三四五])\s*(?:个|项|条)")
_LAST_RE = re.compile(r"最后(?:一|那)?个|最后那")


def choice_number(text: str) -> Optional[int]:
    """1-based option number from "2", "第二个", "选3", or -1 for "最后那个"; None otherwise."""
    text = (text or "").strip()
    for pattern in (_CHOICE_RE, _ORDINAL_RE):
        found = pattern.search(text)
        if found:
            return _CN_NUMBERS[found.group(1)]
    if _LAST_RE.search(text):
        return -1
    return None
