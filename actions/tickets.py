"""Tickets: opening the one a form collected, 跑一次没办成 (兜底), and the citizen's status query."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import render
from actions.api.hall import HallUnavailable, hall
from actions.conversation import intent_of, match_of, text_of, Answering
from actions.form_slots import FORM_SLOTS, LONG_STORY_CHARS, form_anchor, pending_ticket, prefill_ticket_form
from actions.cues import STORY_CHARS, says
from actions.ticket_request import TICKET_OPENED, announce_ticket, department_for, supplement, ticket_number, ticket_request
from bot.catalogue.lexicons import cue_pattern
from bot.privacy import mask_phone
from bot.text.normalize import normalize
from bot.ratelimit import limiter
from bot.text.phones import contact_number, mainland_mobile
from bot.text.regions import find_region, looks_like_place
from bot.text.sentences import asks
from bot.vocabulary import FALLBACK_DEPARTMENT, FALLBACK_MATTER, TICKET_MATTER_KINDS, Aspect, TicketKind

async def _pending_kind(tracker: Tracker) -> str:
    """The kind of a form re-submitted after an outage (its ticket_kind may be gone)."""
    kind = tracker.get_slot("ticket_kind")
    if kind:
        return kind
    if not tracker.get_slot("problem_description"):
        return TicketKind.FEEDBACK.value
    matter = tracker.get_slot("ticket_matter")
    guide = await hall().guide(matter) if matter else None
    return guide["kind"] if guide and guide.get("kind") in TICKET_MATTER_KINDS else TicketKind.FALLBACK.value


# Asked once a guidance ticket is filed; a later message may answer it.
ASK_TRANSCRIPT_CONSENT = "utter_ask_transcript_consent"
_CONSENT_TOLD = ("utter_transcript_consent_noted", "utter_no_consent")


def ask_consent(dispatcher: CollectingDispatcher, kind: Optional[str], consent: Any) -> None:
    """"May staff read this conversation?", once a guidance ticket exists and it was not given:
    asked when the form is done, so a citizen who stops earlier still has their expert."""
    if kind == TicketKind.GUIDANCE.value and not consent:
        dispatcher.utter_message(response=ASK_TRANSCRIPT_CONSENT)


def consent_pending(tracker: Tracker) -> bool:
    """Whether "may staff read this conversation?" was asked after the last ticket was filed and
    is not answered yet (a phone corrected in between does not lose the question)."""
    for event in reversed(tracker.events):
        if event.get("event") != "bot":
            continue
        said = (event.get("metadata") or {}).get("utter_action")
        if said == ASK_TRANSCRIPT_CONSENT:
            return True
        if said in _CONSENT_TOLD or said == TICKET_OPENED:
            return False
    return False


_CONSENT_WORDS = ("同意", "可以", "好的", "好", "行", "没问题", "嗯", "对", "提交", "登记")


def consent_answer(tracker: Tracker) -> Optional[bool]:
    """The answer to "may staff read this conversation?" (asked once a guidance ticket is filed):
    yes ("同意", "好的谢谢", "可以的"), no ("不同意", "不用了"), or None for anything else, which
    is then read as the message it is ("对了，我店里的许可证快到期了…" is a new question)."""
    folded = normalize(text_of(tracker)).replace(" ", "")
    intent = intent_of(tracker)
    if folded.startswith(("对了", "好像", "好多", "行不行")) or (len(folded) > 12 and re.search(r"[?？吗么]", folded)):
        return None
    if folded.startswith(("不同意", "不可以", "不行", "不要", "不用", "不愿意", "不好")) or (intent == "deny" and len(folded) <= 12):
        return False
    if folded.startswith(_CONSENT_WORDS) or (intent == "affirm" and len(folded) <= 12):
        return True
    return None


MAX_TICKET_TEXT = 8000  # the hall's limit for a description; the citizen is told when cut


def told_since(tracker: Tracker, slot: str) -> List[str]:
    """The citizen's own words since `slot` was last set (a form began, a ticket was filed):
    button payloads and plain yes/no aside."""
    started, told = False, []
    for event in tracker.events:
        if event.get("event") == "slot" and event.get("name") == slot and event.get("value"):
            started, told = True, []
        elif started and event.get("event") == "user":
            text = (event.get("text") or "").strip()
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            if text and not text.startswith("/") and intent not in ("affirm", "deny"):
                told.append(text)
    return told


def with_details(tracker: Tracker, description: str) -> str:
    """The description and whatever else the citizen told while the form was open ("在义乌市，一个
    服装厂，老板姓陈"): nothing they wrote is lost on the way to the ticket."""
    extra = [t for t in told_since(tracker, "ticket_kind")
             if t not in description and len(t) > 4 and not t.replace(" ", "").isdigit()]
    full = description + ("\n补充：" + "；".join(extra) if extra else "")
    return full[:MAX_TICKET_TEXT]


def told_since_filing(tracker: Tracker) -> List[str]:
    """What the citizen wrote after their ticket was filed while its form still asked for a phone
    (a place, more of the story), phones aside: added to the ticket, not lost."""
    return [t for t in told_since(tracker, "filed_ticket")
            if len(re.sub(r"[\d\s\-－+()（）]", "", t)) > 4 and not says(t, "no_phone") and not says(t, "cancel")]


# A complaint this long, with words asking to act, is told in full: filed at once ("打网约车被司机
# 绕路，多收了我四十多块，要投诉": who, what and the request; "我要投诉" alone is not).
TOLD_IN_FULL = 20


class ActionOpenTicket(Answering):
    """Opens the ticket the form collected (guidance, complaint, fallback or feedback)."""

    def name(self) -> Text:
        return "action_open_ticket"

    async def decide(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        if not tracker.get_slot("ticket_kind") and not pending_ticket(tracker):
            return []  # the citizen dropped the form ("算了"): nothing to submit
        filed = tracker.get_slot("filed_ticket")
        if filed:  # filed when it was told (a 差评's reason, a complaint in full): the form only asked for a phone
            return await self.add_contact(dispatcher, tracker, filed)
        return await self.open(dispatcher, tracker, tracker.get_slot("ticket_kind") or TicketKind.GUIDANCE.value)

    @staticmethod
    async def add_contact(dispatcher: CollectingDispatcher, tracker: Tracker, number: str) -> List[EventType]:
        phone, region = tracker.get_slot("contact_phone"), tracker.get_slot("region")
        told = told_since_filing(tracker)  # "杭州上城区望江菜场，进门第三个肉摊" in answer to the phone question
        region = region or next((r for r in map(find_region, told) if r), None)
        ticket = None
        if phone or region or told:
            ticket = await supplement(dispatcher, tracker, number, phone=phone or None, region=region,
                                      note="；".join(told)[:2000] or None, failed="utter_callback_failed")
            if ticket is None:
                return [SlotSet("requested_slot", None)]
        # The ticket the phone went onto, named in the payload as when it was filed.
        payload = {"ticket": number, **({"kind": ticket.get("kind"), "department": ticket.get("department"),
                                         **({"matter": ticket["matter"]} if ticket.get("matter") else {})}
                                        if ticket else {})}
        if phone:
            dispatcher.utter_message(response="utter_callback_noted", number=number, contact=mask_phone(phone),
                                     json_message=payload)
        else:
            dispatcher.utter_message(response="utter_callback_declined", number=number, json_message=payload)
        ask_consent(dispatcher, (ticket or {}).get("kind"), tracker.get_slot("consent"))  # filed when told: the form is done
        return [SlotSet(slot, None) for slot in FORM_SLOTS] + [SlotSet("served", True)]

    @staticmethod
    async def add_particulars(dispatcher: CollectingDispatcher, tracker: Tracker, number: str) -> List[EventType]:
        """A place or a phone told right after the ticket was filed ("在萧山区", "白天打我单位座机"):
        added to that ticket, not read as a new question."""
        text = text_of(tracker)
        phone, region = contact_number(text), find_region(text) or looks_like_place(text)
        # The place in the citizen's words ("奉化区溪口镇"): the town or village the region leaves out.
        note = text.strip() if region and not phone else None
        if await supplement(dispatcher, tracker, number, phone=phone, region=region, note=note) is None:
            return []
        told = "、".join(x for x in (region and f"地点“{region}”", phone and f"电话 {mask_phone(phone)}") if x)
        dispatcher.utter_message(response="utter_ticket_details_added", number=number, details=told)
        return [SlotSet("contact_phone", phone)] if phone else []

    @staticmethod
    async def record_consent(dispatcher: CollectingDispatcher, tracker: Tracker, number: str,
                             consent: bool) -> List[EventType]:
        """The answer to "may staff read this conversation?", asked after a guidance ticket was
        filed: kept on that ticket (the hall lets staff open the transcript only with it)."""
        ticket = await supplement(dispatcher, tracker, number, consent=consent)
        if ticket is None:
            return []
        dispatcher.utter_message(response="utter_transcript_consent_noted" if consent else "utter_no_consent",
                                 number=number, json_message={"ticket": number, "kind": ticket.get("kind"),
                                                              "department": ticket.get("department")})
        return []

    @staticmethod
    async def confirm(dispatcher: CollectingDispatcher, number: str) -> List[EventType]:
        """"同意", "好的" right after the ticket was filed or its phone added: the ticket confirmed,
        with its payload, never "还有什么要办的事" as if nothing had happened."""
        try:
            ticket = await hall().ticket(number)
        except HallUnavailable:
            ticket = None
        if ticket is None:
            dispatcher.utter_message(response="utter_anything_else")
            return []
        dept = ticket.get("department_name") or ticket.get("department")
        dispatcher.utter_message(response="utter_ticket_confirmed", number=number, department_name=dept,
                                 json_message={"ticket": number, "kind": ticket.get("kind"),
                                               "department": ticket.get("department"), "department_name": dept})
        return []

    @staticmethod
    async def add_note(dispatcher: CollectingDispatcher, tracker: Tracker, number: str) -> List[EventType]:
        """More of the story told after the ticket was filed: added to its description."""
        text = text_of(tracker)
        if await supplement(dispatcher, tracker, number, phone=contact_number(text), note=text[:2000]) is None:
            return []
        dispatcher.utter_message(response="utter_ticket_details_added", number=number, details="您补充的情况")
        return []

    async def open(self, dispatcher: CollectingDispatcher, tracker: Tracker, kind: Optional[str]) -> List[EventType]:
        """Opens the ticket; kind None: a re-submission after an outage, the kind is worked out."""
        matter = tracker.get_slot("ticket_matter")
        try:
            kind = kind or await _pending_kind(tracker)
            guide = await hall().guide(matter) if matter and kind in TICKET_MATTER_KINDS else None
            rating = tracker.get_slot("rating")
            request = ticket_request(
                tracker, kind, tracker.get_slot("ticket_department") or department_for(kind, guide),
                with_details(tracker, tracker.get_slot("problem_description") or tracker.get_slot("rating_reason")
                             or text_of(tracker)),
                matter=matter,
                consent=bool(tracker.get_slot("consent")) if kind != TicketKind.FEEDBACK else True,
                # Anchored on the form's content, not this message: a re-submission after an outage
                # (the hall may have stored the first attempt) gets the same ticket, never a second.
                anchor=form_anchor(tracker),
                rating=int(rating) if rating else None,
                reason=tracker.get_slot("rating_reason"),
            )
            ticket = await hall().create_ticket(request)
        except HallUnavailable:
            dispatcher.utter_message(response="utter_ticket_system_unavailable")
            return []
        announce_ticket(dispatcher, ticket, tracker.get_slot("contact_phone"))
        ask_consent(dispatcher, kind, tracker.get_slot("consent"))
        return [SlotSet(slot, None) for slot in FORM_SLOTS] + [
            SlotSet("last_ticket", ticket["number"]),
            SlotSet("served", True),
        ]


class ActionReportFailedTrip(Answering):
    """跑一次没办成: a 兜底 ticket to the 政务服务办, who follow up."""

    def name(self) -> Text:
        return "action_report_failed_trip"

    async def decide(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        view = match_of(tracker)
        matter = None if view.abstain or view.clarify or view.top == FALLBACK_MATTER else view.top
        try:
            guide = await hall().guide(FALLBACK_MATTER)
        except HallUnavailable:
            guide = None
        # The answer is the 兜底 service itself (政务服务办's); `about` names the matter that failed.
        payload = {**render.matter_payload(guide, Aspect.OVERVIEW), "kind": TicketKind.FALLBACK.value,
                   "about": matter} if guide else None
        dispatcher.utter_message(response="utter_failed_trip", json_message=payload)
        events = prefill_ticket_form(tracker, TicketKind.FALLBACK.value, matter)
        return events + await file_when_told(dispatcher, tracker, TicketKind.FALLBACK.value, FALLBACK_DEPARTMENT, matter,
                                             events, asks_to_act=False)


def asks_ticket_status(text: str) -> bool:
    """A question about a ticket already filed: its number, or words about a ticket. "焊工证过期了
    还能续吗" (到期/续期) is a matter question, whatever the intent classifier says."""
    return (bool(ticket_number(text)) or says(text, "ticket_status")
            or (says(text, "own_ticket") and bool(cue_pattern("ticket_state").search(text))))


def status_words_only(text: str, aspect_at: Optional[Tuple[int, int]]) -> bool:
    """Whether the message asks no aspect but through its ticket-status words ("投诉处理到哪一步了":
    到哪一步 is how far the ticket has got, not a question of the steps)."""
    if aspect_at is None:
        return True
    start, end = aspect_at
    return any(m.start() <= end and start <= m.end() for m in cue_pattern("ticket_status").finditer(text))


class ActionTicketStatus(Action):
    """Shows only the citizen's own tickets: by number (with phone or this conversation) or phone."""

    def name(self) -> Text:
        return "action_ticket_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        text = text_of(tracker)
        number = ticket_number(text)
        phone = mainland_mobile(text)
        if not number and not phone:
            number = tracker.get_slot("last_ticket")
        elif not await limiter().allow("lookups", tracker.sender_id):
            # A scan of numbers or phones from one conversation: slowed down, politely.
            dispatcher.utter_message(response="utter_too_many_lookups")
            return []
        try:
            tickets = await hall().lookup_tickets(tracker.sender_id, number=number, phone=phone)
        except HallUnavailable:
            dispatcher.utter_message(response="utter_hall_unavailable")
            return []
        if not tickets:
            dispatcher.utter_message(response="utter_ticket_not_found" if number or phone else "utter_ask_ticket_number")
            return []
        dispatcher.utter_message(
            response="utter_tickets_found",
            tickets="\n".join(render.describe_ticket(t) for t in tickets[:5]),
            json_message={"tickets": [t["number"] for t in tickets[:5]]},
        )
        return []


async def file_when_told(dispatcher: CollectingDispatcher, tracker: Tracker, kind: str, department: str,
                         matter: Optional[str], prefilled: List[EventType], *, asks_to_act: bool = True) -> List[EventType]:
    """A complaint told in full with a request to act ("…我要投诉这家店") or as a story of the
    grievance, a remote-guidance problem told in full, or a failed trip told in full (兜底): filed at once, as a hotline registers what it is told, so nothing is lost if the
    citizen leaves now; a call-back phone, a place or more of the story are added to it after.
    [] when it is not (yet) told in full, or the hall cannot be reached: the form then collects
    it and files it at its end, as before."""
    slots = {e["name"]: e["value"] for e in prefilled if e.get("event") == "slot"}
    description = slots.get("problem_description")
    told = len(normalize(description or "").replace(" ", ""))
    # A request to act makes a line a complaint told in full; a story of the grievance this long is
    # one by itself ("…工资拖着不给，现在打他电话也不接了，十几个人一共被欠了四十几万"), and so is a
    # shorter one that only tells what went wrong, asking nothing ("…物业说在等配件一直拖着不修，物业费倒是一分不少地收").
    story = told >= STORY_CHARS or (told >= LONG_STORY_CHARS and not asks(description))
    if (not description or told < TOLD_IN_FULL
            or (asks_to_act and not says(description, "complaint_request") and not story)):
        return []
    request = ticket_request(tracker, kind, department, with_details(tracker, description), matter=matter,
                             consent=bool(slots.get("consent")))
    request.update(contact_phone=slots.get("contact_phone"), region=slots.get("region"))
    try:
        ticket = await hall().create_ticket(request)
    except HallUnavailable:
        return []
    announce_ticket(dispatcher, ticket, slots.get("contact_phone"))
    events: List[EventType] = [SlotSet("filed_ticket", ticket["number"]), SlotSet("last_ticket", ticket["number"])]
    if slots.get("contact_phone"):  # phone told with the story: nothing left to ask
        events += [SlotSet(slot, None) for slot in FORM_SLOTS] + [SlotSet("served", True)]
        ask_consent(dispatcher, kind, slots.get("consent"))
    return events
