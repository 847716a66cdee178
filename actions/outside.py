"""Business that is none of ours: a court's, the army's, another province's. Said honestly, once and
again when the citizen presses on ("帮我催催", "查一下进度"), with a matter of ours its words matched
one click away in case the citizen means to get it done here."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.api.hall import hall
from actions.conversation import last_bot_response
from actions.cues import says

OUTSIDE_ANSWER = "utter_outside_every_department"
OUTSIDE_AGAIN = "utter_still_outside"
NOT_THEIRS_EITHER = "utter_not_theirs_either"
ELSEWHERE_ANSWER = "utter_elsewhere"
OUTSIDE_PAYLOAD: Dict[str, Any] = {"department": None, "outside": True}


def answered_outside(tracker: Tracker) -> bool:
    """Whether the bot's last answer was "none of ours" (a follow-up with no new subject is still
    about that business, not a ticket of ours nor a new question)."""
    return last_bot_response(tracker) in (OUTSIDE_ANSWER, OUTSIDE_AGAIN, ELSEWHERE_ANSWER, NOT_THEIRS_EITHER)


async def matter_button(also: Optional[str], title: str) -> List[Dict[str, str]]:
    """The matter of ours a message's words matched, one click away ("我问的是本省的“{name}”"); []
    when there is none."""
    guide = await hall().guide(also) if also else None
    return [{"title": title.format(name=guide["name"]), "payload": f'/ask_matter{{"matter": "{also}"}}'}] if guide else []


async def outside_answer(dispatcher: CollectingDispatcher, also: Optional[str] = None) -> List[EventType]:
    """None of our departments handles it: 12345 finds who does."""
    dispatcher.utter_message(response=OUTSIDE_ANSWER, buttons=await matter_button(also, "我问的是本省的“{name}”"),
                             json_message=dict(OUTSIDE_PAYLOAD))
    return []


def still_outside(dispatcher: CollectingDispatcher) -> List[EventType]:
    """Pressing on after "not ours": still not ours, said kindly, with the hotlines."""
    dispatcher.utter_message(response=OUTSIDE_AGAIN, json_message=dict(OUTSIDE_PAYLOAD))
    return []


async def elsewhere_answer(dispatcher: CollectingDispatcher, place: str, also: Optional[str]) -> List[EventType]:
    """Another province's (or country's) business: that place's own departments handle it. The
    matter its words match stays the subject: "那我回杭州补办要带什么" asks it of ours."""
    ours = await matter_button(also, "我问的是本省的“{name}”")
    dispatcher.utter_message(response=ELSEWHERE_ANSWER, place=place, buttons=ours,
                             json_message={**OUTSIDE_PAYLOAD, "elsewhere": place})
    return [SlotSet("current_matter", also)] if ours else []


async def not_theirs_either(dispatcher: CollectingDispatcher, tracker: Tracker, text: str,
                            named: Optional[str]) -> Optional[List[EventType]]:
    """After "none of ours", "不是退役军人事务局管的吗": what that department does handle, and that
    this is still none of ours (征兵 is the 人民武装部's, not the veterans' office's). `named`: the
    department the message names, as the router reads it. None when the message asks no such thing."""
    if not named or not answered_outside(tracker) or not says(text, "theirs_asked"):
        return None
    dept = await hall().department(named)
    if dept is None:
        return None
    dispatcher.utter_message(response=NOT_THEIRS_EITHER, department_name=dept["name"], remit=dept.get("note") or "",
                             json_message={**OUTSIDE_PAYLOAD, "asked_department": dept["code"]})
    return []
