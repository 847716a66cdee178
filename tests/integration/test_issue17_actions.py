"""Issue #17's actions against the real hall app in-process (as tests/integration/test_actions.py):
an approved answer served with its department and date, and a citizen's erasure."""

from __future__ import annotations

import asyncio
import uuid

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select, update

from actions.approved import approved_answer, serve_approved
from actions.handoff import ActionHandoff
from actions.privacy import ActionEraseConversation
from bot.hall import models
from bot.hall.db import utcnow
from test_actions import TOKEN, hall, hall_app, said  # noqa: F401  (fixtures)

SERVICE = {"Authorization": f"Bearer {TOKEN}"}


def tracker(sender: str, text: str, intent: str = "erase_my_data") -> Tracker:
    return Tracker(sender, {}, {"text": text, "intent": {"name": intent}, "entities": []},
                   [], False, None, {}, "action_listen")


def approve(app, question: str, answer: str) -> None:
    with app.state.hall.sessions() as db:
        db.add(models.ApprovedAnswer(question=question, answer=answer, department="gongan", ticket_number=None,
                                     author="li", created_at=utcnow()))
        db.commit()


def test_approved_answer_is_served_with_department_and_date(hall, hall_app):  # noqa: F811
    approve(hall_app, "图书馆的自习室晚上开到几点", "省图书馆自习室开放到晚上21:00。")
    assert asyncio.run(approved_answer("博物馆周一开门吗")) is None
    assert asyncio.run(approved_answer("/choose{\"matter\": \"x\"}")) is None
    dispatcher = CollectingDispatcher()
    events = asyncio.run(serve_approved(dispatcher, "图书馆自习室晚上几点关门"))
    assert events == [{"event": "slot", "timestamp": None, "name": "served", "value": True}]
    text = said(dispatcher)
    assert text.startswith("由省公安厅（公安机关）工作人员解答（") and text.endswith("）：省图书馆自习室开放到晚上21:00。")
    assert asyncio.run(serve_approved(CollectingDispatcher(), "博物馆周一开门吗")) is None


def rated(app, prefix: str) -> str:
    """A new conversation with a rating in the hall (what an erase anonymises)."""
    sender = f"{prefix}-{uuid.uuid4().hex[:6]}"
    with app.state.hall.sessions() as db:
        db.add(models.Rating(idempotency_key=sender, conversation_id=sender, level=5, channel="rest", created_at=utcnow()))
        db.commit()
    return sender


def test_erase_action(hall, hall_app):  # noqa: F811
    sender = rated(hall_app, "e")
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionEraseConversation().run(dispatcher, tracker(sender, "删除我的记录"), {}))
    assert "已经删除" in said(dispatcher)
    assert [e["event"] for e in events] == ["session_started", "followup"]
    with hall_app.state.hall.sessions() as db:
        assert db.execute(select(models.Rating.conversation_id)).scalar_one().startswith("anon-")

    # A ticket still open: told when it will go, nothing restarted.
    open_ = f"o-{uuid.uuid4().hex[:6]}"
    with hall_app.state.hall.sessions() as db:
        db.add(models.Ticket(number="ZJ20261203-0099", idempotency_key=open_, kind="consult", status="open",
                             department="gongan", conversation_id=open_, channel="rest", description="",
                             consent=False, created_at=utcnow(), promised_response=""))
        db.commit()
    dispatcher = CollectingDispatcher()
    assert asyncio.run(ActionEraseConversation().run(dispatcher, tracker(open_, "删除我的记录"), {})) == []
    assert "ZJ20261203-0099" in said(dispatcher) and "180天后" in said(dispatcher)


def test_nothing_is_erased_on_a_guess(hall, hall_app):  # noqa: F811
    # "我名下的…信息" is a question about property records, whatever intent the classifier read.
    sender = rated(hall_app, "g")
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionEraseConversation().run(dispatcher, tracker(sender, "我要查一下我名下的不动产登记信息"), {}))
    assert events == [{"event": "followup", "timestamp": None, "name": "action_answer_matter"}]
    assert dispatcher.messages == []
    with hall_app.state.hall.sessions() as db:
        assert db.execute(select(models.Rating.conversation_id).where(models.Rating.idempotency_key == sender)).scalar_one() == sender


def test_no_ticket_is_filed_for_a_person_on_a_guess(hall, hall_app):  # noqa: F811
    # The intent classifier read human_handoff in a farmer's question: answered, no ticket, no consent.
    sender = f"h-{uuid.uuid4().hex[:6]}"
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionHandoff().run(dispatcher, tracker(sender, "母猪人工授精找谁指导", "human_handoff"), {}))
    assert events == [{"event": "followup", "timestamp": None, "name": "action_answer_matter"}]
    assert dispatcher.messages == []
    with hall_app.state.hall.sessions() as db:
        assert db.execute(select(models.Ticket).where(models.Ticket.conversation_id == sender)).first() is None
    # Asked in words, the person is called: a handoff ticket.
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionHandoff().run(dispatcher, tracker(sender, "叫你们领导来", "human_handoff"), {}))
    assert any(e.get("event") == "pause" for e in events)
    with hall_app.state.hall.sessions() as db:
        (kind,) = db.execute(select(models.Ticket.kind).where(models.Ticket.conversation_id == sender)).one()
    assert kind == "handoff"
