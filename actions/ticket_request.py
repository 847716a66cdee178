"""One builder for the hall's ticket request, whatever the kind (guidance, complaint, consult,
兜底, handoff, feedback): which department takes it and what the request carries."""

from __future__ import annotations

import re
from typing import Any, Dict, Optional

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.api.hall import HallUnavailable, hall
from actions.conversation import channel_of, idempotency_key
from bot.privacy import mask_phone
from bot.vocabulary import (FALLBACK_DEPARTMENT, FALLBACK_MATTER, FEEDBACK_MATTER, TICKET_MATTER_KINDS, MatterKind,
                             TicketKind)

# 兜底 and 好差评 tickets are filed under the 政务服务办's own catalogue matters; the matter they
# are about (the one not done, the one rated) goes with them as `about_matter`.
FILED_UNDER = {TicketKind.FALLBACK.value: FALLBACK_MATTER, TicketKind.FEEDBACK.value: FEEDBACK_MATTER}


def department_for(kind: str, guide: Optional[Dict[str, Any]]) -> str:
    """The department a ticket goes to: the matter's own for guidance, complaints, consultations
    and handoffs about a single matter; the 政务服务办 for 兜底, 好差评 and everything else."""
    if guide is None or guide.get("kind") == MatterKind.BUNDLE:
        return FALLBACK_DEPARTMENT
    if kind in TICKET_MATTER_KINDS or kind in (TicketKind.HANDOFF, TicketKind.CONSULT):
        return guide["department"]
    return FALLBACK_DEPARTMENT


def ticket_request(
    tracker: Tracker,
    kind: str,
    department: str,
    description: str,
    *,
    matter: Optional[str] = None,
    consent: bool,
    anchor: Optional[float] = None,
    rating: Optional[int] = None,
    reason: Optional[str] = None,
) -> Dict[str, Any]:
    """The body of `POST /api/tickets`.

    The idempotency key names the conversation, the kind and the turn that gave the content
    (`anchor`, default: the latest message): Rasa retrying an action, or a citizen re-submitting
    after an outage, gets the same ticket back, never a second one. `matter`: what the ticket is
    about; a 兜底 or 好差评 ticket is filed under zwfw's matter, with `matter` as `about_matter`.
    """
    filed_under = FILED_UNDER.get(str(kind))
    return {
        "kind": str(kind),
        "department": department,
        "matter": filed_under or matter,
        "about_matter": matter if filed_under and matter != filed_under else None,
        "conversation_id": tracker.sender_id,
        "channel": channel_of(tracker),
        "description": description,
        "region": tracker.get_slot("region"),
        "contact_phone": tracker.get_slot("contact_phone"),
        "consent": consent,
        "idempotency_key": idempotency_key(tracker, f"ticket:{kind}", anchor),
        "rating": rating,
        "reason": reason,
    }


# With or without its prefix and hyphen, the random suffix (bot.hall.tickets.NUMBER_ALPHABET, any
# case) or the old 4-digit one: "ZJ20270105-K7QM3X", "20270105 k7qm3x", "ZJ20261203-0001", "202612030001".
TICKET_NUMBER_RE = re.compile(
    r"(?:ZJ)?\s*(20\d{6})\s*[-－—_ ]?\s*([34679ACDEFGHJKMNPQRTUVWXY]{6}|\d{4})(?![0-9A-Za-z])", re.IGNORECASE)


def ticket_number(text: str) -> Optional[str]:
    found = TICKET_NUMBER_RE.search(text or "")
    return f"ZJ{found.group(1)}-{found.group(2).upper()}" if found else None


TICKET_OPENED = "utter_ticket_opened"
# Replies after which a place or a phone told is about the ticket just filed.
FILED_REPLIES = (TICKET_OPENED, "utter_callback_noted", "utter_callback_declined")


async def supplement(dispatcher: CollectingDispatcher, tracker: Tracker, number: str, *,
                     phone: Optional[str] = None, region: Optional[str] = None, consent: Optional[bool] = None,
                     note: Optional[str] = None, failed: str = "utter_ticket_details_failed") -> Optional[Dict[str, Any]]:
    """What the citizen tells after their ticket was filed (a phone, a place, whether staff may
    read the conversation, more of the story), sent to the hall for that ticket: the ticket as the
    hall now has it, or None once the citizen was told (`failed`) that it could not be added."""
    try:
        return await hall().add_contact(number, tracker.sender_id, phone, region, consent=consent, note=note)
    except HallUnavailable:
        dispatcher.utter_message(response=failed, number=number)
        return None


def announce_ticket(dispatcher: CollectingDispatcher, ticket: Dict[str, Any], phone: Optional[str]) -> None:
    """Tell the citizen the ticket's number, department and promise (and the masked call-back
    phone), with the payload the channels and the evaluation read."""
    dept = ticket.get("department_name") or ticket["department"]
    dispatcher.utter_message(
        response=TICKET_OPENED,
        number=ticket["number"], department_name=dept,
        contact=f"，会打 {mask_phone(phone)} 联系您" if phone else "",
        promise=ticket.get("promised_response", ""),
        json_message={"ticket": ticket["number"], "department": ticket["department"],
                      "department_name": dept, "kind": ticket["kind"],
                      # the matter it is filed under (zwfw.feedback for a 差评 told as a story), if any
                      **({"matter": ticket["matter"]} if ticket.get("matter") else {})},
    )


def ticket_payload(ticket: Dict[str, Any]) -> Dict[str, Any]:
    """What a reply that names a ticket filed before carries: number, kind, department (as for a
    ticket just filed). Not its matter: the same turn may answer another matter, and a client
    reading the turn's matter must find that one."""
    return {"ticket": ticket["number"], "kind": ticket.get("kind"), "department": ticket.get("department")}


async def filed_ticket(tracker: Tracker, number: str) -> Optional[Dict[str, Any]]:
    """A ticket this conversation filed, read back from the hall by its number; None when it is
    not found or the hall cannot be reached."""
    try:
        tickets = await hall().lookup_tickets(tracker.sender_id, number=number)
    except HallUnavailable:
        return None
    return next((t for t in tickets if t.get("number") == number), None)


async def filed_payload(tracker: Tracker, number: str) -> Dict[str, Any]:
    """ticket_payload of a ticket this conversation filed; the number alone when the hall cannot
    say more."""
    found = await filed_ticket(tracker, number)
    return ticket_payload(found) if found else {"ticket": number}
