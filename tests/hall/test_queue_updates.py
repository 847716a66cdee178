"""Issue #16, "handoff that informs ... place in queue and expected wait, updated": a citizen
waiting on an unanswered handoff hears their new place when it moves, in their own channel (the
hall executes a response in Rasa, as for staff replies), only on change, at most once a minute.

The real hall (SQLite in tmp_path) with the loopback stand-in for Rasa's HTTP API."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest
import yaml

from bot.hall import models, sla, ticket_service
from bot.hall.db import utcnow
from bot.hall.rasa_client import RasaClient
from bot.hall.ticket_service import tell_queue_moves
from tests.hall.conftest import SERVICE
from tests.hall.test_human_phase import new_ticket, staff, stub  # noqa: F401  (stub is a fixture)

RESPONSES = yaml.safe_load((Path(__file__).parents[2] / "domain.yml").read_text(encoding="utf-8"))["responses"]


@pytest.fixture
def office_open(monkeypatch):
    """Staff are at work whatever the clock says when the test runs (the calendar has its own tests)."""
    monkeypatch.setattr(sla, "office_hours", lambda moment, config: sla.OfficeHours(True, sla._local(moment)))


def handoff(client, conversation_id: str, department: str = "gongan") -> dict:
    return new_ticket(client, kind="handoff", department=department, matter=None, conversation_id=conversation_id)


def sweep(app, sessions, now, messenger=None) -> int:
    """One sweep of the hall's queue job (bot.hall.ticket_service.queue_updates runs it every 5 s)."""
    state = app.state.hall
    with sessions() as db:
        return asyncio.run(tell_queue_moves(db, messenger or state.rasa, state.sla, now=now))


def told(stub) -> list:
    """(conversation, response, slots) of every queue update the hall asked Rasa to say."""
    out, slots = [], {}
    for call in stub.calls:
        body = call["json"]
        conv = call["path"].split("/")[2]
        if isinstance(body, list):
            slots[conv] = {e["name"]: e["value"] for e in body if e.get("event") == "slot"}
        elif isinstance(body, dict) and str(body.get("name", "")).startswith("utter_queue"):
            out.append((conv, body["name"], slots.get(conv, {})))
    return out


def said(response: str, slots: dict) -> str:
    return RESPONSES[response][0]["text"].format(**slots)


def last_told(sessions, number):
    with sessions() as db:
        t = db.query(models.Ticket).filter_by(number=number).one()
        return t.last_told_position


def test_second_in_queue_hears_when_the_ticket_ahead_is_answered(client, app, sessions, make_user, stub,
                                                                 office_open):
    auth = staff(client, make_user, "zhao", "gongan")
    a = handoff(client, "q-a")
    b = handoff(client, "q-b")
    other = handoff(client, "q-other", department="scjg")
    assert (a["queue_position"], b["queue_position"], other["queue_position"]) == (1, 2, 1)
    assert last_told(sessions, b["number"]) == 2  # what the handoff told B is remembered

    later = utcnow() + dt.timedelta(minutes=2)
    stub.calls.clear()
    assert sweep(app, sessions, later) == 0 and told(stub) == []  # nothing moved: nothing said

    r = client.post(f"/api/tickets/{a['number']}/reply", json={"text": "您好，我来处理"}, headers=auth)
    assert r.status_code == 201
    stub.calls.clear()
    assert sweep(app, sessions, later) == 1
    [(conv, response, slots)] = told(stub)
    assert conv == "q-b" and response == "utter_queue_next" and slots["queue_ahead"] == "0"
    text = said(response, slots)
    assert "您是下一位" in text and f"预计等候约 {slots['queue_wait']} 分钟" in text
    assert last_told(sessions, b["number"]) == 1

    stub.calls.clear()  # told once: the next sweeps say nothing until it moves again
    assert sweep(app, sessions, later + dt.timedelta(minutes=5)) == 0 and told(stub) == []


def test_moves_are_told_at_most_once_a_minute_and_only_in_office_hours(client, app, sessions, make_user, stub,
                                                                       monkeypatch):
    monkeypatch.setattr(sla, "office_hours", lambda moment, config: sla.OfficeHours(True, sla._local(moment)))
    auth = staff(client, make_user, "li", "scjg")
    p1, p2, p3 = (handoff(client, f"m-{i}", department="scjg") for i in (1, 2, 3))
    t0 = utcnow() + dt.timedelta(minutes=2)
    client.post(f"/api/tickets/{p1['number']}/resolve", json={"resolution": "已电话答复"}, headers=auth)
    stub.calls.clear()
    assert sweep(app, sessions, t0) == 2
    assert sorted((c, s["queue_ahead"]) for c, _, s in told(stub)) == [("m-2", "0"), ("m-3", "1")]
    assert said("utter_queue_moved", told(stub)[-1][2]).startswith("排队有更新：您前面还有 1 位，预计等候约")

    client.post(f"/api/tickets/{p2['number']}/reply", json={"text": "在的"}, headers=auth)
    stub.calls.clear()
    assert sweep(app, sessions, t0 + dt.timedelta(seconds=30)) == 0  # m-3 heard 30 s ago: held back
    monkeypatch.setattr(sla, "office_hours", lambda moment, config: sla.OfficeHours(False, sla._local(moment)))
    assert sweep(app, sessions, t0 + dt.timedelta(minutes=2)) == 0  # out of office hours: nothing
    monkeypatch.setattr(sla, "office_hours", lambda moment, config: sla.OfficeHours(True, sla._local(moment)))
    assert sweep(app, sessions, t0 + dt.timedelta(minutes=2)) == 1
    assert [(c, s["queue_ahead"]) for c, _, s in told(stub)] == [("m-3", "0")]


def test_the_minute_is_a_setting(client, app, sessions, make_user, stub, office_open, monkeypatch):
    # ONETRIP_QUEUE_UPDATE_SECONDS (default 60): the browser test cannot wait a minute.
    auth = staff(client, make_user, "zhao", "gongan")
    a = handoff(client, "s-a")
    handoff(client, "s-b")
    client.post(f"/api/tickets/{a['number']}/reply", json={"text": "您好"}, headers=auth)
    soon = utcnow() + dt.timedelta(seconds=10)
    assert sweep(app, sessions, soon) == 0  # B heard its place at the handoff, under a minute ago
    monkeypatch.setenv("ONETRIP_QUEUE_UPDATE_SECONDS", "5")
    stub.calls.clear()
    assert sweep(app, sessions, soon) == 1
    assert [(c, s["queue_ahead"]) for c, _, s in told(stub)] == [("s-b", "0")]


def test_a_transfer_moves_both_queues_and_two_halls_tell_once(client, app, sessions, make_user, stub, office_open):
    auth = staff(client, make_user, "zhao", "gongan")
    a = handoff(client, "t-a")
    handoff(client, "t-b")
    handoff(client, "t-c", department="scjg")
    r = client.post(f"/api/tickets/{a['number']}/transfer", json={"department": "scjg", "reason": "属市场监管"},
                    headers=auth)
    assert r.status_code == 200
    stub.calls.clear()
    later = utcnow() + dt.timedelta(minutes=2)

    async def two_halls():
        with sessions() as one, sessions() as two:
            state = app.state.hall
            return await asyncio.gather(tell_queue_moves(one, state.rasa, state.sla, now=later),
                                        tell_queue_moves(two, state.rasa, state.sla, now=later))

    assert sum(asyncio.run(two_halls())) == 2
    # t-b moved up in 公安; t-a (made earlier) is now ahead of t-c in 市场监管, so t-c moved down;
    # t-a is first in its new queue as it was in the old one: no change, nothing said. Each told once.
    assert sorted((c, s["queue_ahead"]) for c, _, s in told(stub)) == [("t-b", "0"), ("t-c", "1")]


def test_not_told_after_leaving_the_queue_and_retried_when_rasa_was_down(client, app, sessions, make_user, stub,
                                                                         office_open):
    auth = staff(client, make_user, "zhao", "gongan")
    a = handoff(client, "r-a")
    b = handoff(client, "r-b")
    c = handoff(client, "r-c")
    assert client.post("/api/conversations/r-c/human/release", headers=SERVICE).status_code == 200  # 转回机器人
    client.post(f"/api/tickets/{a['number']}/reply", json={"text": "您好"}, headers=auth)
    later = utcnow() + dt.timedelta(minutes=2)

    down = RasaClient("http://127.0.0.1:9", "rasa-secret", timeout=1)
    assert sweep(app, sessions, later, messenger=down) == 0
    assert last_told(sessions, b["number"]) == 2  # not told: the old place stays
    assert last_told(sessions, c["number"]) is None

    stub.calls.clear()
    assert sweep(app, sessions, later + dt.timedelta(seconds=30)) == 0  # the failed try counts for the minute
    assert sweep(app, sessions, later + dt.timedelta(minutes=2)) == 1
    assert [c for c, _, _ in told(stub)] == ["r-b"]


def test_the_hall_job_sweeps_on_its_own(client, app, sessions, make_user, stub, office_open, monkeypatch):
    auth = staff(client, make_user, "zhao", "gongan")
    a = handoff(client, "j-a")
    handoff(client, "j-b")
    client.post(f"/api/tickets/{a['number']}/reply", json={"text": "您好"}, headers=auth)
    monkeypatch.setattr(ticket_service, "TELL_AT_MOST_EVERY", dt.timedelta(0))
    stub.calls.clear()
    state = app.state.hall

    async def run_briefly():
        job = asyncio.create_task(ticket_service.queue_updates(sessions, lambda: state.rasa, state.sla, every=0.05))
        await asyncio.sleep(0.5)
        job.cancel()

    asyncio.run(run_briefly())
    assert [c for c, _, _ in told(stub)] == ["j-b"]  # many sweeps, told once
