"""The ticket form and the 好差评 feedback form: their validation and custom questions, and how a
message inside a form is read (dropped, corrected, taken in passing, answered aside). What the forms
hold, as read from outside them, is in actions/form_slots.py."""

from __future__ import annotations

import abc
import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import interruptions
from actions.api.hall import HallUnavailable, hall
from actions.conversation import last_bot_response, text_of
from actions.feedback import file_bad_rating
from actions.form_slots import (DECLINED, FORM_SLOTS, LONG_STORY_CHARS, MAX_DESCRIPTION_CHARS,
                                MIN_DESCRIPTION_CHARS, NO_PHONE_KINDS, drops_form, substance)
from actions.ticket_request import filed_payload, ticket_number
from bot.catalogue.lexicons import cue_pattern
from bot.text.normalize import normalize
from actions.cues import asks_for_person, says
from bot.text.phones import contact_number
from bot.vocabulary import TicketKind
from bot.text.regions import find_region, looks_like_place
from bot.text.sentences import asks

ASK_PROBLEM = "utter_ask_problem_description"
ASK_PROBLEM_AGAIN = "utter_ask_problem_description_again"
PLACE_ONLY_EXTRA = 8  # "在义乌市", "我是舟山普陀的": a place and a few words around it


# What the ticket form asks before filing, by kind. An expert's remote guidance needs the place
# (which county's station answers); a complaint, a consultation or a 兜底 needs only a way back to
# the citizen: the place is kept when told. The phone question itself says what the number is for
# and how long it is kept. Whether staff may read the conversation is asked once the guidance
# ticket is filed (actions/tickets.py), so that a citizen who stops at the phone still has one.
ASK_REGION = "utter_ask_ticket_form_region"
GUIDANCE_SLOTS = ("problem_description", "region", "contact_phone")
TICKET_SLOTS = ("problem_description", "contact_phone")


def ticket_slots(kind: Optional[str]) -> tuple:
    return GUIDANCE_SLOTS if kind == TicketKind.GUIDANCE.value else TICKET_SLOTS


def contact_phone_slot(value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[str, Optional[str]]:
    """The `contact_phone` slot of any form: a mobile or a landline with area code; for kinds that
    allow it, "不留" is an answer too; otherwise None and a request to type it again."""
    text = str(value or "")
    phone = contact_number(text)
    if phone:
        return {"contact_phone": phone}
    if value == DECLINED or says(text, "no_phone"):  # declined now, or before the form started
        if (tracker.get_slot("ticket_kind") or TicketKind.FEEDBACK.value) in NO_PHONE_KINDS:
            return {"contact_phone": DECLINED}
        dispatcher.utter_message(response="utter_phone_required")
        return {"contact_phone": None}
    if not re.search(r"[0-9０-９]", text):
        # "你们会派人去查吗" when the phone is asked: no number mistyped, a question about what
        # happens next; answered, and the phone asked again (never "这个号码好像不对").
        if asks(text):
            dispatcher.utter_message(response="utter_ticket_next_steps")
        return {"contact_phone": None}
    dispatcher.utter_message(response="utter_phone_invalid")
    return {"contact_phone": None}


class ListeningForm(FormValidationAction, metaclass=abc.ABCMeta):
    """A form that listens: every message inside it is read before the requested slot's own
    validation. "算了" drops the form; a correction of a phone or place already given replaces
    it; a new question is answered and the form asks its question again."""

    @abc.abstractmethod
    def name(self) -> Text:  # abstract: rasa_sdk registers only the concrete forms
        ...

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        requested = tracker.get_slot("requested_slot")
        if not requested:  # the form is starting: only what was already said is validated
            return await super().run(dispatcher, tracker, domain)
        text = text_of(tracker)
        if drops_form(text) and not (requested == "contact_phone" and says(text, "no_phone")):
            filed = tracker.get_slot("filed_ticket")
            if filed:  # filed when it was told: it stands, only the phone is not asked any more
                dispatcher.utter_message(response="utter_form_left_filed", number=filed,
                                         json_message=await filed_payload(tracker, filed))
            else:
                dispatcher.utter_message(response="utter_form_cancelled")
            # "算了不弄了，问下家庭农场咋登记": dropped, and the new question answered.
            answered = (await interruptions.answer(dispatcher, tracker, continues=False)
                        if interruptions.is_new_question(tracker) else [])
            return [SlotSet(slot, None) for slot in FORM_SLOTS] + [
                SlotSet("requested_slot", None), ActiveLoop(None)] + answered
        if asks_for_person(text):
            # "跟你打字说不清楚，给我找个人工来": a person, now (the handoff keeps what was told).
            return [SlotSet(slot, None) for slot in FORM_SLOTS] + [
                SlotSet("requested_slot", None), ActiveLoop(None), FollowupAction("action_handoff")]
        filed = tracker.get_slot("filed_ticket")
        if filed and ticket_number(text) and not contact_number(text):
            # "ZJ…处理了没有" while the phone for a ticket already filed is asked: the form steps
            # aside (the ticket stands) and the message is answered as any other (its status).
            dispatcher.utter_message(response="utter_form_left_filed", number=filed,
                                     json_message=await filed_payload(tracker, filed))
            return [SlotSet(slot, None) for slot in FORM_SLOTS] + [
                SlotSet("requested_slot", None), ActiveLoop(None), FollowupAction("action_answer_matter")]
        events = corrections(tracker, requested)
        if requested == "contact_phone" and (contact_number(text) or says(text, "no_phone")) \
                and tracker.get_slot("contact_phone") is None:
            # "我不留电话了，你们直接去查就行": the answer, whatever intent the words got.
            chosen = contact_phone_slot(text, dispatcher, tracker)
            return await self._then_next(events + [SlotSet(k, v) for k, v in chosen.items()], dispatcher, tracker, domain)
        place = find_region(text) if requested == "region" and tracker.get_slot("region") is None else None
        if place and not interruptions.is_new_question(tracker):
            # "我在衢州龙游县湖镇镇，电话189…，同意你们专家联系我": the place asked for, whatever intent
            # the words got (a phone and a consent in it are taken by the corrections above).
            return await self._then_next(events + [SlotSet("region", place)], dispatcher, tracker, domain)
        if photos_question(dispatcher, tracker, requested) or await interruptions.department_contact(dispatcher, tracker):
            # (a question about photos, or "有没有电话可以打": answered, and the form asks again)
            return await self._then_next(events + [SlotSet(requested, None)], dispatcher, tracker, domain)
        if interruptions.is_new_question(tracker) and not answers(tracker, requested):
            answered = await interruptions.answer(dispatcher, tracker)
            return await self._then_next(events + answered + [SlotSet(requested, None)], dispatcher, tracker, domain)
        taken = taken_in_passing(dispatcher, tracker, requested)
        if taken is not None:
            return await self._then_next(taken, dispatcher, tracker, domain)
        if requested in ("region", "contact_phone") and answers(tracker, requested) \
                and interruptions.is_new_question(tracker):
            # "电话135…。对了顺便问下，检疫要到哪里报": the answer taken, the question answered too.
            events += await interruptions.answer(dispatcher, tracker, continues=False)
        return events + await super().run(dispatcher, tracker, domain)

    async def _then_next(
        self, events: List[EventType], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """The events of a message handled before validation, and the form's next question by its
        own required slots (a complaint asks no place: Rasa alone would ask the domain's next)."""
        tracker.add_slots(events)
        following = await self.next_requested_slot(dispatcher, tracker, domain)
        return events + ([following] if following else [])


def corrections(tracker: Tracker, requested: str) -> List[EventType]:
    """"电话打错了，是138…", "地点说错了，是在湖州": a new value for a slot already given."""
    text, events = text_of(tracker), []
    # Given in passing ("在江山市，电话139…") or corrected ("电话打错了，是…"): taken either way.
    phone = contact_number(text)
    if requested != "contact_phone" and phone and tracker.get_slot("contact_phone") != phone:
        events.append(SlotSet("contact_phone", phone))
    region = find_region(text)
    if requested != "region" and region and tracker.get_slot("region") != region:
        events.append(SlotSet("region", region))
    # "…电话139…，同意登记": consent given in passing, in the cue's own explicit words.
    if says(text, "consent") and tracker.get_slot("consent") is not True:
        events.append(SlotSet("consent", True))
    return events


def _in_ticket_form(tracker: Tracker) -> bool:
    return (tracker.active_loop or {}).get("name") == "ticket_form"


MIN_ADDED_CHARS = 6


def _adds_to_story(tracker: Tracker, requested: str) -> bool:
    """Details of the problem told while the form asks something else ("叶子上一块一块褐色的斑，
    大概五亩田都这样" when the place was asked, "我们是在杭州上城区一家旅行社报的团" when the phone
    was): a statement, not a question, of some length."""
    text = text_of(tracker)
    if not (_in_ticket_form(tracker) and tracker.get_slot("problem_description")):
        return False
    # "还有饮水机也经常没水": a detail added as such (cues.yml also_added) may be short.
    least = MIN_ADDED_CHARS if cue_pattern("also_added").match(normalize(text).replace(" ", "")) else MIN_DESCRIPTION_CHARS
    if (substance(text) < least or drops_form(text) or contact_number(text)
            or (requested == "region" and find_region(text))):
        return False
    if interruptions.is_new_question(tracker):
        return False
    return not asks(text) or substance(text) >= LONG_STORY_CHARS


def photos_question(dispatcher: CollectingDispatcher, tracker: Tracker, requested: str) -> bool:
    """"要拍照片给你们吗" in the middle of a form: yes — once submitted, photos sent in this
    conversation go to its ticket (answered here; the form then asks its question again)."""
    text = text_of(tracker)
    if not (says(text, "photos") and asks(text)) or answers(tracker, requested):
        return False
    dispatcher.utter_message(response="utter_photos_welcome")
    return True


def region_passed_over(tracker: Tracker) -> bool:
    """The place was asked in this form and the citizen gave the phone instead ("快帮我找专家",
    then "电话188…"): the expert who calls asks where; the ticket is not held back for it."""
    if tracker.get_slot("region") or not tracker.get_slot("contact_phone"):
        return False
    for event in reversed(tracker.events):
        if event.get("event") == "active_loop" and event.get("name"):
            return False  # the form's start: the place was not asked in it
        if event.get("event") == "bot" and (event.get("metadata") or {}).get("utter_action") == ASK_REGION:
            return True
    return False


def taken_in_passing(dispatcher: CollectingDispatcher, tracker: Tracker, requested: str) -> Optional[List[EventType]]:
    """A message that answers another of the form's questions, or adds to the story, instead of
    the one asked: taken and acknowledged, and the form asks its question again — never "号码不对"
    for a place, nor "没识别出地方" for the symptoms. None when the message is not of that kind."""
    if requested not in ("region", "contact_phone") or answers(tracker, requested):
        return None
    text = text_of(tracker)
    events = corrections(tracker, requested) + [SlotSet(requested, None)]
    phone, region = contact_number(text), find_region(text)
    # What the form is filing, for the channel and the replay: the matter the note belongs to.
    about = {"matter": tracker.get_slot("ticket_matter"), "department": tracker.get_slot("ticket_department")}
    about = {k: v for k, v in about.items() if v}
    if requested != "contact_phone" and phone:
        dispatcher.utter_message(response="utter_noted_phone", json_message=about)
        return events
    # (a 差评's ticket keeps the place too: where the service went wrong)
    if (requested != "region" and region and not asks(text)
            and substance(text) <= len(region) + PLACE_ONLY_EXTRA):
        dispatcher.utter_message(response="utter_noted_region", region=region, json_message=about)
        return events + [SlotSet("region", region)]
    if _adds_to_story(tracker, requested):
        told = f"{tracker.get_slot('problem_description')}\n补充：{text.strip()}"
        dispatcher.utter_message(response="utter_noted_details", json_message=about)
        events.append(SlotSet("problem_description", told[:MAX_DESCRIPTION_CHARS]))
        if region and requested != "region" and not tracker.get_slot("region"):
            # "我们是在杭州上城区一家旅行社报的团": the place told with the story is kept too
            events.append(SlotSet("region", region))
        return events
    return None


def answers(tracker: Tracker, requested: str) -> bool:
    """Whether the message gives what the form asked for."""
    text = text_of(tracker)
    if requested == "region":
        return bool(find_region(text) or looks_like_place(text))
    if requested == "contact_phone":
        return bool(contact_number(text) or says(text, "no_phone"))
    if requested == "problem_description":
        # A story may mention matters and aspects; only a short question is not a description.
        return substance(text) >= MIN_DESCRIPTION_CHARS
    return True  # a 差评's reason is whatever the citizen says


class ValidateTicketForm(ListeningForm):
    def name(self) -> Text:
        return "validate_ticket_form"

    async def required_slots(
        self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Text]:
        needed = ticket_slots(tracker.get_slot("ticket_kind"))
        if region_passed_over(tracker):
            needed = tuple(slot for slot in needed if slot != "region")
        return [slot for slot in domain_slots if slot in needed]

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


class ValidateFeedbackForm(ListeningForm):
    def name(self) -> Text:
        return "validate_feedback_form"

    async def validate_rating_reason(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        text = str(value or "").strip()
        if not text:
            return {"rating_reason": None}
        slots: Dict[Text, Any] = {"rating_reason": text[:1000]}
        rating = tracker.get_slot("rating")
        if rating and not tracker.get_slot("filed_ticket"):
            # The reason is what the 差评 needed: filed now; the call-back phone is optional after.
            for event in await file_bad_rating(dispatcher, tracker, int(rating), text[:1000]):
                slots[event["name"]] = event["value"]
        return slots

    def validate_contact_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        return contact_phone_slot(value, dispatcher, tracker)
