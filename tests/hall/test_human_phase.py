"""Issue #16, the server side of the human phase: consent with one meaning, the staff JSON API,
human mode, attachments, transfers, the readable transcript, handoff office hours and the queue.

The real hall (SQLite in tmp_path) with a loopback stand-in for Rasa's HTTP API that records what
the hall asks of it (tests/hall/rasa_stub.py)."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from PIL import Image
from sqlalchemy import select

from bot.hall import models, sla, ticket_service
from bot.hall import transcript as readable
from bot.hall.db import session_scope
from bot.hall.rasa_client import RasaClient
from bot.hall.users import add_user
from tests.hall.conftest import PASSWORD, SERVICE, login_token, ticket_body
from tests.hall.rasa_stub import RasaStub
from tests.hall.test_console import console_login, csrf_of

ASK_CONSENT = [{"title": "同意", "payload": "/affirm"}, {"title": "不同意", "payload": "/deny"}]
RATE = [{"title": "满意", "payload": '/rate{"rating": "4"}'}]
EVENTS = [
    {"event": "user", "text": "我要投诉商家不退款", "timestamp": 1764000000.0,
     "parse_data": {"intent": {"name": "complain"}}},
    {"event": "bot", "text": "消费者投诉：请说说经过", "timestamp": 1764000001.0,
     "data": {"custom": {"matter": "scjg.consumer_complaint", "aspect": "overview"}}},
    {"event": "bot", "text": "您同意工作人员查看本次对话记录吗？", "timestamp": 1764000002.0,
     "data": {"buttons": ASK_CONSENT}},
    {"event": "user", "text": "/affirm", "timestamp": 1764000003.0, "parse_data": {"intent": {"name": "affirm"}}},
    {"event": "user", "text": "退款要多久能到账", "timestamp": 1764000004.0,
     "parse_data": {"intent": {"name": "ask_aspect"}}},
    {"event": "bot", "text": "抱歉，我没听明白。", "timestamp": 1764000005.0},
    {"event": "pause", "timestamp": 1764000006.0},
    {"event": "bot", "text": "【省市场监督管理局 · 王科长】您好，我来处理", "timestamp": 1764000007.0,
     "data": {"custom": {"human": {"department_name": "省市场监督管理局", "staff_name": "王科长"}}},
     "metadata": {"utter_action": "utter_staff_message"}},
    {"event": "user", "text": "好的谢谢，电话13912345678", "timestamp": 1764000008.0},
    {"event": "resume", "timestamp": 1764000009.0},
    {"event": "bot", "text": "请评价", "timestamp": 1764000010.0, "data": {"buttons": RATE}},
    {"event": "user", "text": '/rate{"rating": "4"}', "timestamp": 1764000011.0},
    {"event": "user", "text": '/rate{"rating": "2"}', "timestamp": 1764000012.0},
    {"event": "slot", "name": "x", "value": 1},
]


@pytest.fixture
def stub(app):
    with RasaStub(EVENTS, channel="socketio") as s:
        app.state.hall.rasa = RasaClient(s.url, "rasa-secret")
        yield s


def new_ticket(client, **over) -> dict:
    r = client.post("/api/tickets", json=ticket_body(**over), headers=SERVICE)
    assert r.status_code == 201, r.text
    return r.json()


def staff(client, make_user, name="li", department="scjg") -> dict:
    make_user(name, "staff", department)
    return login_token(client, name)


def posts(stub):
    return [c["json"] for c in stub.calls if c["method"] == "POST"]


def audits(sessions, action):
    with sessions() as s:
        return [a for a in s.execute(select(models.AuditEntry)).scalars() if a.action == action]


# --- 1. consent: one meaning ---------------------------------------------------------------------

@pytest.mark.parametrize("consent", [True, False], ids=["consent", "declined"])
@pytest.mark.parametrize("phone", ["13812345678", None], ids=["phone", "no-phone"])
def test_consent_and_phone(client, make_user, sessions, stub, consent, phone):
    """Consent covers reading the conversation; a phone left for a call back is always usable
    (audited); the ticket never says "群众未同意回访"."""
    auth = staff(client, make_user)
    t = new_ticket(client, consent=consent, contact_phone=phone, conversation_id="c-consent",
                   description="商家不退款，订单号A1")
    number = t["number"]

    api = client.get(f"/api/tickets/{number}/transcript", headers=auth)
    console_login(client, "li")
    page = client.get(f"/console/tickets/{number}").text
    assert "群众未同意回访" not in page
    assert "商家不退款" in page and "杭州市西湖区" in page  # what the citizen wrote for the ticket
    if consent:
        assert api.status_code == 200
        assert any(i["text"] == "我要投诉商家不退款" for i in api.json()["items"])
        assert 'id="transcript"' in page and "我要投诉商家不退款" in page
    else:
        assert api.status_code == 403 and "未同意" in api.json()["detail"]
        assert "我要投诉商家不退款" not in page and 'id="no-consent"' in page
        assert "我要投诉商家不退款" not in client.get(f"/api/tickets/{number}/summary", headers=auth).text
        # the live stream of the conversation is closed too
        assert client.get(f"/console/tickets/{number}/events").status_code == 403
        assert not [c for c in stub.calls if c["path"].endswith("/tracker")]  # never even read

    revealed = client.post(f"/api/tickets/{number}/reveal", headers=auth)
    assert revealed.status_code == 200 and revealed.json() == {"phone": phone or ""}
    if phone:
        assert 'id="reveal"' in page and "138****5678" in page
    assert [a.target for a in audits(sessions, "reveal")] == [number]


# --- 2. human mode and the staff API ----------------------------------------------------------

def test_reply_starts_human_mode_with_display_name_and_release_ends_it(client, sessions, stub):
    with session_scope(sessions) as s:
        add_user(s, "wang_login", "staff", "scjg", PASSWORD, display_name="王科长")
    auth = login_token(client, "wang_login")
    t = new_ticket(client, conversation_id="c-human")
    stub.calls.clear()
    r = client.post(f"/api/tickets/{t['number']}/reply", json={"text": "您好，我来处理"}, headers=auth)
    assert r.status_code == 201 and r.json()["status"] == "sent" and r.json()["author"] == "王科长"
    assert posts(stub)[0] == [
        {"event": "pause"}, {"event": "slot", "name": "staff_message", "value": "您好，我来处理"},
        {"event": "slot", "name": "staff_name", "value": "王科长"},
        {"event": "slot", "name": "staff_department", "value": "省市场监督管理局"}]
    assert posts(stub)[1] == {"name": "action_relay_staff_message"}
    assert "wang_login" not in json.dumps(posts(stub), ensure_ascii=False)  # never the login name
    shown = client.get(f"/api/tickets/{t['number']}", headers=auth).json()
    assert shown["human_by"] == "王科长" and shown["status"] == "in_progress"

    stub.calls.clear()
    r = client.post(f"/api/tickets/{t['number']}/release", headers=auth)
    assert r.status_code == 200 and r.json()["ticket"]["human_by"] is None
    assert posts(stub)[:2] == [[{"event": "resume"}], {"name": "action_handoff_released"}]


def test_citizen_ends_human_mode_through_the_service_api(client, make_user, stub):
    auth = staff(client, make_user)
    t = new_ticket(client, conversation_id="c-end")
    client.post(f"/api/tickets/{t['number']}/reply", json={"text": "在的"}, headers=auth)
    assert client.post("/api/conversations/c-end/human/release", headers=auth).status_code == 403  # bot only
    r = client.post("/api/conversations/c-end/human/release", headers=SERVICE)
    assert r.json() == {"tickets": [t["number"]]}
    assert client.get(f"/api/tickets/{t['number']}", headers=auth).json()["human_by"] is None


def test_staff_api_isolation_and_bad_input(client, make_user, stub):
    mine = staff(client, make_user, "li", "scjg")
    theirs = staff(client, make_user, "zhao", "gongan")
    t = new_ticket(client)
    n = t["number"]
    for method, path, body in [("get", "transcript", None), ("post", "reply", {"text": "x"}),
                               ("post", "release", None), ("post", "resolve", {"resolution": "x"}),
                               ("post", "transfer", {"department": "zwfw", "reason": "x"}),
                               ("post", "reveal", None), ("get", "attachments", None)]:
        r = getattr(client, method)(f"/api/tickets/{n}/{path}", headers=theirs, **({"json": body} if body else {}))
        assert r.status_code == 403 and "其他部门" in r.json()["detail"], path
    assert client.get(f"/api/tickets/{n}/transcript", headers=SERVICE).status_code == 403  # not staff
    assert client.get(f"/api/tickets/{n}/transcript").status_code == 401
    assert client.get("/api/tickets/ZJ20990101-0001/transcript", headers=mine).status_code == 404
    assert client.post(f"/api/tickets/{n}/reply", json={"text": ""}, headers=mine).status_code == 422
    assert client.post(f"/api/tickets/{n}/transfer", json={"department": "nope", "reason": "x"},
                       headers=mine).status_code == 422
    r = client.post(f"/api/tickets/{n}/resolve", json={"resolution": "已退款"}, headers=mine)
    assert r.status_code == 200 and r.json()["ticket"]["status"] == "resolved"
    assert client.post(f"/api/tickets/{n}/resolve", json={"resolution": "再次"}, headers=mine).status_code == 409


def test_openapi_documents_the_staff_api(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("transcript", "reply", "release", "transfer", "resolve", "reveal", "attachments",
                 "attachments/{attachment_id}", "summary"):
        assert f"/api/tickets/{{number}}/{path}" in paths, path
    assert "/widget/attachments" in paths


# --- 3. transfers ------------------------------------------------------------------------------

@pytest.mark.parametrize("created, transferred, due_before, due_after", [
    # A working morning: scjg's matter promises 24 working hours (Tue 10:00 -> Fri 10:00);
    # transferred on Wed, gongan's complaint rule counts 3 working days from then (Thu, Fri, Mon).
    (dt.datetime(2025, 11, 25, 10, 0, tzinfo=sla.TZ), dt.datetime(2025, 11, 26, 10, 30, tzinfo=sla.TZ),
     "2025-11-28T10:00:00+08:00", "2025-12-01T17:00:00+08:00"),
    # After 17:00 (and on a day off) the 24 hours start at the next 9:00 and end at the same
    # 17:00 as 3 working days: equal due times are right then, not a transfer that kept the old one.
    (dt.datetime(2025, 11, 25, 17, 9, tzinfo=sla.TZ), dt.datetime(2025, 11, 25, 17, 20, tzinfo=sla.TZ),
     "2025-11-28T17:00:00+08:00", "2025-11-28T17:00:00+08:00"),
], ids=["working-morning", "after-17h"])
def test_transfer_moves_matter_sla_and_tells_the_citizen(client, make_user, sessions, stub, hall_clock,
                                                         created, transferred, due_before, due_after):
    auth = staff(client, make_user)
    hall_clock.set(created)  # due times are computed from "now": pinned, whatever hour CI runs at
    t = new_ticket(client, kind="complaint", matter="scjg.consumer_complaint", conversation_id="c-tr")
    assert t["promised_response"].startswith("3个工作日内电话联系")  # the matter's own promise
    assert t["due_at"] == due_before
    stub.calls.clear()
    hall_clock.set(transferred)
    r = client.post(f"/api/tickets/{t['number']}/transfer", json={"department": "gongan", "reason": "属派出所职责"},
                    headers=auth)
    assert r.status_code == 200, r.text
    moved = r.json()["ticket"]
    assert moved["department"] == "gongan" and moved["matter"] is None  # scjg's matter does not follow
    assert moved["promised_response"] == "3个工作日内联系您并告知处理情况"  # gongan's, for a complaint
    assert moved["due_at"] == due_after  # recomputed from the transfer, by gongan's rule
    assert posts(stub) == [[{"event": "slot", "name": "transferred_ticket", "value": t["number"]}],
                           {"name": "action_ticket_transferred"}, [{"event": "action", "name": "action_listen"}]]
    assert client.get(f"/api/tickets/{t['number']}/transcript", headers=auth).status_code == 403  # gone


def test_console_transfer_form_has_no_preselected_department(client, make_user, stub):
    make_user("li", "staff", "scjg")
    t = new_ticket(client)
    console_login(client, "li")
    page = client.get(f"/console/tickets/{t['number']}").text
    select_html = page[page.index('<select name="department"'):page.index("</select>", page.index('<select name="department"'))]
    assert '<option value="" selected disabled>' in select_html and select_html.count("selected") == 1
    r = client.post(f"/console/tickets/{t['number']}/transfer", data={"department": "", "reason": "x",
                                                                     "csrf": csrf_of(page)})
    assert "请选择转办的部门" in r.text


# --- 4. readable transcript ---------------------------------------------------------------------

def test_transcript_is_readable(client, make_user, stub):
    auth = staff(client, make_user)
    t = new_ticket(client, conversation_id="c-read")
    items = client.get(f"/api/tickets/{t['number']}/transcript", headers=auth).json()["items"]
    texts = [(i["role"], i["author"], i["text"]) for i in items]
    assert ("citizen", "群众", "同意") in texts  # the button's title, not /affirm
    assert ("citizen", "群众", "满意") in texts and ("citizen", "群众", "不满意") in texts
    assert ("staff", "王科长（省市场监督管理局）", "您好，我来处理") in texts  # once, by name
    assert sum(1 for i in items if "我来处理" in i["text"]) == 1
    assert not any(i["text"].startswith("/") for i in items)
    assert [i["role"] for i in items].count("system") == 2
    assert ("citizen", "群众", "好的谢谢，电话139****5678") in texts  # masked unless asked
    assert all(set(i) == {"at", "role", "author", "text", "attachments"} for i in items)
    assert items[0]["at"].startswith("2025-11-25T") and items[0]["at"].endswith("+08:00")


def test_summary_on_top_of_the_ticket(client, make_user, stub):
    auth = staff(client, make_user)
    t = new_ticket(client, conversation_id="c-sum", matter=None)
    summary = client.get(f"/api/tickets/{t['number']}/summary", headers=auth).json()
    assert summary["matter"] == "消费者投诉"
    assert summary["answered"] == ["消费者投诉：总览"]
    assert "退款要多久能到账" in summary["asks"]
    console_login(client, "li")
    page = client.get(f"/console/tickets/{t['number']}").text
    assert 'id="summary"' in page and "退款要多久能到账" in page


def test_channel_names_in_the_console(client, make_user, stub):
    make_user("li", "staff", "scjg")
    t = new_ticket(client, channel="socketio")
    console_login(client, "li")
    page = client.get(f"/console/tickets/{t['number']}").text
    assert "<dd>网页</dd>" in page and "socketio" not in page


# --- 5. attachments -----------------------------------------------------------------------------

def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (40, 30), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (30.0, 15.0, 0.0), 3: "E", 4: (120.0, 10.0, 0.0)}  # GPS
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    data = out.getvalue()
    assert b"PhoneMaker" in data
    return data


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (8, 8), (0, 0, 255, 128)).save(out, format="PNG")
    return out.getvalue()


def test_staff_attachments_types_sizes_and_headers(client, make_user, sessions, stub):
    auth = staff(client, make_user)
    other = staff(client, make_user, "zhao", "gongan")
    t = new_ticket(client)
    second = new_ticket(client)
    url = f"/api/tickets/{t['number']}/attachments"
    r = client.post(url, files={"file": ("虾苗 照片.JPG", jpeg_with_gps(), "image/jpeg")}, headers=auth)
    assert r.status_code == 201, r.text
    photo = r.json()
    assert photo["content_type"] == "image/jpeg" and photo["name"] == "虾苗 照片.jpg"
    r = client.post(url, files={"file": ("a.png", png(), "image/png")}, headers=auth)
    assert r.status_code == 201
    r = client.post(url, files={"file": ("说明.pdf", b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\n%%EOF", "application/pdf")},
                    headers=auth)
    assert r.status_code == 201 and r.json()["content_type"] == "application/pdf"

    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'
    for name, data in [("x.png", svg), ("y.png", b"<html><script>alert(1)</script></html>"),
                       ("z.jpg", b"\xff\xd8\xff\xe0 not really a jpeg")]:
        r = client.post(url, files={"file": (name, data, "image/png")}, headers=auth)
        assert r.status_code == 415 and "JPEG" in r.json()["detail"] or "损坏" in r.json()["detail"], name
    r = client.post(url, files={"file": ("big.jpg", b"\xff\xd8\xff" + b"0" * (20 * 1024 * 1024), "image/jpeg")},
                    headers=auth)
    assert r.status_code == 413 and "10MB" in r.json()["detail"]
    r = client.post(url, files={"file": ("edge.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024), "application/pdf")},
                    headers=auth)
    assert r.status_code == 413

    listed = client.get(url, headers=auth).json()["items"]
    assert [a["name"] for a in listed] == ["虾苗 照片.jpg", "a.png", "说明.pdf"]
    got = client.get(f"{url}/{photo['id']}", headers=auth)
    assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg"
    assert got.headers["content-disposition"].startswith("attachment;")
    assert got.headers["x-content-type-options"] == "nosniff"
    assert b"PhoneMaker" not in got.content and not Image.open(io.BytesIO(got.content)).getexif()  # EXIF gone
    assert client.get(f"/api/tickets/{second['number']}/attachments/{photo['id']}", headers=auth).status_code == 404
    assert client.get(f"{url}/{photo['id']}", headers=other).status_code == 403
    assert client.post(url, files={"file": ("a.png", png(), "image/png")}, headers=other).status_code == 403
    console_login(client, "li")
    page = client.get(f"/console/tickets/{t['number']}").text
    assert "虾苗 照片.jpg" in page
    assert client.get(f"/console/tickets/{t['number']}/attachments/{photo['id']}").headers[
        "x-content-type-options"] == "nosniff"
    assert len(audits(sessions, "attachment_download")) == 2


def test_widget_upload_goes_only_into_its_own_open_ticket(client, make_user, stub):
    auth = staff(client, make_user)
    session = "widgetsession01"
    r = client.post("/widget/attachments", data={"session": session}, files={"file": ("a.png", png(), "image/png")})
    assert r.status_code == 409 and "没有正在处理的工单" in r.json()["detail"]
    assert r.headers["access-control-allow-origin"] == "*"
    t = new_ticket(client, conversation_id=session)
    new_ticket(client, conversation_id="someone-else")
    r = client.post("/widget/attachments", data={"session": session},
                    files={"file": ("病虾.jpg", jpeg_with_gps(), "image/jpeg")})
    assert r.status_code == 201, r.text
    body = r.json()
    assert set(body) == {"id", "name", "content_type", "size"} and body["name"] == "病虾.jpg"
    items = client.get(f"/api/tickets/{t['number']}/attachments", headers=auth).json()["items"]
    assert [a["id"] for a in items] == [body["id"]]
    transcript = client.get(f"/api/tickets/{t['number']}/transcript", headers=auth).json()["items"]
    assert any(i["attachments"] and i["role"] == "citizen" for i in transcript)

    bad = client.post("/widget/attachments", data={"session": session},
                      files={"file": ("x.png", b"<svg onload=alert(1)></svg>", "image/png")})
    assert bad.status_code == 415 and "detail" in bad.json()
    big = client.post("/widget/attachments", data={"session": session},
                      files={"file": ("x.jpg", b"\xff\xd8\xff" + b"0" * (11 * 1024 * 1024), "image/jpeg")})
    assert big.status_code == 413 and big.headers.get("access-control-allow-origin") == "*"
    assert client.post("/widget/attachments", data={"session": "../x"},
                       files={"file": ("a.png", png(), "image/png")}).status_code == 400
    client.post(f"/api/tickets/{t['number']}/resolve", json={"resolution": "已指导"}, headers=auth)
    r = client.post("/widget/attachments", data={"session": session}, files={"file": ("a.png", png(), "image/png")})
    assert r.status_code == 409


def test_widget_upload_refused_for_a_conversation_of_another_channel(client, app):
    with RasaStub([], channel="rest") as s:
        app.state.hall.rasa = RasaClient(s.url, "rasa-secret")
        new_ticket(client, conversation_id="restconversation")
        r = client.post("/widget/attachments", data={"session": "restconversation"},
                        files={"file": ("a.png", png(), "image/png")})
        assert r.status_code == 409


def test_wechat_image_kept_as_its_url_when_no_media_could_be_fetched(client, make_user, stub):
    auth = staff(client, make_user)
    t = new_ticket(client, conversation_id="wx-openid-1", channel="wechat")
    r = client.post("/api/conversations/wx-openid-1/attachments", json={"source_url": "http://mmbiz.qpic.cn/x"},
                    headers=SERVICE)
    assert r.status_code == 201 and r.json()["size"] == 0
    r = client.post("/api/conversations/wx-openid-1/attachments", files={"file": ("a.png", png(), "image/png")},
                    headers=SERVICE)
    assert r.status_code == 201 and r.json()["size"] > 0
    assert len(client.get(f"/api/tickets/{t['number']}/attachments", headers=auth).json()["items"]) == 2
    assert client.post("/api/conversations/nobody/attachments", json={"source_url": "http://x"},
                       headers=SERVICE).status_code == 409


# --- 6. handoff that informs ----------------------------------------------------------------------

def test_office_hours_from_the_working_day_calendar():
    config = sla.load_config()
    tz = sla.TZ
    sunday_night = dt.datetime(2025, 11, 23, 23, 0, tzinfo=tz)
    hours = sla.office_hours(sunday_night, config)
    assert not hours.open and hours.back_at == dt.datetime(2025, 11, 24, 9, 0, tzinfo=tz)
    assert sla.when_text(hours.back_at, sunday_night) == "明天9:00"
    assert sla.office_hours(dt.datetime(2025, 11, 24, 10, 30, tzinfo=tz), config).open
    early = sla.office_hours(dt.datetime(2025, 11, 24, 7, 0, tzinfo=tz), config)
    assert not early.open and sla.when_text(early.back_at, dt.datetime(2025, 11, 24, 7, 0, tzinfo=tz)) == "今天9:00"
    # 国庆 (holiday from the calendar, not a weekday rule): back after the holiday
    national_day = sla.office_hours(dt.datetime(2025, 10, 2, 10, 0, tzinfo=tz), config)
    assert not national_day.open and national_day.back_at.date() == dt.date(2025, 10, 9)


@pytest.mark.parametrize("now, office_open, back_at, back_text", [
    (dt.datetime(2025, 11, 25, 10, 0, tzinfo=sla.TZ), True, "2025-11-25T10:00:00+08:00", "今天10:00"),
    (dt.datetime(2025, 11, 23, 23, 0, tzinfo=sla.TZ), False, "2025-11-24T09:00:00+08:00", "明天9:00"),  # Sunday night
], ids=["office-open", "sunday-night"])
def test_handoff_ticket_says_place_in_queue_and_wait(client, hall_clock, now, office_open, back_at, back_text):
    hall_clock.set(now)  # office hours are those of "now": pinned, not the hour the test runs
    first = new_ticket(client, kind="handoff", department="gongan", matter=None, conversation_id="h1")
    second = new_ticket(client, kind="handoff", department="gongan", matter=None, conversation_id="h2")
    other = new_ticket(client, kind="handoff", department="scjg", matter=None, conversation_id="h3")
    assert (first["queue_position"], second["queue_position"], other["queue_position"]) == (1, 2, 1)
    assert second["expected_wait_minutes"] > first["expected_wait_minutes"] > 0
    assert (first["office_open"], first["back_at"], first["back_text"]) == (office_open, back_at, back_text)
    assert new_ticket(client)["queue_position"] is None  # only handoffs queue


# --- 7. console: live queue, SLA marks, rating and 追评 ------------------------------------------

def test_queue_marks_tickets_near_or_past_their_sla(client, make_user, sessions):
    make_user("li", "staff", "scjg")
    late, near, fine = new_ticket(client), new_ticket(client), new_ticket(client)
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    with session_scope(sessions) as s:
        for number, due in ((late["number"], now - dt.timedelta(hours=1)), (near["number"], now + dt.timedelta(minutes=30)),
                            (fine["number"], now + dt.timedelta(days=2))):
            s.execute(select(models.Ticket).where(models.Ticket.number == number)).scalar_one().due_at = due
    console_login(client, "li")
    page = client.get("/console").text
    row = lambda n: page[page.index(f'data-number="{n}"') - 40:page.index(f'data-number="{n}"')]  # noqa: E731
    assert 'class="overdue"' in row(late["number"]) and 'class="near"' in row(near["number"])
    assert 'class=""' in row(fine["number"]) and "已超时" in page and "即将超时" in page
    assert "/static/queue.js" in page and 'id="queue-alert"' in page


def test_queue_stream_announces_new_tickets(client, make_user):
    make_user("li", "staff", "scjg")
    before = new_ticket(client)
    console_login(client, "li")
    r = client.get("/console/queue/events?after=0&once=1")
    assert r.headers["content-type"].startswith("text/event-stream")
    lines = r.text.splitlines()
    first = [json.loads(l[5:]) for l in lines if l.startswith("data:")]
    assert first[0]["type"] == "new" and first[0]["number"] == before["number"]
    assert first[0]["kind_name"] == "投诉" and first[-1]["type"] == "sla"
    after = client.get(f"/console/queue/events?after={10**6}&once=1").text  # nothing newer: no alert
    assert '"new"' not in after


def test_ticket_page_shows_rating_and_follow_up_rating(client, make_user, stub):
    make_user("li", "staff", "scjg")
    t = new_ticket(client)
    for key, level in (("r1", 2), ("r2", 5)):
        r = client.post("/api/ratings", json={"conversation_id": "conv-1", "level": level, "channel": "rest",
                                              "idempotency_key": key, "ticket": t["number"]}, headers=SERVICE)
        assert r.status_code in (200, 201), r.text
    console_login(client, "li")
    page = client.get(f"/console/tickets/{t['number']}").text
    assert "<dt>评价</dt>" in page and "不满意" in page
    assert "<dt>追评</dt>" in page and "非常满意" in page
