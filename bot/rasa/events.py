"""Rasa finds an event's class by its name (`Event.resolve_by_type`) by walking every subclass of
`Event` and checking which are abstract, for each event it reads: from the tracker store and in
every action-server response. Under load that walk was a fifth of reading a tracker
(docs/bench.md). Here a name, once resolved, is remembered. Unknown names still go through
Rasa's own lookup (so `default` and its errors are Rasa's), and are never remembered, so an
event class imported later is still found."""

from __future__ import annotations

from typing import Dict, Optional, Text, Type

from rasa.shared.core.events import Event

_rasa_resolve_by_type = Event.resolve_by_type
_resolved: Dict[Text, Type[Event]] = {}


def resolve_by_type(type_name: Text, default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
    """`Event.resolve_by_type`, remembering the names it has resolved."""
    cls = _resolved.get(type_name)
    if cls is not None:
        return cls
    try:
        cls = _rasa_resolve_by_type(type_name, None)
    except ValueError:
        cls = None
    if cls is not None:
        _resolved[type_name] = cls
        return cls
    return _rasa_resolve_by_type(type_name, default)  # None, `default` or Rasa's ValueError


def install() -> None:
    """Idempotent."""
    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[assignment]
