"""Retention and a citizen's erasure (issue #17), on SQLite or PostgreSQL (DATABASE_URL): what is
removed, what is kept, and that the figures of the seeded day stay the same."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import create_engine, select, text, update

from bot.hall import models, retention
from bot.hall.stats import ConversationFollower
from tests.hall.conftest import SERVICE
from tests.hall.test_stats import DAY, EXPECTED, add_events, at, listen, seeded, stats_settings, ts, user  # noqa: F401

RANGE = {"from": "2026-11-23", "to": "2026-11-24"}


def events_of(settings) -> dict:
    engine = create_engine(settings.events_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT sender_id, COUNT(*) FROM events GROUP BY sender_id")).all()
    engine.dispose()
    return dict(rows)


def figures(client) -> dict:
    r = client.get("/api/stats", params=RANGE, headers=SERVICE)
    assert r.status_code == 200, r.text
    return r.json()


def resolve(sessions, conv: str, when: dt.datetime) -> str:
    with sessions() as db:
        t = db.execute(select(models.Ticket).where(models.Ticket.conversation_id == conv)).scalar_one()
        t.status, t.resolved_at, t.resolution = "resolved", when, "已电话联系 13812345678 说明"
        db.add(models.StaffReply(ticket_number=t.number, author="li", text="您好，请带身份证来", status="sent",
                                 created_at=when, sent_at=when))
        db.add(models.AuditEntry(at=when, username="li", action="reveal", target=t.number, detail="查看联系电话"))
        db.commit()
        return t.number


def test_retention_removes_transcripts_and_contacts_but_not_figures(seeded, stats_settings, sessions):
    client, app = seeded
    numbers = {conv: resolve(sessions, conv, at(18)) for conv in ("c3", "c4", "c5")}
    before = figures(client)
    assert before["conversations"] == 1 + EXPECTED["conversations"]
    assert set(events_of(stats_settings)) == {"c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7"}

    # 100 days later: conversations without a ticket (30 days) go; closed tickets (180 days) stay.
    later = at(12, day=DAY + dt.timedelta(days=100))
    dry = retention.run(app.state.hall.sessions, stats_settings, dry_run=True, now=later)
    assert dry.conversations == ["c0", "c1", "c2", "c6", "c9"] and dry.with_tickets == 0
    assert dry.events == 2 + 5 + 4 + 1 and dry.unmatched == 3 and dry.tickets == 0
    assert set(events_of(stats_settings)) == {"c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7"}  # dry: nothing
    plan = retention.run(app.state.hall.sessions, stats_settings, now=later)
    assert plan.conversations == dry.conversations
    assert set(events_of(stats_settings)) == {"c3", "c4", "c5", "c7"}
    assert figures(client) == before

    # 200 days later: the closed tickets' conversations go too; the open one (c7) stays whole.
    much_later = at(12, day=DAY + dt.timedelta(days=200))
    plan = retention.run(app.state.hall.sessions, stats_settings, now=much_later)
    assert plan.conversations == ["c3", "c4", "c5"] and plan.tickets == 3 and plan.phones == 3 and plan.replies == 3
    assert set(events_of(stats_settings)) == {"c7"}
    assert figures(client) == before

    with sessions() as db:
        tickets = {t.number: t for t in db.execute(select(models.Ticket)).scalars()}
        for number in numbers.values():
            t = tickets[number]
            assert t.conversation_id.startswith("anon-") and t.contact_phone is None
            assert t.description == "" and t.resolution is None and t.reason is None
            assert t.status == "resolved" and t.first_response_at is not None and t.kind  # figures' fields kept
        open_ = next(t for t in tickets.values() if t.kind == "guidance")
        assert open_.conversation_id == "c7" and open_.contact_phone == "13812345678"
        assert db.execute(select(models.StaffReply)).scalars().all() == []
        convs = db.execute(select(models.ConversationStat.conversation_id)).scalars().all()
        assert sorted(c for c in convs if not c.startswith("anon-")) == ["c7"] and len(convs) == 8
        assert all(r.last_question is None for r in db.execute(select(models.ConversationStat)).scalars()
                   if r.conversation_id.startswith("anon-"))
        unmatched = db.execute(select(models.Unmatched)).scalars().all()
        assert all(u.conversation_id.startswith("anon-") for u in unmatched)
        assert not any("13812345678" in u.text for u in unmatched)
        ratings = db.execute(select(models.Rating)).scalars().all()
        assert len(ratings) == 3 and all(r.conversation_id.startswith("anon-") for r in ratings)
        # The reveals' audit records are kept, and the job left its own.
        actions = [a.action for a in db.execute(select(models.AuditEntry)).scalars()]
        assert actions.count("reveal") == 3 and actions.count("retention") == 2

    # Nothing more is due, and running again changes nothing.
    again = retention.run(app.state.hall.sessions, stats_settings, now=much_later)
    assert again.conversations == [] and figures(client) == before


def test_retention_dry_run_command(seeded, stats_settings, monkeypatch, capsys):
    from bot.cli import main
    from bot.settings import get_settings

    monkeypatch.setenv("ONETRIP_RETENTION_CONVERSATION_DAYS", "1")
    get_settings.cache_clear()
    try:
        assert main(["retention", "--dry-run"]) == 0
    finally:
        get_settings.cache_clear()
    out = capsys.readouterr().out
    assert "演练" in out and "到期会话 5 个" in out and "无工单的会话 1 天" in out
    assert set(events_of(stats_settings)) == {"c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7"}


def test_citizen_erases_their_conversation(seeded, stats_settings, sessions):
    client, app = seeded
    before = figures(client)

    # A ticket still open: nothing is deleted, and the answer says when it will go.
    r = client.post("/api/conversations/c7/erase", headers=SERVICE)
    assert r.status_code == 409
    body = r.json()
    assert body["erased"] is False and len(body["open_tickets"]) == 1 and "办结 180 天后" in body["message"]
    assert "c7" in events_of(stats_settings)

    r = client.post("/api/conversations/c2/erase", headers=SERVICE)
    assert r.status_code == 200 and r.json()["erased"] is True and r.json()["events_deleted"] == 4
    assert "c2" not in events_of(stats_settings)
    # Rasa saves the turn that asked for it after the action: the follower deletes that too.
    add_events(stats_settings, "c2", [user("删除我的记录", ts(20), intent="erase_my_data"),
                                      {"event": "action", "name": "action_erase_conversation", "timestamp": ts(20)},
                                      {"event": "bot", "text": "您的聊天记录已删除", "timestamp": ts(20)}, listen(ts(20))])
    ConversationFollower(app.state.hall).catch_up()
    assert "c2" not in events_of(stats_settings)
    with sessions() as db:
        assert db.execute(select(models.Erasure.done_at, models.Erasure.conversation_id)).one()[1] is None
        assert db.get(models.ConversationStat, "c2") is None
        assert not db.execute(select(models.Unmatched).where(models.Unmatched.conversation_id == "c2")).all()
    assert figures(client) == before

    assert client.post("/api/conversations/c1/erase").status_code == 401
    assert client.post("/api/conversations/" + "x" * 300 + "/erase", headers=SERVICE).status_code == 422
