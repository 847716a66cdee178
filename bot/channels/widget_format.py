"""The shape of one bot message for the web widget, shared by the socket.io channel (live) and the
hall's /widget/history (replayed from the tracker). Kept free of Rasa imports for the hall."""

from __future__ import annotations

from typing import Any, Dict, Iterable, Optional


def widget_message(
    timestamp: Optional[float], text: Optional[str], buttons: Optional[Iterable[Any]], custom: Any
) -> Dict[str, Any]:
    message: Dict[str, Any] = {"timestamp": timestamp}
    if text:
        message["text"] = text
    choices = [
        {"content_type": "text", "title": b.get("title", ""), "payload": b.get("payload", "")}
        for b in (buttons or []) if isinstance(b, dict)
    ]
    if choices:
        message["quick_replies"] = choices
    if custom:
        message["custom"] = custom
    return message
