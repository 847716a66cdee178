"""The REST channel refuses bad bodies with a reason (unit), and still serves good ones (e2e)."""

from __future__ import annotations

import json

import httpx
import pytest

from bot.channels.rest import problem


@pytest.mark.parametrize(
    "body, status",
    [
        (b"", 400), (b"null", 400), (b"[]", 400), (b'"hi"', 400), (b"\xff\xfe", 400),
        (b'{"message": "hi"}', 400), (b'{"sender": 5, "message": "hi"}', 400),
        (b'{"sender": "a", "message": 5}', 400), (b'{"sender": "a", "message": "x", "metadata": []}', 400),
        (json.dumps({"sender": "a", "message": "x" * 70000}).encode(), 413),
        (b"[" * 5000 + b"]" * 5000, 400),
    ],
)
def test_bad_bodies_have_a_reason(body, status):
    found = problem(body)
    assert found and found[0] == status and found[1]


def test_good_body_passes():
    assert problem(json.dumps({"sender": "me", "message": "长" * 5000}).encode()) is None


@pytest.mark.e2e
def test_rest_webhook_answers_4xx_not_500(stack):
    url = f"{stack.rasa_url}/webhooks/rest/webhook"
    for body in (b"", b"null", b"[]", b"\xff", b'{"sender": 1, "message": "x"}'):
        reply = httpx.post(url, content=body, headers={"Content-Type": "application/json"}, timeout=30)
        assert reply.status_code == 400, body
        assert reply.json()["error"]
    assert httpx.post(url, json={"sender": "rest-ok", "message": "你好"}, timeout=30).json()
