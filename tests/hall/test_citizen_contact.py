"""A call-back phone the citizen gives after their ticket was filed (a 差评 is filed at once)."""

from __future__ import annotations

from sqlalchemy import select

from bot.hall import models
from tests.hall.conftest import SERVICE, ticket_body


def _feedback(client, conversation="conv-fb"):
    body = ticket_body(kind="feedback", department="zwfw", matter=None, conversation_id=conversation,
                       contact_phone=None, region=None, rating=2, reason="回答太笼统")
    r = client.post("/api/tickets", json=body, headers=SERVICE)
    assert r.status_code == 201, r.text
    return r.json()["number"]


def test_the_conversation_that_filed_a_ticket_adds_its_phone_and_place(client, app):
    number = _feedback(client)
    r = client.post(f"/api/tickets/{number}/contact", headers=SERVICE,
                    json={"conversation_id": "conv-fb", "contact_phone": "139 5826 0147", "region": "宁波市江北区"})
    assert r.status_code == 200, r.text
    t = r.json()
    assert t["contact_phone_masked"] == "139****0147" and t["region"] == "宁波市江北区"
    assert "13958260147" not in r.text
    again = client.post(f"/api/tickets/{number}/contact", headers=SERVICE,
                        json={"conversation_id": "conv-fb", "contact_phone": "13958260147"})
    assert again.status_code == 200
    with app.state.hall.sessions() as s:
        entries = [a for a in s.execute(select(models.AuditEntry)).scalars() if a.action == "citizen_contact"]
    assert len(entries) == 1 and entries[0].target == number  # the same phone again changes nothing


def test_another_conversation_or_bad_input_is_refused_with_a_reason(client):
    number = _feedback(client)
    other = client.post(f"/api/tickets/{number}/contact", headers=SERVICE,
                        json={"conversation_id": "someone-else", "contact_phone": "13958260147"})
    assert other.status_code == 404 and "工单" in other.json()["detail"]
    assert client.post("/api/tickets/ZJ20990101-AAAAAA/contact", headers=SERVICE,
                       json={"conversation_id": "conv-fb", "contact_phone": "13958260147"}).status_code == 404
    bad = client.post(f"/api/tickets/{number}/contact", headers=SERVICE,
                      json={"conversation_id": "conv-fb", "contact_phone": "<script>"})
    assert bad.status_code == 422
    assert client.post(f"/api/tickets/{number}/contact",
                       json={"conversation_id": "conv-fb", "contact_phone": "13958260147"}).status_code == 401


def test_consent_to_read_the_conversation_given_after_filing(client, app):
    # A guidance ticket is filed at the phone; "may staff read this conversation?" comes after.
    body = ticket_body(conversation_id="conv-consent", consent=False)
    r = client.post("/api/tickets", json=body, headers=SERVICE)
    assert r.status_code == 201, r.text
    number = r.json()["number"]
    assert r.json()["consent"] is False
    for answer in (True, True, False):
        r = client.post(f"/api/tickets/{number}/contact", headers=SERVICE,
                        json={"conversation_id": "conv-consent", "consent": answer})
        assert r.status_code == 200 and r.json()["consent"] is answer
    assert client.post(f"/api/tickets/{number}/contact", headers=SERVICE,
                       json={"conversation_id": "someone-else", "consent": True}).status_code == 404
    assert client.post(f"/api/tickets/{number}/contact", headers=SERVICE,
                       json={"conversation_id": "conv-consent", "consent": "maybe"}).status_code == 422
    with app.state.hall.sessions() as s:
        told = [a.detail for a in s.execute(select(models.AuditEntry)).scalars()
                if a.action == "citizen_contact" and a.target == number]
    assert told == ["群众补充了同意查看对话记录", "群众补充了不同意查看对话记录"]  # the repeat changed nothing


def test_more_of_the_story_after_filing_is_added_once(client):
    r = client.post("/api/tickets", json=ticket_body(conversation_id="conv-note"), headers=SERVICE)
    number = r.json()["number"]
    for _ in range(2):  # a retried request adds it once
        r = client.post(f"/api/tickets/{number}/contact", headers=SERVICE,
                        json={"conversation_id": "conv-note", "note": "等下地点说错了 是在杭州东站上的车"})
        assert r.status_code == 200, r.text
    assert r.json()["description"].count("杭州东站") == 1 and "【群众补充】" in r.json()["description"]
    assert client.post(f"/api/tickets/{number}/contact", headers=SERVICE,
                       json={"conversation_id": "conv-note", "note": "x" * 2001}).status_code == 422
