"""bot/rasa/events.py resolves event names as Rasa does, remembering only what it found."""

from __future__ import annotations

import pytest
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered

from bot.rasa import events


def test_same_classes_as_rasa_and_rasas_errors():
    events.install()
    for name, cls in [("slot", SlotSet), ("action", ActionExecuted), ("user", UserUttered)]:
        assert Event.resolve_by_type(name) is cls
        assert Event.resolve_by_type(name) is cls  # from the memory now
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no_such_event", SlotSet) is SlotSet
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")
    assert "no_such_event" not in events._resolved


def test_an_event_class_defined_later_is_found():
    events.install()
    with pytest.raises(ValueError):
        Event.resolve_by_type("onetrip_test_event")

    class LateEvent(Event):
        type_name = "onetrip_test_event"

        def __eq__(self, other):  # noqa: ANN001
            return isinstance(other, LateEvent)

        def as_story_string(self):
            return self.type_name

    assert Event.resolve_by_type("onetrip_test_event") is LateEvent
    assert Event.from_parameters({"event": "slot", "name": "a", "value": 1}) == SlotSet("a", 1)
