"""GET /api/stats over a seeded day whose figures are known (issue #17), on SQLite or PostgreSQL.

The day is 2026-11-24 (a Tuesday, a working day), Asia/Shanghai. Conversations come from a Rasa
tracker-store `events` table the hall follows (bot.hall.stats.ConversationFollower); tickets are
created by the hall's own `create_ticket` at the seeded times, ratings by `ticket_service.rate`,
unmatched questions by the API.

  c1  asks 身份证到期 (gongan.id_card_renew), rates 5               -> self-served
  c2  asks twice something the bot cannot place (with a phone)   -> self-served, 2 unmatched
  c3  asks for a person: paused, 转人工 ticket answered in 10 min  -> handed to staff
  c4  complaint ticket (scjg) answered in 1 h                    -> ticket
  c5  asks 宝宝上户口 (gongan.hukou_birth), "不是这个", rates 1,
      feedback ticket answered in 30 min                         -> 差评 called back in time
  c6  rates 2 with no feedback ticket                            -> 差评 not called back
  c7  guidance ticket (gongan) never answered, now overdue       -> outside the SLA
  c0  the day before: not counted; one more unmatched question on the day: 狗咬人了
"""

from __future__ import annotations

import datetime as dt
import json
import secrets

import pytest
from sqlalchemy import create_engine, select, text, update

from bot.hall import models, ticket_service
from bot.hall.app import create_app
from bot.hall.sla import TZ, load_config
from bot.hall.stats import ConversationFollower
from bot.hall.tickets import create_ticket
from bot.settings import load_settings
from tests.hall.conftest import SERVICE, login_token, ticket_body

DAY = dt.date(2026, 11, 24)
RASA_EVENTS = ("CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, "
               "type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), "
               "action_name VARCHAR(255), data TEXT)")


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    """Local time on the day -> naive UTC, as the hall stores it."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ).astimezone(dt.timezone.utc).replace(tzinfo=None)


def ts(hour: int, minute: int = 0, day: dt.date = DAY) -> float:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ).timestamp()


def user(text_: str, when: float, intent: str = "ask_matter", matter: str = None) -> dict:
    parse = {"intent": {"name": intent, "confidence": 0.9}, "entities": [], "text": text_,
             "matter_match": {"abstain": matter is None, "clarify": False,
                              "matches": [{"matter": matter, "score": 0.9}] if matter else []}}
    return {"event": "user", "text": text_, "timestamp": when, "input_channel": "rest", "parse_data": parse}


def bot(text_: str, when: float) -> dict:
    return {"event": "bot", "text": text_, "timestamp": when}


def listen(when: float) -> dict:
    return {"event": "action", "name": "action_listen", "timestamp": when}


@pytest.fixture
def stats_settings(settings, monkeypatch):
    """The tracker store and the events the hall follows: one SQLite table, as in `onetrip up`."""
    monkeypatch.setenv("ONETRIP_TRACKER_URL", settings.events_url)
    s = load_settings()
    engine = create_engine(s.events_url)
    with engine.begin() as conn:
        conn.execute(text(RASA_EVENTS))
    engine.dispose()
    return s


def add_events(settings, sender: str, events) -> None:
    engine = create_engine(settings.events_url)
    with engine.begin() as conn:
        for e in events:
            conn.execute(text("INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data) "
                              "VALUES (:s, :t, :ts, :i, :a, :d)"),
                         {"s": sender, "t": e["event"], "ts": e.get("timestamp"),
                          "i": (e.get("parse_data") or {}).get("intent", {}).get("name"), "a": e.get("name"),
                          "d": json.dumps(e, ensure_ascii=False)})
    engine.dispose()


def make_ticket(sessions, created: dt.datetime, answered_after: float = None, **fields) -> str:
    body = ticket_body(**fields)
    data, _ = create_ticket(sessions, body, load_config(), now=created)
    if answered_after is not None:
        with sessions() as db:
            db.execute(update(models.Ticket).where(models.Ticket.number == data["number"]).values(
                first_response_at=created + dt.timedelta(seconds=answered_after),
                status="in_progress"))
            db.commit()
    return data["number"]


def rate(sessions, conv: str, level: int, created: dt.datetime, matter: str = None) -> None:
    with sessions() as db:
        row, _ = ticket_service.rate(db, {"conversation_id": conv, "level": level, "matter": matter, "ticket": None,
                                          "channel": "rest", "idempotency_key": secrets.token_hex(8)})
        row.created_at = created
        db.commit()


def seed_day(settings, sessions, client) -> None:
    add_events(settings, "c0", [user("你好", ts(20, day=DAY - dt.timedelta(days=1))), listen(ts(20))])
    add_events(settings, "c1", [user("身份证到期了怎么办", ts(9), matter="gongan.id_card_renew"),
                                bot("居民身份证有效期满换领……", ts(9)), listen(ts(9)),
                                user("满意", ts(9, 2), intent="rate"),
                                {"event": "slot", "name": "rating", "value": "5", "timestamp": ts(9, 2)}])
    add_events(settings, "c2", [user("补贴怎么领 电话13812345678", ts(10)), listen(ts(10)),
                                user("补贴怎么领 电话13812345678", ts(10, 1)), listen(ts(10, 1))])
    add_events(settings, "c3", [user("转人工", ts(10, 30), intent="human_handoff"),
                                {"event": "pause", "timestamp": ts(10, 30)}])
    add_events(settings, "c4", [user("商家不给退款我要投诉", ts(11), intent="complain")])
    add_events(settings, "c5", [user("宝宝上户口要什么", ts(13), matter="gongan.hukou_birth"), listen(ts(13)),
                                user("不是这个", ts(13, 1), intent="correct_matter"), listen(ts(13, 1)),
                                user("非常不满意", ts(13, 2), intent="rate"),
                                {"event": "slot", "name": "rating", "value": "1", "timestamp": ts(13, 2)}])
    add_events(settings, "c6", [user("很差", ts(14), intent="rate")])
    add_events(settings, "c7", [user("我家虾苗死了好多", ts(15), intent="request_guidance")])

    make_ticket(sessions, at(10, 30), 600, kind="handoff", department="zwfw", matter=None, conversation_id="c3")
    make_ticket(sessions, at(11), 3600, conversation_id="c4")
    rate(sessions, "c1", 5, at(9, 2), "gongan.id_card_renew")
    rate(sessions, "c5", 1, at(13, 2), "gongan.hukou_birth")
    make_ticket(sessions, at(13, 3), 1800, kind="feedback", department="zwfw", matter=None, conversation_id="c5",
                rating=1, reason="答非所问")
    rate(sessions, "c6", 2, at(14))
    make_ticket(sessions, at(15), None, kind="guidance", department="gongan", matter=None, conversation_id="c7")
    for conv, words, when in (("c2", "补贴怎么领 电话13812345678", at(10)), ("c2", "补贴怎么领 电话13812345678", at(10, 1)),
                              ("c9", "狗咬人了", at(16))):
        r = client.post("/api/unmatched", json={"conversation_id": conv, "text": words, "channel": "rest"},
                        headers=SERVICE)
        assert r.status_code == 201
        with sessions() as db:
            db.execute(update(models.Unmatched).where(models.Unmatched.id == r.json()["id"]).values(created_at=when))
            db.commit()


EXPECTED = {
    "conversations": 7, "self_served": 2, "handed_to_staff": 1,
    "tickets": {"guidance": 1, "complaint": 1, "consult": 0, "fallback": 0, "handoff": 1, "feedback": 1},
    "within_sla": 0.75, "first_response_median_s": 1800.0,
    "ratings": {"1": 1, "2": 1, "3": 0, "4": 0, "5": 1},
    "bad_followed_up": 0.5,
    "unmatched": [{"text": "补贴怎么领 电话138****5678", "count": 2}, {"text": "狗咬人了", "count": 1}],
}


@pytest.fixture
def seeded(stats_settings, admin_password, sessions):
    from fastapi.testclient import TestClient

    app = create_app(stats_settings, run_events=False)
    with TestClient(app) as client:
        seed_day(stats_settings, sessions, client)
        assert ConversationFollower(app.state.hall).catch_up() > 0
        yield client, app


def test_figures_of_a_known_day(seeded):
    client, _ = seeded
    r = client.get("/api/stats", params={"from": "2026-11-24", "to": "2026-11-24"}, headers=SERVICE)
    assert r.status_code == 200, r.text
    figures = r.json()
    assert {k: figures[k] for k in EXPECTED} == EXPECTED
    assert figures["days"] == [{"day": "2026-11-24", "conversations": 7, "self_served": 2, "handed_to_staff": 1,
                                "tickets": 4, "ratings": 3, "bad_ratings": 2, "unmatched": 3}]
    # A range around the day: the day before holds c0, the day after nothing.
    wide = client.get("/api/stats", params={"from": "2026-11-23", "to": "2026-11-25"}, headers=SERVICE).json()
    assert [d["conversations"] for d in wide["days"]] == [1, 7, 0]
    assert wide["conversations"] == 8 and wide["self_served"] == 3


def test_followed_twice_counts_once(seeded):
    client, app = seeded
    assert ConversationFollower(app.state.hall).catch_up() == 0  # the cursor is in the database
    r = client.get("/api/stats", params={"from": "2026-11-24", "to": "2026-11-24"}, headers=SERVICE).json()
    assert r["conversations"] == 7


def test_wrongly_matched_questions_are_kept_for_review(seeded):
    _, app = seeded
    with app.state.hall.sessions() as db:
        wrong = db.execute(select(models.Unmatched.conversation_id, models.Unmatched.text, models.Unmatched.matter)
                           .where(models.Unmatched.kind == "wrong")).all()
    # c5: "不是这个" after 宝宝上户口; its 差评 came after, with nothing matched in between: once.
    assert wrong == [("c5", "宝宝上户口要什么", "gongan.hukou_birth")]


def test_staff_see_their_department_only(seeded, make_user):
    client, _ = seeded
    make_user("li", "staff", "gongan")
    make_user("boss", "supervisor", None)
    li = login_token(client, "li")
    mine = client.get("/api/stats", params={"from": "2026-11-24", "to": "2026-11-24"}, headers=li)
    assert mine.status_code == 200
    m = mine.json()
    assert m["department"] == "gongan"
    assert m["conversations"] == 3  # c1, c5 (placed on gongan matters), c7 (gongan ticket)
    assert m["tickets"]["guidance"] == 1 and sum(m["tickets"].values()) == 1
    assert m["ratings"] == {"1": 1, "2": 0, "3": 0, "4": 0, "5": 1}
    assert m["unmatched"] == []
    assert client.get("/api/stats", params={"department": "scjg"}, headers=li).status_code == 403
    boss = login_token(client, "boss")
    scjg = client.get("/api/stats", params={"from": "2026-11-24", "to": "2026-11-24", "department": "scjg"},
                      headers=boss).json()
    assert scjg["conversations"] == 1 and scjg["tickets"]["complaint"] == 1
    assert client.get("/api/stats", headers={}).status_code == 401
    for bad in ({"from": "2026-13-01"}, {"from": "2026-11-25", "to": "2026-11-24"}, {"from": "2020-01-01", "to": "2026-01-01"}):
        r = client.get("/api/stats", params=bad, headers=boss)
        assert r.status_code == 422 and r.json()["detail"]


def test_ratings_export_csv(seeded, stats_settings):
    client, app = seeded
    nul = "\x00" if stats_settings.database_url.startswith("sqlite") else ""  # PostgreSQL refuses NUL itself
    with app.state.hall.sessions() as db:
        db.add(models.Rating(idempotency_key="evil", conversation_id="c8", level=2, matter=None, ticket=None,
                             channel="=HYPERLINK(\"x\")" + nul, created_at=at(17)))
        db.commit()
    r = client.get("/api/ratings.csv", params={"from": "2026-11-24", "to": "2026-11-24"}, headers=SERVICE)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    body = r.text.lstrip("\ufeff")
    lines = body.strip().splitlines()
    assert lines[0].startswith("评价时间,等级,评价,事项编码,事项名称,部门编码,部门,渠道")
    assert len(lines) == 5
    c5 = next(line for line in lines if "gongan.hukou_birth" in line)
    assert ",1,非常不满意," in c5 and "已按时回访" in c5 and "省公安厅" in c5
    c6 = next(line for line in lines if "14:00" in line)
    assert "无回访工单" in c6
    evil = lines[-1]
    assert "\x00" not in body and "'=HYPERLINK" in evil


def test_dashboard_draws_the_range_and_exports_csv(seeded, make_user):
    from tests.hall.test_console import console_login

    client, _ = seeded
    make_user("boss", "supervisor", None)
    assert console_login(client, "boss").status_code == 303
    page = client.get("/console/dashboard", params={"from": "2026-11-23", "to": "2026-11-25"})
    assert page.status_code == 200
    assert page.text.count('<svg class="chart"') == 6 and 'id="fig-conversations">8<' in page.text
    assert "2026-11-24：7" in page.text  # the bar's tooltip
    csv_ = client.get("/console/stats.csv", params={"from": "2026-11-24", "to": "2026-11-24"}).text
    assert "2026-11-24,7,2,1,4,2,3,3" in csv_
    bad = client.get("/console/dashboard", params={"from": "nonsense"})
    assert bad.status_code == 200 and "日期格式应为" in bad.text
