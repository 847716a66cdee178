"""What the ticket and feedback forms hold, read from outside the forms: their slots and limits, the
slots filled from what the citizen already told before a form starts, a form filled in but never
filed, and the words that submit or drop one. The forms themselves are in actions/forms.py."""

from __future__ import annotations

import re
from typing import List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet

from actions.conversation import text_of, user_texts
from actions.cues import says
from bot.text.normalize import normalize
from bot.text.phones import contact_number
from bot.text.regions import find_region
from bot.text.sentences import asks
from bot.vocabulary import TicketKind

MIN_DESCRIPTION_CHARS = 12  # shorter than this, the form asks for more detail
MAX_DESCRIPTION_CHARS = 8000  # the hall keeps up to 8,000 characters; the channels cap a message at 2,000
LONG_STORY_CHARS = 40  # a story this long is details even when a "啥" or "吗" slips into it
SUBMIT_WORD = "提交"
# The slots a form's content lives in, and every slot the forms fill (cleared once submitted).
CONTENT_SLOTS = ("problem_description", "rating_reason")
FORM_SLOTS = ("problem_description", "consent", "ticket_kind", "ticket_matter", "ticket_department", "rating",
              "rating_reason", "filed_ticket")


def substance(text: str) -> int:
    """How much a description says: its length without punctuation, emoji and spaces."""
    return len(normalize(text).replace(" ", ""))


# Kinds of ticket a citizen may file without leaving a phone: answered in the channel they used.
NO_PHONE_KINDS = (TicketKind.COMPLAINT.value, TicketKind.CONSULT.value, TicketKind.FEEDBACK.value)
DECLINED = ""  # contact_phone when the citizen chose not to leave one (None: not asked yet)


def prefill_ticket_form(tracker: Tracker, kind: str, matter: Optional[str],
                        story: Optional[str] = None) -> List[EventType]:
    """Set ticket_kind (a rule then starts ticket_form) and what the citizen already told:
    the problem as first told (or `story`), the region from any of their messages."""
    # The problem as the citizen told it: a button's payload ("/complain{…}") tells nothing.
    text = story or next((t for t in reversed(user_texts(tracker)) if t and not t.startswith("/")), "")
    events: List[EventType] = [SlotSet("ticket_kind", kind), SlotSet("ticket_matter", matter)]
    if len(normalize(text)) >= MIN_DESCRIPTION_CHARS:
        events.append(SlotSet("problem_description", text.strip()))
    region = tracker.get_slot("region") or next(
        (r for r in (find_region(t) for t in user_texts(tracker)) if r), None
    )
    if region:
        events.append(SlotSet("region", region))
    # "…同意把情况转给专家": consent given before it was asked is not asked again.
    if says(text, "consent"):
        events.append(SlotSet("consent", True))
    # A phone given in passing, in any earlier message, is not asked for again.
    phone = tracker.get_slot("contact_phone") or next(
        (n for n in (contact_number(t) for t in reversed(user_texts(tracker))) if n), None
    )
    if phone:
        events.append(SlotSet("contact_phone", phone))
    return events


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
    if tracker.get_slot("problem_description") and (
            tracker.get_slot("consent") is True or tracker.get_slot("contact_phone") is not None):
        return True
    return bool(tracker.get_slot("rating") and tracker.get_slot("rating_reason"))


def wants_submit(tracker: Tracker, intent: str) -> bool:
    """"提交" (what the apology asks for) or a plain yes."""
    text = text_of(tracker).strip()
    return intent == "affirm" or (SUBMIT_WORD in text and len(text) <= 12)


def tells_more(text: str) -> bool:
    """A statement with some substance ("等下地点说错了 是在杭州东站上的车"), not a question."""
    return substance(text) >= MIN_DESCRIPTION_CHARS and not asks(text)


def drops_form(text: str) -> bool:
    """"算了", "不办了": a short message, or one that starts or ends so ("那我先网上试试，算了，不用
    登记了"), drops the form."""
    folded = normalize(text).replace(" ", "")
    if not says(text, "cancel"):
        return False
    clauses = [c for c in re.split(r"[，,。.!！?？；;、\s]+", text) if c.strip()]
    return (len(folded) <= 12 or folded.startswith(("算了", "不办了", "不用了", "取消"))
            or (len(clauses) > 1 and says(clauses[-1], "cancel")))
