"""Tickets: the guidance/complaint/兜底 form, opening the ticket, and the citizen's status query."""

from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import render
from actions.api.hall import HallUnavailable, hall
from actions.conversation import channel_of, idempotency_key, match_of, text_of
from actions.matters import MIN_DESCRIPTION_CHARS, hall_down, prefill_ticket_form
from bot.regions import find_region, looks_like_place
from actions.validation import contact_phone_slot, mainland_mobile, substance
from bot.privacy import mask_phone

logger = logging.getLogger(__name__)

FALLBACK_DEPARTMENT = "zwfw"  # 政务服务办: the 兜底 window and the 好差评 channel
TICKET_NUMBER_RE = re.compile(r"ZJ\d{8}-\d{4}", re.IGNORECASE)
ASK_MARK = "请详细说说遇到的情况"
RETRY_MARK = "能再多说一些吗"
FORM_SLOTS = ("problem_description", "consent", "ticket_kind", "ticket_matter", "rating", "rating_reason")


SUBMIT_WORD = "提交"
CONTENT_SLOTS = ("problem_description", "rating_reason")


def form_anchor(tracker: Tracker) -> Optional[float]:
    """Which turn of the conversation gave the form's content, counted in citizen messages.

    The same for every attempt to submit that form, and also when a Rasa server died after the
    hall stored the ticket but before the tracker was saved: the message the citizen then sends
    again lands on the same turn, where a timestamp would differ.
    """
    turn, anchor = 0, None
    for event in tracker.events:
        if event.get("event") == "user":
            turn += 1
        elif event.get("event") == "slot" and event.get("name") in CONTENT_SLOTS and event.get("value"):
            anchor = float(turn)
    return anchor


def pending_ticket(tracker: Tracker) -> bool:
    """A filled-in form whose ticket was never confirmed: action_open_ticket clears the form's
    slots once the hall has answered, so they are still set only when the hall (or the action
    server) was down at submission."""
    if (tracker.active_loop or {}).get("name"):
        return False
    if tracker.get_slot("problem_description") and tracker.get_slot("consent") is True:
        return True
    return bool(tracker.get_slot("rating") and tracker.get_slot("rating_reason"))


def wants_submit(tracker: Tracker, intent: str) -> bool:
    """"提交" (what the apology asks for) or a plain yes."""
    text = text_of(tracker).strip()
    return intent == "affirm" or (SUBMIT_WORD in text and len(text) <= 12)


async def _pending_kind(tracker: Tracker) -> str:
    kind = tracker.get_slot("ticket_kind")
    if kind:
        return kind
    if not tracker.get_slot("problem_description"):
        return "feedback"
    matter = tracker.get_slot("ticket_matter")
    guide = await hall().guide(matter) if matter else None
    return guide["kind"] if guide and guide.get("kind") in ("guidance", "complaint") else "fallback"


def _last_bot_text(tracker: Tracker) -> str:
    for event in reversed(tracker.events):
        if event.get("event") == "bot":
            return event.get("text") or ""
    return ""


class ValidateTicketForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_ticket_form"

    def validate_problem_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        text = str(value or "").strip()
        # Too thin: ask once for more (action_ask_ticket_form_problem_description); a second
        # short answer is accepted rather than trapping the citizen in the form.
        asked_before = RETRY_MARK in _last_bot_text(tracker)
        if substance(text) >= MIN_DESCRIPTION_CHARS or (asked_before and substance(text) >= 2):
            return {"problem_description": text[:2000]}
        return {"problem_description": None}

    def validate_region(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        region = find_region(str(value or "")) or looks_like_place(str(value or ""))
        if region:
            return {"region": region}
        dispatcher.utter_message(text="没识别出是哪个地方，请说一下市和区县，例如“杭州市萧山区”“湖州德清”。")
        return {"region": None}

    def validate_contact_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        return contact_phone_slot(value, dispatcher)

    def validate_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if value is False:
            dispatcher.utter_message(response="utter_no_consent")
        return {"consent": bool(value)}


class ActionAskProblemDescription(Action):
    """Asks for the problem with what this matter's experts need to know (the guide's `tell`)."""

    def name(self) -> Text:
        return "action_ask_ticket_form_problem_description"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        hints = "要办的是什么事、在哪里办的、卡在哪一步"
        matter = tracker.get_slot("ticket_matter")
        if matter:
            try:
                guide = await hall().guide(matter)
            except HallUnavailable:
                guide = None
            if guide and guide.get("ticket"):
                hints = "；".join(guide["ticket"]["tell"][:4])
        last = _last_bot_text(tracker)
        if ASK_MARK in last or RETRY_MARK in last:  # the citizen answered, but too briefly
            dispatcher.utter_message(text=f"{RETRY_MARK}？说得越具体，工作人员越能帮上忙。比如：{hints}。")
        else:
            dispatcher.utter_message(text=f"{ASK_MARK}，最好包括：{hints}。")
        return []


class ActionOpenTicket(Action):
    """Opens the ticket the form collected (guidance, complaint, fallback or feedback)."""

    def name(self) -> Text:
        return "action_open_ticket"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        return await self.open(dispatcher, tracker, tracker.get_slot("ticket_kind") or "guidance")

    async def open(self, dispatcher: CollectingDispatcher, tracker: Tracker, kind: Optional[str]) -> List[EventType]:
        """Opens the ticket; kind None: a re-submission after an outage, the kind is worked out."""
        matter = tracker.get_slot("ticket_matter")
        department = FALLBACK_DEPARTMENT
        try:
            kind = kind or await _pending_kind(tracker)
            if matter and kind in ("guidance", "complaint"):
                guide = await hall().guide(matter)
                department = guide["department"] if guide else FALLBACK_DEPARTMENT
            rating = tracker.get_slot("rating")
            payload = {
                "kind": kind,
                "department": department,
                "matter": matter,
                "conversation_id": tracker.sender_id,
                "channel": channel_of(tracker),
                "description": tracker.get_slot("problem_description")
                or tracker.get_slot("rating_reason")
                or text_of(tracker),
                "region": tracker.get_slot("region"),
                "contact_phone": tracker.get_slot("contact_phone"),
                "consent": bool(tracker.get_slot("consent")) if kind != "feedback" else True,
                # Anchored on the form's content, not this message: a re-submission after an outage
                # (the hall may have stored the first attempt) gets the same ticket, never a second.
                "idempotency_key": idempotency_key(tracker, f"ticket:{kind}", form_anchor(tracker)),
                "rating": int(rating) if rating else None,
                "reason": tracker.get_slot("rating_reason"),
            }
            ticket = await hall().create_ticket(payload)
        except HallUnavailable:
            dispatcher.utter_message(
                text="抱歉，工单系统暂时没有响应，您的信息还在，我稍后可以再帮您提交（再说一次“提交”即可）。"
                "着急的话请拨打12345政务服务热线。"
            )
            return []
        phone = tracker.get_slot("contact_phone")
        contact = f"，会打 {mask_phone(phone)} 联系您" if phone else ""
        dept = ticket.get("department_name") or ticket["department"]
        dispatcher.utter_message(
            text=f"已为您提交工单，编号 {ticket['number']}，由{dept}处理{contact}。\n"
            f"承诺：{ticket.get('promised_response', '')}。\n"
            "想查进度时说“我的工单怎么样了”并附上工单号即可。",
            json_message={"ticket": ticket["number"], "department": ticket["department"],
                          "department_name": dept, "kind": ticket["kind"]},
        )
        return [SlotSet(slot, None) for slot in FORM_SLOTS] + [
            SlotSet("last_ticket", ticket["number"]),
            SlotSet("served", True),
        ]


class ActionReportFailedTrip(Action):
    """跑一次没办成: a 兜底 ticket to the 政务服务办, who follow up."""

    def name(self) -> Text:
        return "action_report_failed_trip"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        view = match_of(tracker)
        matter = None if view.abstain or view.clarify else view.top
        dispatcher.utter_message(
            text="很抱歉让您白跑了。按照“最多跑一次”的承诺，政务服务办的兜底窗口会专门跟进，"
            "帮您把事办成。我先记录一下情况：您去办的是什么事、在哪里、卡在哪一步。"
        )
        events = prefill_ticket_form(tracker, "fallback", matter)
        return events


class ActionTicketStatus(Action):
    """Shows only the citizen's own tickets: by number (with phone or this conversation) or phone."""

    def name(self) -> Text:
        return "action_ticket_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        text = text_of(tracker)
        number_match = TICKET_NUMBER_RE.search(text)
        number: Optional[str] = number_match.group(0).upper() if number_match else None
        phone = mainland_mobile(text)
        if not number and not phone:
            number = tracker.get_slot("last_ticket")
        try:
            tickets = await hall().lookup_tickets(tracker.sender_id, number=number, phone=phone)
        except HallUnavailable:
            return hall_down(dispatcher)
        if not tickets:
            if number or phone:
                dispatcher.utter_message(text="没有查到与您的信息对应的工单。请核对工单号（如 ZJ20261124-0001）和提交时留的手机号。")
            else:
                dispatcher.utter_message(text="请告诉我工单号（如 ZJ20261124-0001），或提交工单时留的手机号，我帮您查。")
            return []
        lines = [render.describe_ticket(t) for t in tickets[:5]]
        dispatcher.utter_message(
            text="查到您的工单：\n" + "\n".join(lines),
            json_message={"tickets": [t["number"] for t in tickets[:5]]},
        )
        return []
