"""Faults: the action server killed, the hall down for 30 s, the database restarted (SQLite and,
when reachable, PostgreSQL), a full disk. After each: the conversation goes on, and no ticket is
lost or doubled."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import threading
import time
import uuid
from typing import Any, Dict, List

import httpx
import pytest

pytestmark = pytest.mark.e2e

SHRIMP = ["我家虾苗这几天死了好多", "南美白对虾，放苗半个月，这两天每天死几百尾，水有点发红", "宁波象山", "13812345678"]
OUTAGE: Dict[str, List[Dict[str, Any]]] = {}  # what the citizen got while the action server was down
LEAKS = ("Traceback", "Exception", "Error", "aiohttp", "webhook")


def sender(tag: str) -> str:
    return f"rel-{tag}-" + uuid.uuid4().hex[:8]


def texts(messages: List[Dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def ticket_of(messages: List[Dict[str, Any]]) -> str:
    return next(m["custom"]["ticket"] for m in messages if (m.get("custom") or {}).get("ticket"))


def no_leak(messages: List[Dict[str, Any]]) -> None:
    blob = json.dumps(messages, ensure_ascii=False)
    assert not any(word in blob for word in LEAKS), blob[:500]


def all_tickets(stack) -> List[Dict[str, Any]]:
    response = httpx.get(f"{stack.hall_url}/api/tickets", params={"limit": 1000},
                         headers=stack.service_headers, timeout=15)
    response.raise_for_status()
    return response.json()["items"]


def test_action_server_killed_and_restarted_mid_conversation(healthy):
    stack = healthy
    me = sender("kill")
    for text in SHRIMP[:2]:
        stack.say(me, text)
    actions = stack.procs["actions"]
    actions.kill(signal.SIGKILL)
    during = stack.say(me, SHRIMP[2])
    OUTAGE["place"] = during
    no_leak(during)
    assert stack.user_texts(me).count(SHRIMP[2]) == 1  # never lost: it is in the tracker

    actions.start().wait_ready()
    # The form is where it was: the place again, then the phone, and the ticket.
    asked = stack.say(me, SHRIMP[2])
    assert "请留一个能联系到您的电话" in texts(asked), texts(asked)
    # The ticket requested right as the action server dies: the hall commits it, the proxy holds
    # the answer, the action server is SIGKILLed, Rasa never hears of the ticket.
    stack.proxy.committed.clear()
    stack.proxy.release.clear()
    stack.proxy.hold = True
    result: Dict[str, Any] = {}
    asker = threading.Thread(target=lambda: result.setdefault("r", stack.say(me, SHRIMP[3])))
    asker.start()
    assert stack.proxy.committed.wait(30), "the ticket request never reached the hall"
    actions.kill(signal.SIGKILL)
    stack.proxy.release.set()
    asker.join(60)
    stack.proxy.hold = False
    OUTAGE["ticket"] = result.get("r", [])
    no_leak(OUTAGE["ticket"])
    stored = stack.tickets(me)
    assert len(stored) == 1  # the hall has it even though the citizen was not told

    actions.start().wait_ready()
    # "提交" (what the bot's apology asks for) submits the same form again: the same ticket.
    again = stack.say(me, "提交")
    assert ticket_of(again) == stored[0]["number"]
    assert [t["number"] for t in stack.tickets(me)] == [stored[0]["number"]]
    # The context survived: the status query finds the ticket, the matter is still known.
    status = stack.say(me, "我的工单怎么样了")
    assert stored[0]["number"] in texts(status)
    user = stack.user_texts(me)
    assert user.count(SHRIMP[3]) == 1 and user.count("提交") == 1


def test_citizen_gets_an_apology_while_the_action_server_is_down():
    # Rasa 3.6 alone answers [] (bot/rasa/action_outage.py answers with the hotline instead).
    if not OUTAGE:
        pytest.skip("needs test_action_server_killed_and_restarted_mid_conversation")
    assert all(messages and "12345" in texts(messages) for messages in OUTAGE.values()), OUTAGE


def test_hall_down_for_30_seconds(healthy):
    stack = healthy
    me = sender("hall")
    for text in SHRIMP[:3]:
        stack.say(me, text)
    before = len(all_tickets(stack))
    hall = stack.procs["hall"]
    hall.kill(signal.SIGTERM)
    down_at = time.monotonic()
    replies = [stack.say(me, SHRIMP[3])]  # the phone: the form is complete, the ticket due
    assert "12345" in texts(replies[0]) and "提交" in texts(replies[0])
    # Keep talking for 30 s: every answer that needs the hall is an apology with the hotline.
    talk = ["办身份证换领要带什么", "提交", "我的工单怎么样了", "公积金能拿来交房租吗"]
    for i in range(12):
        if time.monotonic() - down_at >= 30:
            break
        replies.append(stack.say(me, talk[i % len(talk)], timeout=30))
        assert "12345" in texts(replies[-1]), texts(replies[-1])
        no_leak(replies[-1])
        time.sleep(max(0.0, min(3.0, 30 - (time.monotonic() - down_at))))
    time.sleep(max(0.0, 30 - (time.monotonic() - down_at)))
    assert time.monotonic() - down_at >= 30
    user = stack.user_texts(me)
    assert len(user) == len(SHRIMP[:3]) + len(replies)  # every message recorded, once

    hall.start().wait_ready()
    done = stack.say(me, "提交")
    number = ticket_of(done)
    assert [t["number"] for t in stack.tickets(me)] == [number]
    # Again: the same form, the same ticket (no double from a citizen who insists).
    assert stack.say(me, "提交") and [t["number"] for t in stack.tickets(me)] == [number]
    assert len(all_tickets(stack)) == before + 1
    # The conversation itself goes on.
    fee = stack.say(me, "办身份证换领要带什么")
    assert fee and "系统暂时繁忙" not in texts(fee) and "工单系统暂时没有响应" not in texts(fee), fee


def test_hall_restarted_with_its_sqlite_database_intact(healthy):
    stack = healthy
    me = sender("db")
    for text in SHRIMP[:3]:
        stack.say(me, text)
    first = ticket_of(stack.say(me, SHRIMP[3]))
    snapshot = {t["number"]: t for t in all_tickets(stack)}
    stack.procs["hall"].kill(signal.SIGKILL)  # a crash, not a clean stop
    db = stack.settings.var_dir / "hall.db"
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stack.procs["hall"].start().wait_ready()
    after = {t["number"]: t for t in all_tickets(stack)}
    assert after == snapshot  # every ticket survived, unchanged
    # The same conversation opens another ticket; numbering goes on, nothing reused.
    # A complaint is filed once a phone is known: the one this conversation gave already.
    second = ticket_of(stack.say(me, "老板拖欠我三个月工资了，一直不给，我要投诉"))
    assert second != first and second not in snapshot
    assert sorted(t["number"] for t in stack.tickets(me)) == sorted([first, second])
    with sqlite3.connect(db) as conn:
        incomplete = conn.execute(
            "SELECT count(*) FROM tickets WHERE number IS NULL OR due_at IS NULL OR promised_response IS NULL "
            "OR idempotency_key IS NULL").fetchone()[0]
        dupes = conn.execute("SELECT count(*) - count(DISTINCT idempotency_key) FROM tickets").fetchone()[0]
    assert incomplete == 0 and dupes == 0
