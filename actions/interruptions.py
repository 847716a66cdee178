"""What the citizen says in the middle of a form that is not the answer to its question.

A form must not hold a citizen hostage (Rasa's unhappy paths): a new question is answered and the
form asks its question again; a correction of something already given ("电话打错了，是…") replaces
it; "算了" drops the form. Used by the forms' validation (which sees every message in a form) and
by action_answer_in_form (which the rules run when the form's mapping took nothing)."""

from __future__ import annotations

from typing import List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import render
from actions.api.hall import HallUnavailable, hall
from actions.conversation import ROUTER_LEANS, ROUTER_SURE, entity, match_of, route_of, text_of
from actions.cues import asks_how_to_reach, says, went_and_failed
from actions.follow_ups import SHORT_FOLLOW_UP, stays
from actions.reading import answer_aspects
from actions.ticket_request import filed_payload
from bot.text.sentences import asks
from bot.vocabulary import FALLBACK_MATTER, Aspect


def _other_matter(tracker: Tracker) -> Optional[str]:
    """A matter the message names that is not the one the form is about."""
    code = entity(tracker, "matter")
    if code == FALLBACK_MATTER and not went_and_failed(text_of(tracker)):
        return None  # 兜底 is named by a failed trip told, not by "那找哪个单位" its aliases brush against
    if code and code not in (tracker.get_slot("ticket_matter"), None):
        return code
    return None


async def _routed_candidate(tracker: Tracker, current: Optional[str]) -> Optional[str]:
    """"这个执照变更网上能办吗" inside the 兜底 form: the matcher is unsure, the router is sure the
    question is another department's than the form's matter; its best matter there is meant."""
    route = route_of(tracker) or {}
    # (said to turn away first, "等一下 先问个事 …生孩子要先登记一下": the router's lean is enough)
    bar = ROUTER_LEANS if says(text_of(tracker), "switch") else ROUTER_SURE
    if not route.get("code") or float(route.get("score") or 0) < bar:
        return None
    guide = await hall().guide(current) if current else None
    if guide is not None and guide["department"] == route["code"]:
        return None
    return next((m["matter"] for m in match_of(tracker).matches
                 if m.get("department") == route["code"] and m["matter"] != FALLBACK_MATTER), None)


async def department_contact(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """"有没有电话可以打" while the form asks for the citizen's phone: how to reach the department the
    ticket goes to (its hotline, online entry); False when the form's ticket names none. An aspect
    asked ("在哪办" after a question answered in the form) is the matter's, not the office's; in a
    department's form with no matter in hand, "那找哪个单位" asks which department it goes to."""
    text = text_of(tracker)
    in_hand = tracker.get_slot("current_matter") or tracker.get_slot("ticket_matter")
    if not (asks_how_to_reach(text) or (not in_hand and says(text, "which_department"))) or (
            entity(tracker, "aspect") and in_hand):
        return False
    code = tracker.get_slot("ticket_department")
    try:
        if not code and tracker.get_slot("ticket_matter"):
            guide = await hall().guide(tracker.get_slot("ticket_matter"))
            code = guide["department"] if guide else None
        dept = await hall().department(code)
    except HallUnavailable:
        return False
    if dept is None:
        return False
    dispatcher.utter_message(response="utter_department_contact", department_name=dept["name"],
                             phone=dept.get("phone") or "12345",
                             json_message={"department": {"code": code, "name": dept["name"]}})
    return True


def is_new_question(tracker: Tracker) -> bool:
    """The message asks something (about another matter, or an aspect) rather than answering the
    form: it names one and is worded as a question ("我自己开的便利店要办食品经营许可吗")."""
    text = text_of(tracker)
    return bool(_other_matter(tracker) or entity(tracker, "aspect")) and asks(text)


async def continue_form(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """Back to the form after an answer: "not submitted yet", or, when its ticket was filed as it
    was told and only the phone is asked, that it was (the ticket named in the payload too)."""
    filed = tracker.get_slot("filed_ticket")
    if filed:
        dispatcher.utter_message(response="utter_form_continue_filed", number=filed,
                                 json_message=await filed_payload(tracker, filed))
    else:
        dispatcher.utter_message(response="utter_form_continue")


async def answer(dispatcher: CollectingDispatcher, tracker: Tracker, continues: bool = True) -> List[EventType]:
    """Answer a question asked in the middle of a form; the form then asks its own again (said
    unless `continues` is False: the form was dropped, or asks its next question anyway)."""
    current = tracker.get_slot("current_matter") or tracker.get_slot("ticket_matter")
    aspect = entity(tracker, "aspect") or Aspect.OVERVIEW.value
    try:
        code = _other_matter(tracker)
        if code and current and entity(tracker, "aspect") and len(text_of(tracker)) <= SHORT_FOLLOW_UP and await stays(
                tracker, current, code, entity(tracker, "aspect"), [m["matter"] for m in match_of(tracker).matches]):
            code = current  # "手机上能投诉不" in the complaint's form: asked of its matter (投诉 names no other)
        code = code or await _routed_candidate(tracker, current) or current
        guide = await hall().guide(code) if code else None
    except HallUnavailable:
        dispatcher.utter_message(response="utter_hall_unavailable")
        return []
    if guide is None:
        if not match_of(tracker).abstain:
            dispatcher.utter_message(response="utter_ask_rephrase")
        return []
    for text, payload in render.guide_messages(guide, *answer_aspects(tracker, guide, aspect)):
        dispatcher.utter_message(text=text, json_message=payload)
    if continues:
        await continue_form(dispatcher, tracker)
    return [SlotSet("current_matter", guide["code"])]
