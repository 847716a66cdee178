"""Human handoff: the bot steps aside while staff talk, and relays what staff write.

Within office hours (the hall's working-day calendar) the handoff says the place in the queue
and the expected wait; outside them, when staff are back and that the ticket is a call-back
request. Either way the conversation is paused: what the citizen writes goes to the ticket, and
"结束人工" / "转回机器人" give it back to the bot (bot.rasa.human_mode, `action_human_mode_ended`).

The service hall drives the relay, release, resolution and transfer actions through Rasa's HTTP API
(`POST /conversations/{id}/execute?output_channel=latest`), so staff words reach the citizen in
the channel they used; `execute` runs even while the conversation is paused for handoff.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, ConversationPaused, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.api.hall import HallUnavailable, hall
from actions.conversation import is_button, text_of, user_texts, Answering
from actions.cues import asks_for_person, says, speaks_of_person
from actions.form_slots import FORM_SLOTS
from actions.ticket_request import department_for, supplement, ticket_request
from bot.handoffs import waiting_handoff as latest_waiting
from bot.privacy import mask_phone
from bot.text.calling_off import calls_off
from bot.text.phones import contact_number
from bot.vocabulary import TicketKind


class ActionHandoff(Answering):
    def name(self) -> Text:
        return "action_handoff"

    async def decide(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        text = text_of(tracker)
        form = (tracker.active_loop or {}).get("name")
        if not is_button(tracker) and not asks_for_person(text) and not speaks_of_person(text):
            # No ticket, and no consent to read the conversation, on a guess: "母猪人工授精找谁
            # 指导" or "人工费怎么算" is a question, whatever the intent classifier read; inside
            # a form ("你们会派人来看吗" when the phone is asked) the form reads it.
            return [FollowupAction(form or "action_answer_matter")]
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
        info = {"handoff": True, "ticket": ticket["number"], "department": ticket["department"],
                "department_name": dept, "kind": kind, "office_open": ticket.get("office_open"),
                "queue_position": ticket.get("queue_position"),
                "expected_wait_minutes": ticket.get("expected_wait_minutes"), "back_at": ticket.get("back_at")}
        if ticket.get("office_open") is False:
            phone = tracker.get_slot("contact_phone")
            callback = (f"工作人员上班后会打 {mask_phone(phone)} 给您回电，不用在这里等。" if phone else
                        "如需电话回复，请在这里留下手机号，工作人员上班后给您回电，不用在这里等。")
            dispatcher.utter_message(response="utter_handoff_after_hours", department_name=dept,
                                     number=ticket["number"], back=ticket.get("back_text") or "下一个工作日",
                                     office_hours=ticket.get("office_hours") or "9:00-17:00",
                                     callback=callback, json_message=info)
        elif ticket.get("queue_position"):
            dispatcher.utter_message(response="utter_handoff_queued", department_name=dept, number=ticket["number"],
                                     ahead=max(0, int(ticket["queue_position"]) - 1),
                                     wait=max(1, int(ticket.get("expected_wait_minutes") or 1)), json_message=info)
        else:
            dispatcher.utter_message(
                response="utter_handoff_started", department_name=dept, number=ticket["number"],
                promise=ticket.get("promised_response") or "请稍候", json_message=info,
            )
        # A form left half-filled for a person is the person's now: no later "好的" submits it.
        left = [ActiveLoop(None), SlotSet("requested_slot", None)] if form else []
        return left + [SlotSet(slot, None) for slot in FORM_SLOTS] + [
            SlotSet("last_ticket", ticket["number"]), SlotSet("served", True), ConversationPaused()]


def waiting_handoff(tracker: Tracker) -> Optional[Dict[str, Any]]:
    """The payload of the conversation's latest handoff message, unless staff have written since."""
    return latest_waiting(reversed(tracker.events))


class ActionHandoffContact(Action):
    """Outside office hours the handoff asks for a phone to call back. What the citizen sends while
    the conversation waits goes to staff either way; a phone is also added to the ticket and "不留电话"
    is taken, both acknowledged, so the citizen is not left without an answer to what was asked.
    Run by bot.rasa.human_mode for every message of a paused conversation; silent otherwise."""

    def name(self) -> Text:
        return "action_handoff_contact"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        handoff = waiting_handoff(tracker)
        if not handoff or handoff.get("office_open") is not False:
            return []
        text, number = text_of(tracker), handoff["ticket"]
        phone = contact_number(text)
        info = {"handoff": True, "ticket": number, "kind": TicketKind.HANDOFF.value,
                "department": handoff.get("department"), "office_open": False}
        if phone:
            if await supplement(dispatcher, tracker, number, phone=phone) is None:
                return []
            dispatcher.utter_message(response="utter_handoff_callback_noted", number=number,
                                     contact=mask_phone(phone), json_message=info)
            return [SlotSet("contact_phone", phone)]
        if says(text, "no_phone"):
            dispatcher.utter_message(response="utter_handoff_callback_declined", number=number, json_message=info)
        return []


class ActionRelayStaffMessage(Action):
    def name(self) -> Text:
        return "action_relay_staff_message"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        text = (tracker.get_slot("staff_message") or "").strip()
        name = (tracker.get_slot("staff_name") or "").strip() or "工作人员"
        dept = (tracker.get_slot("staff_department") or "").strip()
        if text:
            # Who answers: department and display name (the hall never sends a login name).
            # (not `text=`: rasa_sdk would send it instead of the response's template)
            dispatcher.utter_message(response="utter_staff_message", staff_text=text,
                                     staff=name if not dept or name.startswith(dept) else f"{dept} · {name}",
                                     json_message={"human": {"department_name": dept, "staff_name": name}})
        return [SlotSet("staff_message", None)]


class ActionHandoffReleased(Action):
    def name(self) -> Text:
        return "action_handoff_released"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        dispatcher.utter_message(response="utter_handoff_released", json_message={"human": None})
        return []


class ActionHumanModeEnded(Action):
    """The citizen said "结束人工" / "转回机器人" (bot.rasa.human_mode resumed the conversation)."""

    def name(self) -> Text:
        return "action_human_mode_ended"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        try:
            await hall().human_mode_ended(tracker.sender_id)
        except HallUnavailable:
            pass  # the conversation is the bot's again either way; the console shows it in the transcript
        # "算了不用了" before staff answered: called off, in those words.
        dispatcher.utter_message(response="utter_handoff_called_off" if calls_off(text_of(tracker))
                                 else "utter_human_mode_ended", json_message={"human": None})
        return []


async def called_off(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """A question that opens by calling off a handoff no staff member has answered yet ("哦不用了，
    我自己先问问，优待证怎么申请"; bot.rasa.human_mode resumed the conversation): the hall and the
    citizen are told, and the caller answers the question."""
    if not (calls_off(text_of(tracker)) and waiting_handoff(tracker)):
        return False
    try:
        await hall().human_mode_ended(tracker.sender_id)
    except HallUnavailable:
        pass  # the conversation is the bot's again either way
    dispatcher.utter_message(response="utter_handoff_called_off", json_message={"human": None})
    return True


async def ticket_named_by(tracker: Tracker, slot: str) -> Tuple[Optional[str], Optional[Dict[str, Any]]]:
    """The ticket number the hall put in ``slot`` and the ticket itself (None when the hall is down)."""
    number = tracker.get_slot(slot)
    if not number:
        return None, None
    try:
        return number, await hall().ticket(number)
    except HallUnavailable:
        return number, None


class ActionTicketTransferred(Action):
    """Staff transferred a ticket: the citizen hears which department has it now, and its promise."""

    def name(self) -> Text:
        return "action_ticket_transferred"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        number, ticket = await ticket_named_by(tracker, "transferred_ticket")
        if not number:
            return []
        if ticket is None:
            return [SlotSet("transferred_ticket", None)]
        dept = ticket.get("department_name") or ticket["department"]
        dispatcher.utter_message(
            response="utter_ticket_transferred", number=number, department_name=dept,
            promise=ticket.get("promised_response") or "",
            json_message={"ticket": number, "department": ticket["department"], "department_name": dept,
                          "kind": ticket["kind"], "transferred": True, "due_at": ticket.get("due_at")},
        )
        return [SlotSet("transferred_ticket", None), SlotSet("last_ticket", number)]


class ActionTicketResolved(Action):
    """Staff resolved a ticket: tell the citizen, and ask for a 好差评 (or a 追评 on feedback)."""

    def name(self) -> Text:
        return "action_ticket_resolved"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        number, ticket = await ticket_named_by(tracker, "resolved_ticket")
        if not number:
            return []
        resolution = f"：{ticket['resolution']}" if ticket and ticket.get("resolution") else ""
        dispatcher.utter_message(response="utter_ticket_resolved", number=number, resolution=resolution)
        again = ticket is not None and ticket.get("kind") == TicketKind.FEEDBACK
        dispatcher.utter_message(response="utter_ask_rating_again" if again else "utter_ask_rating")
        return [SlotSet("resolved_ticket", None), SlotSet("last_ticket", number), SlotSet("rating", None)]
