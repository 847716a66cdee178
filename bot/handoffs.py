"""What a conversation's events say of its handoff: whether one still waits for staff.

Read by the actions (tracker events as dicts) and by the human mode in the Rasa server (its
Event objects, as dicts), so that both agree on when a handoff is waiting.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, Optional

from bot.vocabulary import TicketKind


def waiting_handoff(events_newest_first: Iterable[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """The payload of the conversation's latest handoff message, unless staff have written since
    (a bot message with a "human" payload: staff wrote, or human mode ended)."""
    for event in events_newest_first:
        if event.get("event") != "bot":
            continue
        custom = (event.get("data") or {}).get("custom") or {}
        if "human" in custom:
            return None
        if custom.get("kind") == TicketKind.HANDOFF.value and custom.get("ticket"):
            return custom
    return None
