"""JSON logs (ONETRIP_LOG_FORMAT=json): one object per line, masked, with the conversation id.

    {"ts": "2026-12-03T05:20:01.123+00:00", "level": "INFO", "logger": "bot.channels.rest",
     "conversation": "c73896c5…", "message": "…", "exc": "…"}

The message (and a traceback) goes through bot.privacy.mask_log, the one masking function:
phone and ID numbers in any of their written forms, tokens. The conversation id comes from a
context variable the channels set for each message (`conversation`), so every line logged while
Rasa handles that message carries it. Ground floor: imports bot.privacy and bot.settings only.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
from typing import Optional

from bot import settings
from bot.privacy import mask_log

CONVERSATION: contextvars.ContextVar[Optional[str]] = contextvars.ContextVar("onetrip_conversation", default=None)


def conversation(sender_id: Optional[str]) -> contextvars.Token:
    """Mark the current task's log lines with this conversation id."""
    return CONVERSATION.set(sender_id)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "conversation": getattr(record, "conversation", None) or CONVERSATION.get(),
            "message": mask_log(record.getMessage()),
        }
        if record.exc_info:
            entry["exc"] = mask_log(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def install(force: bool = False) -> bool:
    """Put the JSON formatter on the root logger's handlers (one stderr handler if none), when
    ONETRIP_LOG_FORMAT=json or `force`. Idempotent; True when installed."""
    if not (force or settings.json_logs()):
        return False
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler())
    for handler in root.handlers:
        if not isinstance(handler.formatter, JsonFormatter):
            handler.setFormatter(JsonFormatter())
    return True
