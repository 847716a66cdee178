"""Issue #16 on the real stack (`onetrip up`, REST channel, staff JSON API): human mode with the
release words, the handoff's office hours and queue, a transfer told in the citizen's channel,
and declined consent (no transcript, the audited call back still possible)."""

from __future__ import annotations

import subprocess
import uuid

import httpx
import pytest

from stack import ONETRIP, ROOT

pytestmark = pytest.mark.e2e


def sender() -> str:
    return "e2e-h-" + uuid.uuid4().hex[:10]


def customs(messages):
    return [m["custom"] for m in messages if m.get("custom")]


def staff_token(stack, name: str, department: str, display: str) -> dict:
    password = "Pass-" + uuid.uuid4().hex[:12]
    result = subprocess.run([str(ONETRIP), "users", "add", name, "--role", "staff", "--department", department,
                             "--password", "--display-name", display],
                            cwd=ROOT, env=stack.env, input=password + "\n", capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    r = httpx.post(f"{stack.hall_url}/api/auth/login", json={"username": name, "password": password}, timeout=10)
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_human_mode_release_words_and_transfer(stack):
    me = sender()
    stack.say(me, "身份证下个月就过期了")
    handoff = next(c for c in customs(stack.say(me, "转人工")) if c.get("handoff"))
    assert isinstance(handoff["office_open"], bool) and handoff["queue_position"] >= 1 and handoff["back_at"]
    number = handoff["ticket"]
    assert stack.say(me, "你好，有人吗") == []  # waiting for staff: the bot does not talk over them

    auth = staff_token(stack, "gongan_" + uuid.uuid4().hex[:6], "gongan", "王警官")
    r = httpx.post(f"{stack.hall_url}/api/tickets/{number}/reply", json={"text": "您好，我是户籍窗口"}, headers=auth,
                   timeout=30)
    assert r.status_code == 201, r.text
    relayed = [e for e in stack.tracker(me)["events"] if e["event"] == "bot"][-1]
    human = relayed["data"]["custom"]["human"]
    assert human["staff_name"] == "王警官" and human["department_name"] == handoff["department_name"]
    assert "王警官" in relayed["text"] and "gongan_" not in relayed["text"]

    # Human mode: the citizen's message gets no bot answer and lands in the transcript.
    assert stack.say(me, "那要多少钱") == []
    items = httpx.get(f"{stack.hall_url}/api/tickets/{number}/transcript", headers=auth, timeout=10).json()["items"]
    assert any(i["role"] == "citizen" and i["text"] == "那要多少钱" for i in items)
    assert any(i["role"] == "staff" and i["author"].startswith("王警官") for i in items)
    assert not any(i["text"].startswith("/") for i in items)

    # "结束人工" gives the conversation back to the bot.
    ended = stack.say(me, "结束人工")
    assert {"human": None} in customs(ended)
    assert httpx.get(f"{stack.hall_url}/api/tickets/{number}", headers=auth, timeout=10).json()["human_by"] is None
    again = customs(stack.say(me, "那要多少钱"))
    assert any(c.get("matter") == "gongan.id_card_renew" and c.get("aspect") == "fee" for c in again)

    # Transfer: department and due time follow; the citizen is told in their channel.
    before = httpx.get(f"{stack.hall_url}/api/tickets/{number}", headers=auth, timeout=10).json()
    r = httpx.post(f"{stack.hall_url}/api/tickets/{number}/transfer", json={"department": "zwfw", "reason": "跨部门协调"},
                   headers=auth, timeout=30)
    assert r.status_code == 200 and r.json()["notice"] is None, r.text
    moved = r.json()["ticket"]
    assert moved["department"] == "zwfw" and moved["matter"] is None  # gongan's matter does not follow
    assert moved["due_at"] >= before["due_at"] and moved["human_by"] is None
    told = [e for e in stack.tracker(me)["events"] if e["event"] == "bot"][-1]
    assert "已转交" in told["text"] and number in told["text"]


def test_a_handoff_called_off_before_staff_answer_gives_the_question_to_the_bot(stack):
    me = sender()
    handoff = next(c for c in customs(stack.say(me, "帮我转人工")) if c.get("handoff"))
    replies = customs(stack.say(me, "哦不用了，我自己先问问，社保卡丢了怎么补办"))
    assert {"human": None} in replies, replies
    assert any(c.get("matter") == "renshe.social_card_lost" for c in replies), replies
    auth = staff_token(stack, "renshe_" + uuid.uuid4().hex[:6], "zwfw", "李专员")
    ticket = httpx.get(f"{stack.hall_url}/api/tickets/{handoff['ticket']}", headers=auth, timeout=10).json()
    assert ticket["human_by"] is None

    # Once staff have written, "不用了…" is said to them: the bot stays silent.
    other = sender()
    number = next(c for c in customs(stack.say(other, "转人工")) if c.get("handoff"))["ticket"]
    r = httpx.post(f"{stack.hall_url}/api/tickets/{number}/reply", json={"text": "您好，请讲"}, headers=auth, timeout=30)
    assert r.status_code == 201, r.text
    assert stack.say(other, "不用了，我想问社保卡丢了怎么补办") == []


def test_declined_consent_hides_transcript_but_allows_the_call_back(stack):
    me = sender()
    stack.say(me, "我家虾苗这几天死了好多")
    stack.say(me, "南美白对虾，放苗半个月，这两天每天死几百尾，水有点发红")
    stack.say(me, "宁波象山")
    asked = stack.say(me, "13812345678")
    assert any("180天" in (m.get("text") or "") for m in asked)  # what, who, how long: before asking
    ticket = next(c for c in customs(asked) if "ticket" in c)  # filed; then reading the chat is asked
    done = stack.say(me, "不同意")
    assert any("不会查看本次对话记录" in (m.get("text") or "") for m in done)
    auth = staff_token(stack, "nongye_" + uuid.uuid4().hex[:6], "nongye", "李专家")
    number = ticket["ticket"]
    r = httpx.get(f"{stack.hall_url}/api/tickets/{number}/transcript", headers=auth, timeout=10)
    assert r.status_code == 403 and "未同意" in r.json()["detail"]
    r = httpx.post(f"{stack.hall_url}/api/tickets/{number}/reveal", headers=auth, timeout=10)
    assert r.json() == {"phone": "13812345678"}
