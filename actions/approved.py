"""Approved answers (issue #17): what staff answered before, served for a question the bot cannot place.

A staff reply saved as an approved answer in the hall (console button or
`POST /api/approved-answers`) is found by similarity (`GET /api/approved-answers/match`) and
said with who answered and when: "由省公安厅工作人员解答（2026-11-25）：……".
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.api.hall import HallUnavailable, hall


async def approved_answer(text: str) -> Optional[Dict[str, Any]]:
    """The approved answer for the citizen's question, or None (none similar enough, hall down)."""
    text = (text or "").strip()
    if not text or text.startswith("/"):  # a button's payload is not a question
        return None
    try:
        return await hall().approved_answer(text)
    except HallUnavailable:
        return None


def utter_approved(dispatcher: CollectingDispatcher, answer: Dict[str, Any]) -> List[EventType]:
    """Say the approved answer with its department and date; the conversation counts as served."""
    dispatcher.utter_message(
        response="utter_approved_answer",
        department_name=answer.get("department_name") or answer.get("department") or "相关部门",
        date=answer.get("date") or "", answer=answer.get("answer") or "",
        json_message={"approved_answer": {"id": answer.get("id"), "department": answer.get("department"),
                                          "date": answer.get("date")}},
    )
    return [SlotSet("served", True)]


async def serve_approved(dispatcher: CollectingDispatcher, text: str) -> Optional[List[EventType]]:
    """Utter the approved answer for ``text`` if there is one; the events to return, else None."""
    answer = await approved_answer(text)
    return utter_approved(dispatcher, answer) if answer else None
