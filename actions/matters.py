"""action_answer_matter: answers about a matter, asks which one, or starts a ticket form.

The matcher (bot.nlu.matter_matcher) finds the matter; this action decides what to do with it:
service matters are answered (overview or one aspect), bundles as one, guidance and complaint
matters open the ticket form. Follow-ups ("那要多少钱？") answer for the current matter.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import render
from actions.api.hall import HallUnavailable, hall
from actions.conversation import channel_of, entity, intent_of, match_of, text_of
from actions.forms import pending_ticket, prefill_ticket_form, wants_submit
from actions.cues import says
from actions.handoff import ActionHandoff
from actions.tickets import ActionOpenTicket, ActionReportFailedTrip, ActionTicketStatus, asks_ticket_status
from bot.text.choices import choice_number
from bot.text.phones import contact_number
from bot.text.regions import find_region
from bot.text.normalize import normalize
from bot.vocabulary import TICKET_MATTER_KINDS, Aspect, MatterKind

logger = logging.getLogger(__name__)

MAX_CLARIFY = 3
# Below the matcher's confidence but worth offering as options when the intent is about a matter.
PLAUSIBLE_SCORE = 0.3
MATTER_INTENTS = ("ask_matter", "ask_aspect", "request_guidance", "complain", "nlu_fallback")


def without_repeats(tracker: Tracker, domain: Dict[Text, Any], events: List[EventType]) -> List[EventType]:
    """The events without SlotSets that change nothing (a follow-up about the same matter): each
    event is stored, replayed and sent to the action server for the rest of the conversation.
    Slots that influence the conversation are kept: rules expect their `slot_was_set` step."""
    slots = domain.get("slots") or {}

    def repeat(e: EventType) -> bool:
        name = e.get("name")
        return (e.get("event") == "slot" and not (slots.get(name) or {}).get("influence_conversation", True)
                and tracker.get_slot(name) == e.get("value"))

    return [e for e in events if not repeat(e)]


class ActionAnswerMatter(Action):
    def name(self) -> Text:
        return "action_answer_matter"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        intent, text = intent_of(tracker), text_of(tracker)
        if pending_ticket(tracker) and wants_submit(tracker, intent):
            # "提交" after "工单系统暂时没有响应": submit the form the citizen already filled in.
            events = await ActionOpenTicket().open(dispatcher, tracker, None)
        elif intent != "rate" and says(text, "ask_person"):
            # "让个真人来", "打字太累了找个人": a person, in whatever words.
            return await ActionHandoff().run(dispatcher, tracker, domain)
        elif says(text, "failed_trip"):
            # 兜底 only for a citizen who went and could not get it done.
            events = await ActionReportFailedTrip().run(dispatcher, tracker, domain)
        elif asks_ticket_status(text) and not entity(tracker, "matter"):
            events = await ActionTicketStatus().run(dispatcher, tracker, domain)
        elif intent == "greet" and not entity(tracker, "aspect") and not entity(tracker, "matter"):
            dispatcher.utter_message(response="utter_greet")
            events = []
        else:
            events = await self._respond(dispatcher, tracker)
        # ticket_kind decides the next step (rules): set it on every turn, never leave a stale one.
        if not any(e.get("event") == "slot" and e.get("name") == "ticket_kind" for e in events):
            events.append(SlotSet("ticket_kind", None))
        return without_repeats(tracker, domain, events)

    async def in_form(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
        """A message inside a form that the form's mapping did not take (Rasa's unhappy path)."""
        text, requested = text_of(tracker), tracker.get_slot("requested_slot")
        # The answer, in words the intent classifier took for a question ("杭州萧山那边").
        if requested == "region" and find_region(text):
            return [SlotSet("region", find_region(text))]
        if requested == "contact_phone" and contact_number(text):
            return [SlotSet("contact_phone", contact_number(text))]
        if requested == "contact_phone" and sum(ch.isdigit() for ch in text) >= 3:
            dispatcher.utter_message(response="utter_phone_invalid")  # a number, but not a phone's
            return []
        try:
            view = match_of(tracker)
            code = entity(tracker, "matter") or tracker.get_slot("current_matter")
            aspect = entity(tracker, "aspect") or Aspect.OVERVIEW.value
            guide = await hall().guide(code) if code and (entity(tracker, "matter") or entity(tracker, "aspect")) else None
        except HallUnavailable:
            guide = None
        if guide is not None:
            text_out = (render.bundle_answer(guide, aspect) if guide["kind"] == MatterKind.BUNDLE
                        else render.answer_text(guide, aspect))
            dispatcher.utter_message(text=text_out, json_message=render.matter_payload(guide, aspect))
        elif view.matches and not view.abstain:
            dispatcher.utter_message(response="utter_ask_rephrase")
        return []

    async def _respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> List[EventType]:
        intent = intent_of(tracker)
        view = match_of(tracker)
        aspect = entity(tracker, "aspect")
        current = tracker.get_slot("current_matter")
        candidates: List[str] = tracker.get_slot("candidates") or []

        if intent in ("affirm", "deny") and not entity(tracker, "matter"):
            # "好的" / "不用了" outside a question name no matter, whatever words they share.
            dispatcher.utter_message(response="utter_anything_else")
            return []
        try:
            # 1. A bare follow-up about the current matter ("那要多少钱？"): the aspect is all
            #    the message says, so a stray match on its words must not replace the matter.
            if current and aspect and is_bare_followup(tracker):
                return await self._answer(dispatcher, tracker, current, aspect)
            # 2. An explicit matter: a button payload or a confident match. A follow-up that asks an
            #    aspect stays on the current matter while the matcher still ranks it among its
            #    candidates ("提取出来多久到账" after 公积金购房提取 is not another 提取 matter).
            code = entity(tracker, "matter")
            ranked = [m["matter"] for m in view.matches]
            if code and current and aspect and code != current and current in ranked and not is_button(tracker):
                code = current
            # 3. A pick among the options we offered: by number or by words.
            if not code and candidates:
                code = self._picked(tracker, candidates, view)
            if intent == "correct_matter" and not code:
                return await self._correct(dispatcher, tracker, view, current, candidates)
            if code:
                # Keep the options around so that "不是这个" can offer the others.
                alternatives = candidates if code in candidates else ranked[:MAX_CLARIFY]
                return await self._answer(dispatcher, tracker, code, aspect or Aspect.OVERVIEW, alternatives)
            # 4. Close candidates: ask which one.
            if view.clarify and len(view.matches) >= 2:
                return await self._clarify(dispatcher, [m["matter"] for m in view.matches])
            # 5. An aspect question with no new matter: about the current one.
            if current and (aspect or intent == "ask_aspect"):
                return await self._answer(dispatcher, tracker, current, aspect or Aspect.OVERVIEW)
            # 6. Not confident, but the citizen clearly asks about some matter: offer the best few.
            plausible = [m["matter"] for m in view.matches if m["score"] >= PLAUSIBLE_SCORE]
            if intent in MATTER_INTENTS and plausible:
                return await self._clarify(dispatcher, plausible)
        except HallUnavailable:
            dispatcher.utter_message(response="utter_hall_unavailable")
            return []

        # 7. Nothing to go on.
        await hall().record_unmatched(tracker.sender_id, text_of(tracker), channel_of(tracker))
        if intent == "out_of_scope":
            dispatcher.utter_message(response="utter_out_of_scope")
        else:
            dispatcher.utter_message(response="utter_ask_rephrase")
        return []

    @staticmethod
    def _picked(tracker: Tracker, candidates: List[str], view) -> Optional[str]:
        number = choice_number(text_of(tracker))
        if number is not None:
            index = len(candidates) - 1 if number == -1 else number - 1
            return candidates[index] if 0 <= index < len(candidates) else None
        # Words naming one of the options ("换领那个"): the matcher ranks it among them.
        for match in view.matches[:MAX_CLARIFY]:
            if match["matter"] in candidates:
                return match["matter"]
        return None

    async def _correct(self, dispatcher, tracker, view, current, candidates) -> List[EventType]:
        others = [c for c in candidates if c != current]
        if others:
            return await self._clarify(dispatcher, others, "utter_clarify_after_correction")
        dispatcher.utter_message(response="utter_rephrase_after_correction")
        return [SlotSet("current_matter", None)]

    async def _clarify(
        self, dispatcher: CollectingDispatcher, codes: List[str], question: str = "utter_clarify"
    ) -> List[EventType]:
        codes = list(dict.fromkeys(codes))[:MAX_CLARIFY]
        buttons = []
        for code in codes:
            guide = await hall().guide(code)
            if guide:
                dept = guide.get("department_name") or guide["department"]
                buttons.append({"title": f"{guide['name']}（{dept}）", "payload": f'/choose{{"matter": "{code}"}}'})
        dispatcher.utter_message(response=question, buttons=buttons, json_message={"clarify": codes})
        return [SlotSet("candidates", codes)]

    async def _answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, code: str, aspect: str,
        alternatives: Optional[List[str]] = None,
    ) -> List[EventType]:
        guide = await hall().guide(code)
        if guide is None:
            logger.warning("matcher returned unknown matter %s", code)
            dispatcher.utter_message(response="utter_ask_rephrase")
            return []
        events: List[EventType] = [SlotSet("current_matter", code)]
        if alternatives is not None:
            events.append(SlotSet("candidates", [code] + [c for c in alternatives if c != code]))

        if guide["kind"] in TICKET_MATTER_KINDS:
            return events + self._start_ticket(dispatcher, tracker, guide)
        aspect = aspect if aspect in render.ASPECTS else Aspect.OVERVIEW.value
        follow_up = aspect != Aspect.OVERVIEW and tracker.get_slot("current_matter") == code
        # A follow-up answers only what was asked, short, with the whole guide one tap away.
        more = [{"title": "查看完整指南", "payload": f'/ask_matter{{"matter": "{code}"}}'}] if follow_up else []
        if guide["kind"] == MatterKind.BUNDLE:
            text = render.bundle_text(guide) if aspect == Aspect.OVERVIEW else render.bundle_answer(guide, aspect)
        else:
            text = render.answer_text(guide, aspect)
        dispatcher.utter_message(text=text, buttons=more, json_message=render.matter_payload(guide, aspect))
        if not follow_up:
            await self._related(dispatcher, guide)
        return events + [SlotSet("served", True)]

    @staticmethod
    async def _related(dispatcher: CollectingDispatcher, guide: Dict[str, Any]) -> None:
        """增值服务: at most two next matters the citizen is likely to need."""
        buttons, codes = [], []
        for code in guide.get("related", [])[:2]:
            try:
                related = await hall().guide(code)
            except HallUnavailable:
                return
            if related:
                buttons.append({"title": related["name"], "payload": f'/ask_matter{{"matter": "{code}"}}'})
                codes.append(code)
        if buttons:
            dispatcher.utter_message(response="utter_related", buttons=buttons, json_message={"related": codes})

    @staticmethod
    def _start_ticket(dispatcher: CollectingDispatcher, tracker: Tracker, guide: Dict[str, Any]) -> List[EventType]:
        dispatcher.utter_message(text=render.ticket_intro(guide), json_message=render.matter_payload(guide, Aspect.OVERVIEW))
        return prefill_ticket_form(tracker, guide["kind"], guide["code"])


# Words that carry no topic of their own in a follow-up ("那这个要多少钱呢？").
_FILLER = set("那这个要呢吗嘛啊呀吧还请问我的了能可以是不么得都就在也去该")


def is_button(tracker: Tracker) -> bool:
    """The message is a button's payload ("/choose{...}"), not typed words."""
    return text_of(tracker).startswith("/")


def is_bare_followup(tracker: Tracker) -> bool:
    """True when the message is only an aspect question, with no topic words besides it."""
    text = text_of(tracker)  # entity offsets are positions in the text as written (bot.text)
    for found in tracker.latest_message.get("entities") or []:
        if found.get("entity") == "aspect" and found.get("start") is not None:
            text = text[: found["start"]] + text[found["end"]:]
            break
    text = normalize(text).replace(" ", "")
    return sum(1 for ch in text if ch not in _FILLER) <= 2


class ActionAnswerInForm(Action):
    """A question, a correction or an answer in other words in the middle of a form: answered (or
    taken as the answer), then the form asks its question again (data/rules/tickets.yml)."""

    def name(self) -> Text:
        return "action_answer_in_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        return without_repeats(tracker, domain, await ActionAnswerMatter().in_form(dispatcher, tracker))
