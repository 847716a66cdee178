"""The ticket form and the 好差评 feedback form: their validation, their custom questions, and the
helpers that fill them from what the citizen already said or pick up a form left unsent."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.api.hall import HallUnavailable, hall
from actions.conversation import last_bot_response, text_of, user_texts
from bot.text.normalize import normalize
from actions.cues import says
from bot.text.phones import contact_number
from bot.vocabulary import TicketKind
from bot.text.regions import find_region, looks_like_place

MIN_DESCRIPTION_CHARS = 12  # shorter than this, the form asks for more detail
MAX_DESCRIPTION_CHARS = 2000
SUBMIT_WORD = "提交"
# The slots a form's content lives in, and every slot the forms fill (cleared once submitted).
CONTENT_SLOTS = ("problem_description", "rating_reason")
FORM_SLOTS = ("problem_description", "consent", "ticket_kind", "ticket_matter", "rating", "rating_reason")
ASK_PROBLEM = "utter_ask_problem_description"
ASK_PROBLEM_AGAIN = "utter_ask_problem_description_again"


def substance(text: str) -> int:
    """How much a description says: its length without punctuation, emoji and spaces."""
    return len(normalize(text).replace(" ", ""))


# Kinds of ticket a citizen may file without leaving a phone: answered in the channel they used.
NO_PHONE_KINDS = (TicketKind.COMPLAINT.value, TicketKind.CONSULT.value, TicketKind.FEEDBACK.value)
DECLINED = ""  # contact_phone when the citizen chose not to leave one (None: not asked yet)


def contact_phone_slot(value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[str, Optional[str]]:
    """The `contact_phone` slot of any form: a mobile or a landline with area code; for kinds that
    allow it, "不留" is an answer too; otherwise None and a request to type it again."""
    text = str(value or "")
    phone = contact_number(text)
    if phone:
        return {"contact_phone": phone}
    if says(text, "no_phone"):
        if (tracker.get_slot("ticket_kind") or TicketKind.FEEDBACK.value) in NO_PHONE_KINDS:
            return {"contact_phone": DECLINED}
        dispatcher.utter_message(response="utter_phone_required")
        return {"contact_phone": None}
    dispatcher.utter_message(response="utter_phone_invalid")
    return {"contact_phone": None}


def prefill_ticket_form(tracker: Tracker, kind: str, matter: Optional[str]) -> List[EventType]:
    """Set ticket_kind (a rule then starts ticket_form) and what the citizen already told:
    the problem as first told, the region from any of their messages."""
    text = text_of(tracker)
    events: List[EventType] = [SlotSet("ticket_kind", kind), SlotSet("ticket_matter", matter)]
    if len(normalize(text)) >= MIN_DESCRIPTION_CHARS:
        events.append(SlotSet("problem_description", text.strip()))
    region = tracker.get_slot("region") or next(
        (r for r in (find_region(t) for t in user_texts(tracker)) if r), None
    )
    if region:
        events.append(SlotSet("region", region))
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
    if tracker.get_slot("problem_description") and tracker.get_slot("consent") is True:
        return True
    return bool(tracker.get_slot("rating") and tracker.get_slot("rating_reason"))


def wants_submit(tracker: Tracker, intent: str) -> bool:
    """"提交" (what the apology asks for) or a plain yes."""
    text = text_of(tracker).strip()
    return intent == "affirm" or (SUBMIT_WORD in text and len(text) <= 12)


class ValidateTicketForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_ticket_form"

    def validate_problem_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        text = str(value or "").strip()
        # Too thin: ask once for more (action_ask_ticket_form_problem_description); a second
        # short answer is accepted rather than trapping the citizen in the form.
        asked_before = last_bot_response(tracker) == ASK_PROBLEM_AGAIN
        if substance(text) >= MIN_DESCRIPTION_CHARS or (asked_before and substance(text) >= 2):
            return {"problem_description": text[:MAX_DESCRIPTION_CHARS]}
        return {"problem_description": None}

    def validate_region(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        region = find_region(str(value or "")) or looks_like_place(str(value or ""))
        if region:
            return {"region": region}
        dispatcher.utter_message(response="utter_region_unknown")
        return {"region": None}

    def validate_contact_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        return contact_phone_slot(value, dispatcher, tracker)

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
        # The citizen answered the first question, but too briefly: ask once more.
        again = last_bot_response(tracker) in (ASK_PROBLEM, ASK_PROBLEM_AGAIN)
        dispatcher.utter_message(response=ASK_PROBLEM_AGAIN if again else ASK_PROBLEM, hints=hints)
        return []


class ValidateFeedbackForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_feedback_form"

    def validate_rating_reason(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        text = str(value or "").strip()
        return {"rating_reason": text[:1000] if text else None}

    def validate_contact_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        return contact_phone_slot(value, dispatcher, tracker)
