"""What action_answer_matter says once it knows what to say: a matter's answer, the options to
choose from, a complaint's ticket by its subject.

actions.matters (and actions.unsettled, its steps when no matter is settled) decide which matter and
aspect a message is about; this module turns that decision into replies and slots: the guide or the
one aspect asked (actions.render), 增值服务 buttons, the ticket form of a guidance or complaint
matter, the "哪一项？" buttons.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import render
from actions.api.hall import HallUnavailable, hall
from actions.conversation import MatchView, is_button, text_of
from actions.cues import asks_in_person
from actions.departments import complaint_route, department_ticket, offer_department
from actions.follow_ups import MAX_CLARIFY
from actions.form_slots import prefill_ticket_form, tells_more
from actions.reading import answer_aspects, unsure_of
from actions.ticket_request import filed_ticket, ticket_payload
from actions.tickets import ActionOpenTicket, file_when_told
from bot.vocabulary import TICKET_MATTER_KINDS, Aspect, MatterKind, TicketKind, TicketStatus

logger = logging.getLogger(__name__)


async def routed_ticket(
    dispatcher: CollectingDispatcher, tracker: Tracker, view: MatchView
) -> Optional[List[EventType]]:
    """A complaint with no matter named, or a department's button: its complaint matter
    answered, or a ticket to the department itself (actions.departments.complaint_route)."""
    routed = await complaint_route(tracker, view)
    if routed is None:
        return None
    if routed.matter:
        return await answer(dispatcher, tracker, routed.matter, Aspect.OVERVIEW)
    return await department_ticket(dispatcher, tracker, routed.kind, routed.department)


async def correct(
    dispatcher: CollectingDispatcher, current: Optional[str], candidates: List[str]
) -> List[EventType]:
    """"不是这个": the other options offered before, or a request to say it again."""
    others = [c for c in candidates if c != current]
    if others:
        return await clarify(dispatcher, others, "utter_clarify_after_correction")
    dispatcher.utter_message(response="utter_rephrase_after_correction")
    return [SlotSet("current_matter", None)]


async def clarify(
    dispatcher: CollectingDispatcher, codes: List[str], question: str = "utter_clarify",
    limit: int = MAX_CLARIFY,
) -> List[EventType]:
    """"您问的是哪一项？": the options as buttons, each with its department."""
    codes = list(dict.fromkeys(codes))[:limit]
    buttons, departments = [], {}
    for code in codes:
        guide = await hall().guide(code)
        if guide:
            dept = guide.get("department_name") or guide["department"]
            departments[guide["department"]] = dept
            buttons.append({"title": f"{guide['name']}（{dept}）", "payload": f'/choose{{"matter": "{code}"}}'})
    payload: Dict[str, Any] = {"clarify": codes}
    if len(departments) == 1:  # whichever the citizen picks, this department handles it
        [(code, name)] = departments.items()
        payload["department"] = {"code": code, "name": name}
    dispatcher.utter_message(response=question, buttons=buttons, json_message=payload)
    return [SlotSet("candidates", codes)]


async def answer(
    dispatcher: CollectingDispatcher, tracker: Tracker, code: str, aspect: str,
    alternatives: Optional[List[str]] = None,
) -> List[EventType]:
    """The matter's answer: a service's guide (or the one aspect asked, short, when it follows up
    on the same matter), a 一件事 as one, a ticket matter's form; `alternatives` are kept for "不是这个"."""
    guide = await hall().guide(code)
    if guide is None:
        logger.warning("matcher returned unknown matter %s", code)
        dispatcher.utter_message(response="utter_ask_rephrase")
        return []
    events: List[EventType] = [SlotSet("current_matter", code)]
    if alternatives is not None:
        events.append(SlotSet("candidates", [code] + [c for c in alternatives if c != code]))

    if guide["kind"] in TICKET_MATTER_KINDS:
        filed = await _filed_for(tracker, code)
        if filed and tells_more(text_of(tracker)):
            # "等下地点说错了，是在杭州东站上的车": more of the story, onto the ticket filed.
            return events + await ActionOpenTicket.add_note(dispatcher, tracker, filed["number"])
        if filed and aspect in render.ASPECTS and aspect != Aspect.OVERVIEW:
            # "多久来查", "能匿名不" after the complaint was filed: what the matter's guide says of
            # it, and the ticket that is already on its way.
            dispatcher.utter_message(text=render.guide_text(guide, aspect), json_message=render.matter_payload(guide, aspect))
            dispatcher.utter_message(response="utter_ticket_on_its_way", number=filed["number"],
                                     json_message=ticket_payload(filed))
            return events
        if filed:
            # One open ticket per matter and conversation: a second would be a double.
            dispatcher.utter_message(response="utter_ticket_already_filed", number=filed["number"],
                                     department_name=guide.get("department_name") or guide["department"],
                                     json_message={**ticket_payload(filed), "matter": code})
            return events
        return events + await _start_ticket(dispatcher, tracker, guide)
    aspect = aspect if aspect in render.ASPECTS else Aspect.OVERVIEW.value
    # "这个证咋办", "不知道我能不能拿，要怎么去弄": the whole guide first, then what was asked of it.
    aspect, then = answer_aspects(tracker, guide, aspect)
    follow_up = aspect != Aspect.OVERVIEW and tracker.get_slot("current_matter") == code
    # A follow-up answers only what was asked, short, with the whole guide one tap away.
    more = [{"title": "查看完整指南", "payload": f'/ask_matter{{"matter": "{code}"}}'}] if follow_up else []
    for i, (text, payload) in enumerate(render.guide_messages(guide, aspect, then)):
        dispatcher.utter_message(text=text, buttons=more if i == 0 else [], json_message=payload)
    if (also := _in_person_pair(aspect)) and guide["kind"] in (MatterKind.SERVICE, MatterKind.BUNDLE) and asks_in_person(text_of(tracker)):
        # "要本人去吗", "叫老乡帮我去开行不行": who may apply, and how many trips it takes (跑零次:
        # nobody needs to go), whichever of the two the words asked first.
        dispatcher.utter_message(text=render.guide_text(guide, also), json_message=render.matter_payload(guide, also))
    if not follow_up:
        await _related(dispatcher, guide)
    if tracker.get_slot("current_matter") != code and not is_button(tracker) and unsure_of(tracker, code):
        # A guess the matcher is not sure of ("网约车的车要办什么证" read as the driver's
        # licence): a way out to the department, taken in its words, not by a yes to the guide.
        await offer_department(dispatcher, guide["department"], "utter_offer_department", "after_answer")
    return events + [SlotSet("served", True)]


def _in_person_pair(aspect: str) -> Optional[str]:
    """The other half of "must I go in person": who may apply (conditions) and the trips (visits)."""
    return {Aspect.CONDITIONS.value: Aspect.VISITS.value, Aspect.VISITS.value: Aspect.CONDITIONS.value}.get(aspect)


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


async def _filed_for(tracker: Tracker, code: str) -> Optional[Dict[str, Any]]:
    """The open ticket this conversation last filed, when it is for this matter."""
    number = tracker.get_slot("last_ticket")
    ticket = await filed_ticket(tracker, number) if number else None
    return ticket if ticket and ticket.get("matter") == code and ticket.get("status") != TicketStatus.RESOLVED.value else None


async def _start_ticket(dispatcher: CollectingDispatcher, tracker: Tracker, guide: Dict[str, Any]) -> List[EventType]:
    dispatcher.utter_message(text=render.ticket_intro(guide), json_message=render.matter_payload(guide, Aspect.OVERVIEW))
    events = prefill_ticket_form(tracker, guide["kind"], guide["code"])
    if guide["kind"] == TicketKind.COMPLAINT:
        events += await file_when_told(dispatcher, tracker, TicketKind.COMPLAINT.value, guide["department"],
                                       guide["code"], events)
    elif guide["kind"] == TicketKind.GUIDANCE:
        # "塘里的虾这几天一直在死…有没有专家帮忙看看": the problem told in full reaches the experts at
        # once, as a hotline registers it; what the form asks next (scale, place, phone) is added.
        events += await file_when_told(dispatcher, tracker, TicketKind.GUIDANCE.value, guide["department"],
                                       guide["code"], events, asks_to_act=False)
    return events
