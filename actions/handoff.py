"""Human handoff: the bot steps aside while staff talk, and relays what staff write.

The service hall drives the last three actions through Rasa's HTTP API
(`POST /conversations/{id}/execute?output_channel=latest`), so staff words reach the citizen in
the channel they used; `execute` runs even while the conversation is paused for handoff.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.api.hall import HallUnavailable, hall
from actions.conversation import user_texts
from actions.ticket_request import department_for, ticket_request
from bot.vocabulary import TicketKind


class ActionHandoff(Action):
    def name(self) -> Text:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        matter = tracker.get_slot("current_matter")
        kind = TicketKind.HANDOFF.value
        try:
            guide = await hall().guide(matter) if matter else None
            recent = [t for t in user_texts(tracker)[-6:] if t]
            ticket = await hall().create_ticket(ticket_request(
                tracker, kind, department_for(kind, guide), "群众申请转人工。最近的话：" + " / ".join(recent),
                matter=matter,
                consent=True,  # asking for a person is asking staff to read the conversation
            ))
        except HallUnavailable:
            dispatcher.utter_message(response="utter_handoff_unavailable")
            return []
        dept = ticket.get("department_name") or ticket["department"]
        dispatcher.utter_message(
            response="utter_handoff_started", department_name=dept, number=ticket["number"],
            promise=ticket.get("promised_response") or "请稍候",
            json_message={"handoff": True, "ticket": ticket["number"], "department": ticket["department"],
                          "department_name": dept, "kind": kind},
        )
        return [SlotSet("last_ticket", ticket["number"]), SlotSet("served", True), ConversationPaused()]


class ActionRelayStaffMessage(Action):
    def name(self) -> Text:
        return "action_relay_staff_message"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        text = (tracker.get_slot("staff_message") or "").strip()
        if text:
            dispatcher.utter_message(response="utter_staff_message", text=text)
        return [SlotSet("staff_message", None)]


class ActionHandoffReleased(Action):
    def name(self) -> Text:
        return "action_handoff_released"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        dispatcher.utter_message(response="utter_handoff_released")
        return []


class ActionTicketResolved(Action):
    """Staff resolved a ticket: tell the citizen, and ask for a 好差评 (or a 追评 on feedback)."""

    def name(self) -> Text:
        return "action_ticket_resolved"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        number = tracker.get_slot("resolved_ticket")
        if not number:
            return []
        try:
            ticket = await hall().ticket(number)
        except HallUnavailable:
            ticket = None
        resolution = f"：{ticket['resolution']}" if ticket and ticket.get("resolution") else ""
        dispatcher.utter_message(response="utter_ticket_resolved", number=number, resolution=resolution)
        again = ticket is not None and ticket.get("kind") == TicketKind.FEEDBACK
        dispatcher.utter_message(response="utter_ask_rating_again" if again else "utter_ask_rating")
        return [SlotSet("resolved_ticket", None), SlotSet("last_ticket", number), SlotSet("rating", None)]
