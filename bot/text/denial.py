"""Whether a word the citizen wrote is denied where it stands: "证没丢，只是旧了" says no loss."""

from __future__ import annotations

import re

# A denial just before a word ("没丢", "没有弄丢", "并没丢", "不是丢了", "未遗失"), at most one word
# between ("没有弄丢": 弄). Not a question of whether ("丢没丢", "是不是丢了").
_DENIED_BEFORE = re.compile(r"(?:(?<![是])不是|(?<![丢掉])没有?|并没有?|并非|未)[弄搞给被]?$")


def denied(text: str, start: int) -> bool:
    """Whether the word at `start` of `text` (one form: raw or folded, as the caller has it) is
    denied by the words just before it."""
    return bool(_DENIED_BEFORE.search(text[max(0, start - 4):start]))
