"""Issue 19 in the action server, as an attacker drives it: a rating typed again (the hall answers
409), and a scan of ticket numbers from one conversation."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions.feedback as feedback
import actions.tickets as tickets
from bot.ratelimit import reset_limiter


class Hall:
    def __init__(self, rated: bool) -> None:
        self.rated, self.lookups = rated, 0

    async def record_rating(self, payload: Dict[str, Any]) -> bool:
        return not self.rated

    async def lookup_tickets(self, conversation_id, number=None, phone=None) -> List[Dict[str, Any]]:
        self.lookups += 1
        return []


def tracker(text: str, sender: str = "attacker", entities=None) -> Tracker:
    return Tracker(sender, {"served": True, "current_matter": "scjg.consumer_complaint"},
                   {"text": text, "intent": {"name": "rate"}, "entities": entities or []},
                   [], False, None, {}, "action_listen")


async def test_a_second_rating_is_thanked_once_without_a_ticket(monkeypatch):
    monkeypatch.setattr(feedback, "hall", lambda: Hall(rated=True))
    dispatcher = CollectingDispatcher()
    events = await feedback.ActionRecordRating().run(
        dispatcher, tracker('rate{"rating": "1"}', entities=[{"entity": "rating", "value": "1"}]), {})
    assert [m.get("response") for m in dispatcher.messages] == ["utter_thank"]
    assert not any(e.get("name") == "ticket_kind" and e.get("value") for e in events)  # no 差评 form


async def test_ticket_number_scan_is_slowed(monkeypatch):
    monkeypatch.setenv("ONETRIP_RATE_LOOKUPS_SENDER", "5/300")
    reset_limiter()
    hall = Hall(rated=False)
    monkeypatch.setattr(tickets, "hall", lambda: hall)
    said = []
    for i in range(8):
        dispatcher = CollectingDispatcher()
        await tickets.ActionTicketStatus().run(dispatcher, tracker(f"查工单 ZJ20270105-{i:04d}", "scanner"), {})
        said.append(dispatcher.messages[0].get("text") or dispatcher.messages[0].get("response"))
    reset_limiter()
    assert hall.lookups == 5
    assert said[-1] == "utter_too_many_lookups"
