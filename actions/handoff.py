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
from actions.conversation import channel_of, idempotency_key, user_texts
from actions.tickets import FALLBACK_DEPARTMENT


class ActionHandoff(Action):
    def name(self) -> Text:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        department = FALLBACK_DEPARTMENT
        matter = tracker.get_slot("current_matter")
        try:
            if matter:
                guide = await hall().guide(matter)
                if guide and guide["kind"] != "bundle":
                    department = guide["department"]
            recent = [t for t in user_texts(tracker)[-6:] if t]
            ticket = await hall().create_ticket(
                {
                    "kind": "handoff",
                    "department": department,
                    "matter": matter,
                    "conversation_id": tracker.sender_id,
                    "channel": channel_of(tracker),
                    "description": "群众申请转人工。最近的话：" + " / ".join(recent),
                    "region": tracker.get_slot("region"),
                    "contact_phone": tracker.get_slot("contact_phone"),
                    "consent": True,  # asking for a person is asking staff to read the conversation
                    "idempotency_key": idempotency_key(tracker, "ticket:handoff"),
                }
            )
        except HallUnavailable:
            dispatcher.utter_message(
                text="抱歉，人工服务暂时接不通。您可以拨打12345政务服务热线，或稍后再说“转人工”。"
            )
            return []
        dept = ticket.get("department_name") or ticket["department"]
        dispatcher.utter_message(
            text=f"好的，已为您转接{dept}的工作人员（工单 {ticket['number']}）。"
            f"工作人员会在这里直接回复您，{ticket.get('promised_response', '请稍候')}。在此期间我先不插话。",
            json_message={"handoff": True, "ticket": ticket["number"], "department": ticket["department"],
                          "department_name": dept, "kind": "handoff"},
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
            dispatcher.utter_message(text=f"【工作人员】{text}")
        return [SlotSet("staff_message", None)]


class ActionHandoffReleased(Action):
    def name(self) -> Text:
        return "action_handoff_released"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        dispatcher.utter_message(text="工作人员已结束人工服务，接下来由智能助手继续为您服务。还有什么需要帮忙的吗？")
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
        dispatcher.utter_message(text=f"您的工单 {number} 已办结{resolution}。")
        again = ticket is not None and ticket.get("kind") == "feedback"
        dispatcher.utter_message(
            response="utter_ask_rating",
            **({"text": "问题处理后，欢迎您再评价一次（追评）："} if again else {}),
        )
        return [SlotSet("resolved_ticket", None), SlotSet("last_ticket", number), SlotSet("rating", None)]
