"""action_answer_in_form: what the citizen says in a form that the form's own mapping did not take."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import interruptions
from actions.conversation import text_of, without_repeats
from actions.cues import says
from actions.forms import photos_question, taken_in_passing
from bot.text.phones import contact_number
from bot.text.regions import find_region


class ActionAnswerInForm(Action):
    """A question, a correction or an answer in other words in the middle of a form: answered (or
    taken as the answer), then the form asks its question again (data/rules/tickets.yml)."""

    def name(self) -> Text:
        return "action_answer_in_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        text, requested = text_of(tracker), tracker.get_slot("requested_slot")
        # The answer, in words the intent classifier took for a question ("杭州萧山那边").
        if requested == "region" and find_region(text):
            return [SlotSet("region", find_region(text))]
        if requested == "contact_phone" and contact_number(text):
            return [SlotSet("contact_phone", contact_number(text))]
        if requested == "contact_phone" and says(text, "no_phone"):
            return []  # "我不留电话了，你们直接去查就行": the form takes it as the answer
        if requested == "contact_phone" and sum(ch.isdigit() for ch in text) >= 3:
            dispatcher.utter_message(response="utter_phone_invalid")  # a number, but not a phone's
            return []
        if await interruptions.department_contact(dispatcher, tracker):
            await interruptions.continue_form(dispatcher, tracker)
            return []
        if photos_question(dispatcher, tracker, requested):
            return [SlotSet(requested, None)] if requested else []
        # A place when the phone was asked, a phone when the place was, more of the story.
        taken = taken_in_passing(dispatcher, tracker, requested)
        if taken is not None:
            return taken
        return without_repeats(tracker, await interruptions.answer(dispatcher, tracker))
