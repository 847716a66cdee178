"""Issue 19, hall side of the chat abuse findings, as an attacker sends them: ticket numbers that
reveal the day's volume, and a rating repeated with fresh idempotency keys."""

from __future__ import annotations

import re

from tests.hall.conftest import SERVICE, ticket_body

from actions.tickets import ticket_number
from bot.hall.tickets import NUMBER_ALPHABET

NEW = re.compile(rf"^ZJ\d{{8}}-[{NUMBER_ALPHABET}]{{6}}$")


def test_ticket_numbers_do_not_count_the_day(client):
    numbers = [client.post("/api/tickets", json=ticket_body(conversation_id=f"scan-{i}"), headers=SERVICE)
               .json()["number"] for i in range(12)]
    assert all(NEW.match(n) for n in numbers), numbers
    assert len(set(numbers)) == len(numbers)
    suffixes = [n.split("-")[1] for n in numbers]
    # The attacker's scan: next number = last + 1. Nothing is sequential, nothing is 0001.
    assert not any(s.isdigit() for s in suffixes), suffixes
    assert sorted(suffixes) != suffixes or len(set(s[0] for s in suffixes)) > 1
    assert not set("0O1IL2Z5S8B") & set("".join(suffixes))  # nothing a citizen misreads


def test_the_bot_reads_new_and_old_numbers():
    assert ticket_number("查一下 ZJ20270105-K7QM3X 进度") == "ZJ20270105-K7QM3X"
    assert ticket_number("工单号 20270105 k7qm3x") == "ZJ20270105-K7QM3X"
    assert ticket_number("ZJ20261203-0001") == "ZJ20261203-0001"      # numbers issued before
    assert ticket_number("202612030001") == "ZJ20261203-0001"
    assert ticket_number("20261203 hello1") is None
    assert ticket_number("ZJ20270105-K7QM3XY") is None                  # not a prefix of something longer


def test_one_rating_per_served_conversation(client):
    body = {"conversation_id": "rater", "level": 1, "matter": "scjg.consumer_complaint", "ticket": None,
            "channel": "rest", "idempotency_key": "first"}
    assert client.post("/api/ratings", json=body, headers=SERVICE).status_code == 201
    # The same request retried: the same rating, not a conflict.
    assert client.post("/api/ratings", json=body, headers=SERVICE).status_code == 200
    # `/rate{"rating":"1"}` typed again and again: every new key is refused with 409, not a 500.
    for i in range(5):
        again = client.post("/api/ratings", json={**body, "idempotency_key": f"again-{i}"}, headers=SERVICE)
        assert again.status_code == 409, again.text
        assert "评价" in again.json()["detail"]
    # Another served matter of the same conversation, or a rated ticket, may still be rated once.
    # A ticket: its rating and one 追评 (after a 差评's follow-up), then no more.
    other = {**body, "matter": None, "ticket": "ZJ20270105-K7QM3X", "idempotency_key": "ticket"}
    assert client.post("/api/ratings", json=other, headers=SERVICE).status_code == 201
    assert client.post("/api/ratings", json={**other, "idempotency_key": "ticket-2"}, headers=SERVICE).status_code == 201
    for i in range(3):
        assert client.post("/api/ratings", json={**other, "idempotency_key": f"t-{i}"}, headers=SERVICE).status_code == 409
