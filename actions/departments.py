"""A department as the answer: who handles a question no matter of ours fits (its remit, hotline
and buttons), or none of ours; and the ticket that asks that department itself.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.api.hall import hall
from actions.forms import prefill_ticket_form
from actions.outside import matter_button, outside_answer
from actions.reading import OVERRULE_OUTSIDE
from bot.vocabulary import FALLBACK_MATTER


async def department_answer(
    dispatcher: CollectingDispatcher, route: Dict[str, Any], also: Optional[str] = None
) -> List[EventType]:
    """No matter, but a department (or none of ours): say honestly who handles it. `also`: a
    matter of ours the words matched, offered as a button in case the citizen means it."""
    if route.get("outside") or not route.get("code"):
        return await outside_answer(dispatcher, also)
    names = {d["code"]: d for d in await hall().departments()}
    dept = names.get(route["code"])
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
    names = {d["code"]: d for d in await hall().departments()}
    if department not in names:
        dispatcher.utter_message(response="utter_ask_rephrase")
        return []
    dept = names[department]
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
