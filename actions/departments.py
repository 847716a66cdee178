"""A department as the answer: who handles a question no matter of ours fits (its remit, hotline
and buttons), or none of ours; where a complaint goes by its subject; and the ticket that asks
that department itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.api.hall import hall
from actions.conversation import entity, intent_of, is_button, route_of, text_of, user_texts
from actions.cues import STORY_CHARS, asks_to_act, grieves, says
from actions.form_slots import DECLINED, MIN_DESCRIPTION_CHARS, prefill_ticket_form
from actions.outside import matter_button, outside_answer
from actions.overrules import OVERRULE_OUTSIDE, router_sure_of_other
from actions.reading import only_particulars
from actions.tickets import file_when_told
from bot.catalogue.lexicons import cue_pattern
from bot.text.normalize import normalize
from bot.text.phones import contact_number
from bot.vocabulary import FALLBACK_DEPARTMENT, FALLBACK_MATTER, MatterKind, RequestType, TicketKind

COMPLAINT_READING = 0.4  # a complaint matter the matcher reads this well decides a complaint's department…
ROUTER_SEES = 0.01  # …when the router gives that department at least this much, and is not sure of another
SERVICE_READING = 0.5  # a service of a department with no complaint matters, read this well, is what a grievance asks


@dataclass(frozen=True)
class ComplaintRoute:
    """Where a complaint (or a department's button) goes: a complaint matter of ours to answer,
    or else a ticket of `kind` to `department` itself."""

    matter: Optional[str] = None
    department: Optional[str] = None
    kind: str = TicketKind.COMPLAINT.value


# An office asked after as such: its phone, address or hours ("长兴县医保局办事的地方在哪里 电话多少",
# "宁波公积金中心电话多少", "你们礼拜六开门伐"), not a matter's: cues.yml office_words with office_contact.


def department_spoken_of(events: List[Dict[str, Any]]) -> Optional[str]:
    """The department the bot's last answer (`events`, latest first) named in its payload."""
    for event in events:
        value = ((event.get("data") or {}).get("custom") or {}).get("department")
        code = value.get("code") if isinstance(value, dict) else value
        if code:
            return code
    return None


def asks_office(text: str) -> bool:
    """Whether the message asks how to reach an office it names (its phone, address, hours)."""
    folded = normalize(text).replace(" ", "")
    return bool(cue_pattern("office_words").search(folded) and cue_pattern("office_contact").search(folded))


async def department_answer(
    dispatcher: CollectingDispatcher, route: Dict[str, Any], also: Optional[str] = None
) -> List[EventType]:
    """No matter, but a department (or none of ours): say honestly who handles it. `also`: a
    matter of ours the words matched, offered as a button in case the citizen means it."""
    if route.get("outside") or not route.get("code"):
        return await outside_answer(dispatcher, also)
    dept = await department_named(route["code"])
    if dept is None:
        dispatcher.utter_message(response="utter_ask_rephrase")
        return []
    code = route["code"]
    ours = await matter_button(also, "我问的是“{name}”")
    buttons = [
        {"title": "请该部门答复我", "payload": f'/consult_department{{"department": "{code}"}}'},
        {"title": "我要投诉", "payload": f'/complain{{"department": "{code}"}}'},
        {"title": "转人工", "payload": "/human_handoff"},
    ] + ours
    dispatcher.utter_message(
        response="utter_department_route", department_name=dept["name"], remit=dept.get("note") or "",
        phone=dept.get("phone") or "12345", buttons=buttons,
        json_message={"department": {"code": code, "name": dept["name"], "score": route.get("score")},
                      "request_type": route.get("type")},
    )
    return [SlotSet("served", True)]


async def department_ticket(
    dispatcher: CollectingDispatcher, tracker: Tracker, kind: str, department: str, story: Optional[str] = None
) -> List[EventType]:
    dept = await department_named(department)
    if dept is None:
        dispatcher.utter_message(response="utter_ask_rephrase")
        return []
    dispatcher.utter_message(
        response="utter_department_ticket_intro", department_name=dept["name"],
        json_message={"department": {"code": department, "name": dept["name"]}, "kind": kind},
    )
    return prefill_ticket_form(tracker, kind, None, story) + [SlotSet("ticket_department", department)]


def agreed_department(route: Dict[str, Any], view) -> Optional[str]:
    """The router leans to "none of ours" but is unsure, and its best department is the one of
    the matcher's best candidate ("火锅店吃完全家人都拉肚子…我要找人管管": 市场监管 by both):
    two unsure readings that agree name the department."""
    if float(route.get("score") or 0.0) >= OVERRULE_OUTSIDE or not view.matches:
        return None
    ranking = [r.get("code") for r in route.get("ranking") or [] if r.get("code")]
    best = next((m for m in view.matches if m["matter"] != FALLBACK_MATTER), None)
    return ranking[0] if ranking and best and best.get("department") == ranking[0] else None


async def department_of(code: Optional[str]) -> Optional[str]:
    guide = await hall().guide(code) if code else None
    return guide["department"] if guide else None


async def takes_complaints(department: Optional[str]) -> bool:
    """Whether the department takes complaints by subject: has complaint matters of its own (政务服务办's
    兜底 and 好差评 are about our service, not a subject)."""
    if not department or department == FALLBACK_DEPARTMENT:
        return False
    return bool(await hall().matters(department=department, kind=MatterKind.COMPLAINT.value))


async def complaint_rerouted(route: Optional[Dict[str, Any]], department: Optional[str]) -> bool:
    """Whether a complaint read as `department`'s is the router's department's instead: the router
    is sure of another department (overrules.router_sure_of_other) that takes complaints itself. The
    hall is asked only when the router is that sure."""
    return router_sure_of_other(route, department) and await takes_complaints((route or {}).get("code"))


async def complaint_route(tracker: Tracker, view) -> Optional[ComplaintRoute]:
    """A complaint (by words or intent) with no matter named goes by its subject: to the
    complaint matter of the department the router names, else a complaint ticket to that
    department itself. A button of the department answer ("我要咨询/投诉") lands here too.
    None: not a complaint, or no department to send it to."""
    intent, text = intent_of(tracker), text_of(tracker)
    department = entity(tracker, "department") if is_button(tracker) else None
    if intent == "consult_department" and department:
        return ComplaintRoute(department=department, kind=TicketKind.CONSULT.value)
    # A story that asks someone to act ("…能不能帮我们把钱追回来", "…请查处") is a grievance told
    # in its own words, even with none of the words that name one.
    grievance = grieves(text) or (len(normalize(text)) >= STORY_CHARS and asks_to_act(text))
    if not (intent == "complain" or grievance):
        return None
    if not grievance and tracker.get_slot("current_matter") and (entity(tracker, "aspect") or says(text, "feared")):
        # "非得爸妈两个人都到场吗", "里面医保的钱会不会被人用掉": a follow-up on the current
        # matter, a question or a worry, no complaint in it
        return None
    route = route_of(tracker) or {}
    # The catalogue's complaint matters say whose remit a subject is ("印染厂往溪里排水" is
    # 生态环境's, however many fields and ducks the story tells of): the matcher's best reading,
    # when it is one of them and the router also sees its department, goes before the router's
    # first reading of the whole story.
    best = next((m for m in view.matches if m["matter"] != FALLBACK_MATTER), None)
    seen = {r.get("code") for r in route.get("ranking") or [] if float(r.get("score") or 0.0) >= ROUTER_SEES}
    if (best and float(best.get("score") or 0.0) >= COMPLAINT_READING and not is_button(tracker)
            and best.get("department") in seen and not await complaint_rerouted(route, best.get("department"))):
        guide = await hall().guide(best["matter"])
        if guide and guide["kind"] == MatterKind.COMPLAINT:
            return ComplaintRoute(matter=best["matter"])
    department = department or route.get("code") or agreed_department(route, view)
    if department == FALLBACK_DEPARTMENT:
        # 政务服务办 takes failed trips (handled before); a complaint about anything else goes
        # to the next department whose remit it is.
        others = [r["code"] for r in route.get("ranking") or [] if r.get("code") != FALLBACK_DEPARTMENT]
        department = others[0] if others else department
    if not department:
        return None
    complaints = [m for m in await hall().matters(department=department, kind=MatterKind.COMPLAINT.value)
                  if m["code"] != FALLBACK_MATTER]
    if (not complaints and not is_button(tracker) and best and best.get("department") == department
            and float(best.get("score") or 0.0) >= SERVICE_READING and not says(text, "complaint_request")):
        # A department that takes no complaints of its own, the story's best reading one of its
        # services, and no complaint asked for ("要投诉", "我要举报"): "…老板拖着不赔…请不起律师 老乡说
        # 政府有那种不要钱帮打官司的律师 我这种情况怎么申请" asks for 法律援助, not a complaint to 司法厅.
        guide = await hall().guide(best["matter"])
        if guide and guide["kind"] == MatterKind.SERVICE:
            return ComplaintRoute(matter=best["matter"])
    ranked = [m["matter"] for m in view.matches]
    ordered = sorted(complaints, key=lambda m: ranked.index(m["code"]) if m["code"] in ranked else 99)
    if ordered:
        return ComplaintRoute(matter=ordered[0]["code"])
    return ComplaintRoute(department=department)


async def accept_department_offer(
    dispatcher: CollectingDispatcher, tracker: Tracker, offer: Dict[str, Any]
) -> List[EventType]:
    """The citizen took "我可以把您的问题转给该部门": a ticket to that department with the story
    told before the offer (a complaint when it was one)."""
    # The question asked, not the phone or the "要的" said after it.
    story = next((t for t in reversed(user_texts(tracker)[:-1]) if t and not t.startswith("/")
                  and not only_particulars(t) and len(normalize(t)) >= MIN_DESCRIPTION_CHARS), "")
    kind = (TicketKind.COMPLAINT.value if offer.get("request_type") == RequestType.COMPLAINT.value
            or says(story, "grievance") else TicketKind.CONSULT.value)
    events = await department_ticket(dispatcher, tracker, kind, offer["department"]["code"], story)
    if says(text_of(tracker), "no_phone") and not contact_number(text_of(tracker)):
        events.append(SlotSet("contact_phone", DECLINED))
    # Asked to pass it on, the question told is filed at once, as a complaint told in full is: nothing
    # is lost if the citizen leaves now; the phone (or "不留") is added after.
    if events:
        events += await file_when_told(dispatcher, tracker, kind, offer["department"]["code"], None, events,
                                       asks_to_act=False)
    return events


async def department_named(code: Optional[str]) -> Optional[Dict[str, Any]]:
    """One of our departments (name, remit, phone) by its code, or None."""
    return await hall().department(code)


async def offer_department(dispatcher: CollectingDispatcher, code: str, response: str, offer: str) -> bool:
    """Offer to pass the question to a department (`response` says how, `offer` names the kind in
    the payload, as department_offered reads it); False when there is no such department."""
    dept = await department_named(code)
    if dept is None:
        return False
    dispatcher.utter_message(response=response, department_name=dept["name"],
                             json_message={"department": {"code": dept["code"], "name": dept["name"]},
                                           "offer": offer})
    return True


async def offer_callback(dispatcher: CollectingDispatcher, department: str) -> List[EventType]:
    """A phone and little else after an answer, with nothing pending: the citizen may want a call
    back. Nothing is filed on a number alone (they were told nothing of what it is for): the offer
    says what happens, and a yes takes it (accept_department_offer)."""
    if not await offer_department(dispatcher, department, "utter_offer_callback", "callback"):
        dispatcher.utter_message(response="utter_ask_rephrase")
    return []
