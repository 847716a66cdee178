"""Conversations through the REST webhook of the running servers: the `custom` payloads the
widget and the maintainers' scenarios rely on, and the tickets in the hall's database."""

from __future__ import annotations

import subprocess
import uuid
from typing import Any, Dict, List

import httpx
import pytest

from stack import ROOT

pytestmark = pytest.mark.e2e


def customs(messages: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return [m["custom"] for m in messages if m.get("custom")]


def matter_payload(messages):
    return next(c for c in customs(messages) if "matter" in c)


def sender() -> str:
    return "e2e-" + uuid.uuid4().hex[:10]


def test_rasa_test_stories_all_pass(stack, tmp_path):
    """`rasa test` on tests/test_conversations.yml: every conversation, intents and actions."""
    result = subprocess.run(
        [str(ROOT / ".venv/bin/rasa"), "test", "core", "--stories", "tests/test_conversations.yml",
         "--model", "models/onetrip.tar.gz", "--out", str(tmp_path / "results")],
        cwd=ROOT, env={**stack.env, "RASA_TELEMETRY_ENABLED": "false"},
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    failed = (tmp_path / "results" / "failed_test_stories.yml").read_text(encoding="utf-8")
    assert "None of the test stories failed" in failed, failed


def test_requirements_and_follow_ups(stack):
    me = sender()
    first = matter_payload(stack.say(me, "办身份证换领要带什么"))
    assert first == {**first, "matter": "gongan.id_card_renew", "aspect": "materials"}
    for text, aspect in [("那要多少钱？", "fee"), ("在哪里办？", "location"),
                         ("网上能办吗？", "online"), ("要跑几次？", "visits")]:
        payload = matter_payload(stack.say(me, text))
        assert (payload["matter"], payload["aspect"]) == ("gongan.id_card_renew", aspect), text
    # A new matter replaces the current one.
    assert matter_payload(stack.say(me, "公积金能拿来交房租吗"))["matter"] == "gjj.withdraw_rent"
    assert matter_payload(stack.say(me, "要带什么材料"))["matter"] == "gjj.withdraw_rent"


def test_clarification_by_button_and_by_number(stack):
    me = sender()
    replies = stack.say(me, "身份证")
    clarify = next(c["clarify"] for c in customs(replies) if "clarify" in c)
    assert len(clarify) >= 2 and all(code.startswith("gongan.") for code in clarify)
    buttons = next(m["buttons"] for m in replies if m.get("buttons"))
    assert len(buttons) == len(clarify)
    # By number ("2"), as on channels without buttons.
    assert matter_payload(stack.say(me, "2"))["matter"] == clarify[1]
    # "不是这个" offers the others again.
    again = customs(stack.say(me, "不是这个"))
    assert any(clarify[1] not in c.get("clarify", [clarify[1]]) for c in again)
    # By button payload.
    other = sender()
    stack.say(other, "身份证")
    assert matter_payload(stack.say(other, f'/choose{{"matter": "{clarify[0]}"}}'))["matter"] == clarify[0]


def test_bundle_answered_as_one(stack):
    replies = stack.say(sender(), "孩子刚出生要办哪些手续")
    assert matter_payload(replies)["matter"] == "yjs.newborn"
    text = "\n".join(m.get("text", "") for m in replies)
    assert "一次提交" in text and "合并后的材料清单" in text


def test_guidance_ticket_for_the_shrimp_farmer(stack):
    me = sender()
    replies = stack.say(me, "我家虾苗这几天死了好多")
    assert matter_payload(replies)["matter"] == "nongye.aquaculture_guidance"
    stack.say(me, "南美白对虾，放苗半个月，这两天每天死几百尾，水有点发红")
    stack.say(me, "宁波象山")
    wrong = stack.say(me, "138123")
    assert any("手机号码" in m.get("text", "") for m in wrong)
    done = stack.say(me, "13812345678")  # the last of what an expert needs: the ticket is filed
    ticket = next(c for c in customs(done) if "ticket" in c)
    assert ticket["kind"] == "guidance" and ticket["department"] == "nongye"
    stored = stack.tickets(me)
    assert [t["number"] for t in stored] == [ticket["ticket"]]
    assert stored[0]["region"] == "宁波市象山县" and stored[0]["contact_phone_masked"] == "138****5678"
    # Then, and only for this, whether staff may read the conversation.
    assert stored[0]["consent"] is False
    stack.say(me, "同意")
    assert [t["consent"] for t in stack.tickets(me)] == [True]
    # The citizen's phone never reaches the logs unmasked.
    assert "13812345678" not in stack.output()


def test_region_from_the_first_message_is_not_asked_again(stack):
    me = sender()
    stack.say(me, "我在湖州德清，鱼塘里的鱼这两天老是浮头，死了不少，想请专家看看")
    replies = stack.say(me, "13912345678")
    assert not any("哪个市" in m.get("text", "") for m in replies)
    assert any("ticket" in c for c in customs(replies))
    assert stack.tickets(me)[0]["region"] == "湖州市德清县"


def test_complaint_and_fallback_tickets(stack):
    # A complaint or a 兜底 asks only for a way back to the citizen: the phone files it.
    me = sender()
    asked = stack.say(me, "老板拖欠我三个月工资了，一直不给，我要投诉")
    assert not any("哪个市" in m.get("text", "") for m in asked)
    done = customs(stack.say(me, "13712345678"))
    ticket = next(c for c in done if "ticket" in c)
    assert {"kind": "complaint", "department": "renshe"}.items() <= ticket.items()
    # The place told right after is added to that ticket, not read as a new question.
    added = stack.say(me, "杭州市萧山区")
    assert ticket["ticket"] in "\n".join(m.get("text", "") for m in added)
    stored = stack.tickets(me)
    assert len(stored) == 1 and stored[0]["region"] == "杭州市萧山区"
    assert stored[0]["consent"] is False  # never asked: staff read the ticket, not the conversation

    other = sender()
    stack.say(other, "我跑了一趟还是没办成")
    stack.say(other, "上周在温州鹿城去办营业执照变更，窗口说章程要重新做，白跑一趟")
    done = customs(stack.say(other, "15012345678"))
    assert {"kind": "fallback", "department": "zwfw"}.items() <= next(c for c in done if "ticket" in c).items()
    assert stack.tickets(other)[0]["region"] == "温州市鹿城区"


def test_handoff_staff_reply_and_release(stack):
    me = sender()
    stack.say(me, "身份证下个月就过期了")
    replies = stack.say(me, "转人工")
    handoff = next(c for c in customs(replies) if c.get("handoff"))
    assert handoff["kind"] == "handoff" and handoff["department"] == "gongan"
    # While staff talk the bot stays quiet, but the message is recorded.
    assert stack.say(me, "你好，有人吗") == []
    texts = [e.get("text") for e in stack.tracker(me)["events"] if e["event"] == "user"]
    assert "你好，有人吗" in texts
    # A staff reply, the way the console sends it.
    token = {"token": stack.secret("RASA_TOKEN")}
    httpx.post(f"{stack.rasa_url}/conversations/{me}/tracker/events", params=token,
               json=[{"event": "slot", "name": "staff_message", "value": "您好，我是户籍窗口的小王"}], timeout=10).raise_for_status()
    relayed = httpx.post(f"{stack.rasa_url}/conversations/{me}/execute", params={**token, "output_channel": "latest"},
                         json={"name": "action_relay_staff_message"}, timeout=30)
    relayed.raise_for_status()
    assert any("小王" in (m.get("text") or "") for m in relayed.json()["messages"])
    listen = [{"event": "action", "name": "action_listen"}]  # as the hall does after each execute
    httpx.post(f"{stack.rasa_url}/conversations/{me}/tracker/events", params=token, json=listen, timeout=10).raise_for_status()
    # Released: the bot answers again.
    httpx.post(f"{stack.rasa_url}/conversations/{me}/tracker/events", params=token,
               json=[{"event": "resume"}], timeout=10).raise_for_status()
    payload = matter_payload(stack.say(me, "那要多少钱"))
    assert (payload["matter"], payload["aspect"]) == ("gongan.id_card_renew", "fee")


def test_rating_and_bad_rating_follow_up(stack):
    me = sender()
    stack.say(me, "身份证下个月就过期了")
    thanked = stack.say(me, "谢谢")
    assert {"rating_request": True} in customs(thanked)
    # The five levels, each a button whose payload the bot reads back (its braces are not taken
    # for a slot to fill in: domain.yml writes them doubled).
    payloads = [b["payload"] for m in thanked for b in m.get("buttons") or []]
    assert payloads == [f'/rate{{"rating": "{level}"}}' for level in "54321"], payloads
    stack.say(me, payloads[-1])
    # The reason is all a 差评 needs: filed at once; the call-back phone, asked next, is added to it.
    filed = customs(stack.say(me, "材料反复提交"))
    ticket = next(c for c in filed if "ticket" in c)
    assert ticket["kind"] == "feedback" and ticket["department"] == "zwfw"
    noted = stack.say(me, "13612345678")
    assert any("136****5678" in (r.get("text") or "") for r in noted)
    (row,) = stack.tickets(me)
    assert row["number"] == ticket["ticket"] and row["contact_phone_masked"] == "136****5678"


def test_greetings_and_out_of_scope_never_invent_a_matter(stack):
    me = sender()
    for text in ("你好", "你是机器人吗", "今天天气怎么样", "讲个笑话"):
        replies = stack.say(me, text)
        assert replies and not any("matter" in c for c in customs(replies)), text


@pytest.mark.parametrize("text", ["", "   ", "😀😀😀", "<script>alert(1)</script>", "'; DROP TABLE events; --", "长" * 5000])
def test_bad_input_gets_a_polite_reply_and_is_recorded(stack, text):
    me = sender()
    response = httpx.post(f"{stack.rasa_url}/webhooks/rest/webhook", json={"sender": me, "message": text}, timeout=60)
    assert response.status_code == 200
    if len(text) > 2000:  # over every channel's cap (ONETRIP_MAX_MESSAGE_CHARS): told so, not recorded
        assert "太长" in response.json()[0]["text"]
    elif text.strip():
        events = stack.tracker(me)["events"]
        assert any(e["event"] == "user" and e.get("text") == text for e in events)
