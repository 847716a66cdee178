"""A citizen handing the conversation back to the bot: "结束人工" / "转回机器人" (the release words),
or calling off the person they asked for ("哦不用了，我自己先问问…", "算了不转人工了").

Read by the human mode (bot.rasa.human_mode), which resumes a paused conversation on either, and
by the actions, which say so (and answer what follows the words that call the person off).
"""

from __future__ import annotations

import re

# At the start of the message only: "不用了" inside a question ("原件不用了吗") calls nothing off.
_CALLS_OFF = re.compile(r"^(?:哦|噢|喔|额|呃|嗯|那|那个|哎)?[\s，,。.!！]*"
                        r"(?:不用了|不用人工了?|不要人工了?|不用转人工了?|不转人工了?|不找人工了?|算了)")
_PUNCTUATION = re.compile(r"[\s，。！？!?,.、~～…]+")
RELEASE_WORDS = {"结束人工", "结束人工服务", "转回机器人", "转机器人", "回到机器人", "退出人工", "退出人工服务"}
# What is left after the words that call the person off, this long or more, is a question to answer.
QUESTION_CHARS = 4


def releases(text: object) -> bool:
    """Whether a citizen's message, as a whole, asks to leave human mode."""
    return isinstance(text, str) and _PUNCTUATION.sub("", text) in RELEASE_WORDS


def calls_off(text: object) -> bool:
    """Whether the message opens by calling the person off."""
    return isinstance(text, str) and bool(_CALLS_OFF.match(text.strip()))


def rest_after_calling_off(text: str) -> str:
    """What the message says after calling the person off ("我自己先问问，优待证怎么申请")."""
    match = _CALLS_OFF.match(text.strip())
    return _PUNCTUATION.sub("", text.strip()[match.end():]) if match else text
