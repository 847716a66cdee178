"""The staff console: login, CSRF, isolation, escaping, ticket actions through a Rasa stub."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bot.hall import models
from bot.hall.rasa_client import RasaClient
from tests.hall.conftest import PASSWORD, SERVICE, ticket_body
from tests.hall.rasa_stub import RasaStub

XSS = "<script>alert('x')</script>"


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def console_login(client, username: str, password: str = PASSWORD):
    page = client.get("/console/login")
    assert page.status_code == 200 and "工作人员登录" in page.text
    r = client.post("/console/login", data={"username": username, "password": password, "csrf": csrf_of(page.text)},
                    follow_redirects=False)
    return r


def new_ticket(client, **over) -> dict:
    r = client.post("/api/tickets", json=ticket_body(**over), headers=SERVICE)
    assert r.status_code == 201, r.text
    return r.json()


@pytest.fixture
def stub(app):
    events = [
        {"event": "user", "text": XSS, "timestamp": 1764000000.0},
        {"event": "bot", "text": "正在为您转人工", "timestamp": 1764000001.0},
        {"event": "slot", "name": "x", "value": 1},
    ]
    with RasaStub(events) as s:
        app.state.hall.rasa = RasaClient(s.url, "rasa-secret")
        yield s


def test_console_requires_login(client):
    r = client.get("/console", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/console/login"


def test_login_csrf_and_cookie_flags(client, make_user):
    make_user("li", "staff", "gongan")
    client.get("/console/login")
    r = client.post("/console/login", data={"username": "li", "password": PASSWORD, "csrf": "forged"},
                    follow_redirects=False)
    assert r.status_code == 403
    r = console_login(client, "li")
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    assert "hall_session=" in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    assert "工单队列" in client.get("/console").text


def test_console_login_rate_limited(client, make_user):
    make_user("li", "staff", "gongan")
    for _ in range(5):
        assert console_login(client, "li", "wrong").status_code == 401
    r = console_login(client, "li")
    assert r.status_code == 429 and "1分钟" in r.text


def test_queue_isolation_and_403(client, make_user):
    make_user("li", "staff", "gongan")
    mine = new_ticket(client, kind="guidance", department="gongan", matter="gongan.id_card_renew")
    theirs = new_ticket(client)
    console_login(client, "li")
    queue = client.get("/console").text
    assert mine["number"] in queue and theirs["number"] not in queue
    r = client.get(f"/console/tickets/{theirs['number']}")
    assert r.status_code == 403 and "其他部门" in r.text


def test_ticket_page_escapes_and_shows_rasa_error(client, make_user):
    make_user("boss", "supervisor", None)
    t = new_ticket(client, description=XSS)
    console_login(client, "boss")
    page = client.get(f"/console/tickets/{t['number']}").text  # no stub: Rasa unreachable
    assert XSS not in page and "&lt;script&gt;" in page
    assert "无法连接对话引擎" in page
    assert "138****5678" in page and "13812345678" not in page
    assert "消费者投诉" in page  # the matter's guide beside the transcript


def test_transcript_from_tracker_is_escaped(client, make_user, stub):
    make_user("boss", "supervisor", None)
    t = new_ticket(client, conversation_id="conv-xss")
    console_login(client, "boss")
    page = client.get(f"/console/tickets/{t['number']}").text
    assert "正在为您转人工" in page and XSS not in page and "&lt;script&gt;alert" in page
    call = stub.calls[0]
    assert call["path"] == "/conversations/conv-xss/tracker" and call["query"]["token"] == ["rasa-secret"]


def test_reply_release_resolve_reach_rasa(client, make_user, sessions, stub):
    make_user("li", "staff", "scjg")
    t = new_ticket(client, conversation_id="c-42")
    console_login(client, "li")
    page = client.get(f"/console/tickets/{t['number']}").text
    token = csrf_of(page)
    stub.calls.clear()

    r = client.post(f"/console/tickets/{t['number']}/reply", data={"text": "您好，已收到", "csrf": token})
    assert r.status_code == 200 and "回复已发送" in r.text
    events, execute = stub.calls[0], stub.calls[1]
    assert events["path"] == "/conversations/c-42/tracker/events"
    # Human mode: the bot pauses, and the relayed message says who answers (never the login "li").
    assert events["json"] == [{"event": "pause"}, {"event": "slot", "name": "staff_message", "value": "您好，已收到"},
                              {"event": "slot", "name": "staff_name", "value": "省市场监督管理局工作人员"},
                              {"event": "slot", "name": "staff_department", "value": "省市场监督管理局"}]
    assert execute["path"] == "/conversations/c-42/execute"
    assert execute["query"] == {"output_channel": ["latest"], "token": ["rasa-secret"]}
    assert execute["json"] == {"name": "action_relay_staff_message"}
    api = client.get(f"/api/tickets/{t['number']}", headers=SERVICE).json()
    assert api["status"] == "in_progress" and api["first_response_at"]

    stub.calls.clear()
    client.post(f"/console/tickets/{t['number']}/release", data={"csrf": token})
    listen = [{"event": "action", "name": "action_listen"}]
    assert [c["json"] for c in stub.calls if c["method"] == "POST"] == [
        [{"event": "resume"}], {"name": "action_handoff_released"}, listen]

    stub.calls.clear()
    r = client.post(f"/console/tickets/{t['number']}/resolve", data={"resolution": "已退款", "csrf": token})
    assert "已办结" in r.text
    assert [c["json"] for c in stub.calls if c["method"] == "POST"] == [
        [{"event": "resume"}, {"event": "slot", "name": "resolved_ticket", "value": t["number"]}],
        {"name": "action_ticket_resolved"}, listen]
    api = client.get(f"/api/tickets/{t['number']}", headers=SERVICE).json()
    assert api["status"] == "resolved" and api["resolution"] == "已退款" and api["resolved_at"]

    with sessions() as s:
        actions = [a for a in s.execute(select(models.AuditEntry.action)).scalars()]
    assert {"login", "view", "reply", "release", "resolve"} <= set(actions)


def test_reply_kept_when_rasa_down_and_retried(client, make_user, app):
    make_user("li", "staff", "scjg")
    t = new_ticket(client)
    console_login(client, "li")
    token = csrf_of(client.get(f"/console/tickets/{t['number']}").text)
    r = client.post(f"/console/tickets/{t['number']}/reply", data={"text": "请提供订单号", "csrf": token})
    assert "无法连接对话引擎" in r.text and "回复已保存" in r.text and "重新发送" in r.text
    assert "请提供订单号" in r.text
    assert client.get(f"/api/tickets/{t['number']}", headers=SERVICE).json()["first_response_at"] is None
    retry = re.search(r'action="(/console/tickets/[^"]+/retry/\d+)"', r.text).group(1)
    with RasaStub() as s:
        app.state.hall.rasa = RasaClient(s.url, "rasa-secret")
        r = client.post(retry, data={"csrf": token})
        assert "回复已发送" in r.text
        assert s.calls[0]["json"][1]["value"] == "请提供订单号"
    assert client.get(f"/api/tickets/{t['number']}", headers=SERVICE).json()["first_response_at"]


def test_csrf_rejected_on_actions(client, make_user, sessions):
    make_user("li", "staff", "scjg")
    t = new_ticket(client)
    console_login(client, "li")
    for action, data in (("reply", {"text": "x"}), ("resolve", {"resolution": "x"}),
                         ("transfer", {"department": "gongan", "reason": "x"}), ("reveal", {})):
        r = client.post(f"/console/tickets/{t['number']}/{action}", data={**data, "csrf": "forged"})
        assert r.status_code == 403, action
    assert client.get(f"/api/tickets/{t['number']}", headers=SERVICE).json()["status"] == "open"


def test_reveal_is_audited_and_transfer_moves_ticket(client, make_user, sessions):
    make_user("li", "staff", "scjg")
    t = new_ticket(client)
    console_login(client, "li")
    token = csrf_of(client.get(f"/console/tickets/{t['number']}").text)
    r = client.post(f"/console/tickets/{t['number']}/reveal", data={"csrf": token})
    assert r.json() == {"phone": "13812345678"}
    r = client.post(f"/console/tickets/{t['number']}/transfer",
                    data={"department": "gongan", "reason": "属于派出所职责", "csrf": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/console"
    assert client.get(f"/console/tickets/{t['number']}").status_code == 403
    with sessions() as s:
        entries = {a.action: a for a in s.execute(select(models.AuditEntry)).scalars()}
    assert entries["reveal"].target == t["number"] and "属于派出所职责" in entries["transfer"].detail


def test_dashboard_and_csv(client, make_user):
    make_user("boss", "supervisor", None)
    new_ticket(client)
    client.post("/api/ratings", json={"conversation_id": "c", "level": 1, "channel": "rest", "idempotency_key": "k"},
                headers=SERVICE)
    client.post("/api/unmatched", json={"conversation_id": "c", "text": "=HYPERLINK(\"x\")", "channel": "rest"},
                headers=SERVICE)
    console_login(client, "boss")
    page = client.get("/console/dashboard").text
    assert "省市场监督管理局" in page and "非常不满意" in page and "<svg" in page
    csv = client.get("/console/dashboard.csv")
    assert csv.headers["content-type"].startswith("text/csv")
    assert "工单,省市场监督管理局,投诉,1" in csv.text and "好差评,非常不满意,1,1" in csv.text
    assert "'=HYPERLINK" in csv.text


def test_admin_pages(client, admin_password):
    console_login(client, "admin", admin_password)
    page = client.get("/console/users").text
    r = client.post("/console/users", data={"username": "zhao", "role": "staff", "department": "gongan",
                                            "csrf": csrf_of(page)})
    assert "已创建用户 zhao" in r.text
    r = client.post("/console/users", data={"username": "zhao", "role": "staff", "department": "gongan",
                                            "csrf": csrf_of(page)})
    assert r.status_code == 422 and "已存在" in r.text
    audit = client.get("/console/audit").text
    assert "user_add" in audit and "login" in audit


def test_staff_cannot_manage_users(client, make_user):
    make_user("li", "staff", "gongan")
    console_login(client, "li")
    assert client.get("/console/users").status_code == 403
    assert client.get("/console/audit").status_code == 403


def test_numbers_citizens_typed_are_masked_until_revealed(client, make_user, sessions, app):
    make_user("zhao", "supervisor", None)
    typed = [{"event": "user", "text": "我电话13912345678，身份证330102199001011234", "timestamp": 1764000000.0}]
    with RasaStub(typed) as s:
        app.state.hall.rasa = RasaClient(s.url, "rasa-secret")
        t = new_ticket(client, description="请回电13912345678", conversation_id="conv-numbers")
        console_login(client, "zhao")
        page = client.get(f"/console/tickets/{t['number']}").text
        assert "13912345678" not in page and "330102199001011234" not in page
        assert "139****5678" in page and "330102********1234" in page
        shown = client.get(f"/console/tickets/{t['number']}?show_numbers=1").text
        assert "13912345678" in shown and "330102199001011234" in shown
    assert "13912345678" not in client.get("/api/tickets/" + t["number"], headers=SERVICE).text
    with sessions() as s:
        reveals = [a for a in s.execute(select(models.AuditEntry)).scalars() if a.action == "reveal"]
    assert reveals and reveals[0].target == t["number"]
