"""Issue #17 on the real stack (`onetrip up`): a citizen's erasure through the REST channel, the
figures of the conversations just held, and an approved answer saved in the console (Chromium)
then served to another citizen through REST.

The last step needs the lead's call in actions/matters.py (step 7, "Nothing to go on", before
`record_unmatched`): `served = await serve_approved(dispatcher, text_of(tracker))` from
actions/approved.py. Until that call is there, that step is skipped with this reason.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import time
import uuid

import httpx
import pytest

from stack import ONETRIP, ROOT
from test_widget import DESKTOP, browser  # noqa: F401  (browser is a fixture)

from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e]
WIRED = "serve_approved" in (ROOT / "actions" / "matters.py").read_text(encoding="utf-8")


def texts(messages) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def stored_events(stack, sender: str) -> int:
    with sqlite3.connect(stack.var_dir / "tracker.db") as conn:
        return conn.execute("SELECT COUNT(*) FROM events WHERE sender_id = ?", (sender,)).fetchone()[0]


def wait_for(check, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    assert check()


def test_citizen_erases_their_conversation(stack):
    sender = f"erase-{uuid.uuid4().hex[:8]}"
    # The figures count a conversation on its Asia/Shanghai day: taken before it starts, and the
    # next day included, so a run across midnight still finds it.
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    days = {"from": today.isoformat(), "to": (today + dt.timedelta(days=1)).isoformat()}
    answer = stack.say(sender, "身份证下个月就过期了，电话13812345678")
    assert "身份证" in texts(answer)
    stats = lambda: httpx.get(f"{stack.hall_url}/api/stats", params=days,  # noqa: E731
                              headers=stack.service_headers, timeout=10).json()
    wait_for(lambda: stats()["conversations"] >= 1)
    before = stats()["conversations"]

    erased = stack.say(sender, "删除我的记录")
    assert "已经删除" in texts(erased), erased
    # The transcript is gone from the tracker store (the turn that asked included, once saved)…
    wait_for(lambda: stored_events(stack, sender) == 0)
    # …and from Rasa's memory: the conversation starts afresh.
    events = stack.tracker(sender)["events"]
    assert "13812345678" not in str(events) and "身份证下个月" not in str(events)
    # The figures keep the conversation, without its id (other tests' conversations may still arrive).
    assert stats()["conversations"] >= before
    again = stack.say(sender, "身份证下个月就过期了")
    assert "身份证" in texts(again)


def test_erasure_waits_for_an_open_ticket(stack):
    sender = f"erase-open-{uuid.uuid4().hex[:8]}"
    stack.say(sender, "身份证下个月就过期了")
    # An open ticket of this conversation (as the bot's ticket form makes; 转人工 would pause the bot).
    ticket = httpx.post(f"{stack.hall_url}/api/tickets", headers=stack.service_headers, timeout=10, json={
        "kind": "consult", "department": "gongan", "conversation_id": sender, "channel": "rest",
        "description": "身份证能不能异地换", "idempotency_key": uuid.uuid4().hex}).json()
    reply = texts(stack.say(sender, "删除我的记录"))
    assert ticket["number"] in reply and "办结180天后" in reply
    assert stored_events(stack, sender) > 0


@pytest.mark.browser
def test_approved_answer_saved_in_console_and_served(stack, browser):  # noqa: F811
    question = "图书馆的自习室晚上开到几点"  # no matter of the catalogue: the bot cannot place it
    asker = f"ask-{uuid.uuid4().hex[:8]}"
    stack.say(asker, question)
    stack.say(asker, "转人工")
    [ticket] = stack.tickets(asker)
    result = subprocess.run([str(ONETRIP), "users", "add", "zw_li", "--role", "staff", "--department",
                             ticket["department"], "--password"], input="Li-2026-pass\n",
                            cwd=ROOT, env=stack.env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr

    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{stack.hall_url}/console/login")
    page.fill("input[name=username]", "zw_li")
    page.fill("input[name=password]", "Li-2026-pass")
    page.click("form[action$='/console/login'] button")
    page.goto(f"{stack.hall_url}/console/tickets/{ticket['number']}")
    page.fill("textarea[name=text]", "省图书馆自习室开放到晚上21:00，周一闭馆。")
    page.click("form[action$='/reply'] button")
    page.goto(f"{stack.hall_url}/console/tickets/{ticket['number']}")
    form = page.locator(".approve-form").last
    expect(form).to_be_visible(timeout=20_000)
    form.locator("input[name=question]").fill(question)
    form.locator("button").click()
    expect(page.locator("body")).to_contain_text("已存为审核答复")
    context.close()

    found = httpx.get(f"{stack.hall_url}/api/approved-answers/match", params={"q": "图书馆自习室晚上几点关门"},
                      headers=stack.service_headers, timeout=10)
    assert found.status_code == 200 and "21:00" in found.json()["answer"]

    if not WIRED:
        pytest.skip("waiting for the lead's call to serve_approved in actions/matters.py (see the module's doc)")
    reply = texts(stack.say(f"other-{uuid.uuid4().hex[:8]}", "图书馆自习室晚上几点关门"))
    date = found.json()["date"]
    assert f"由{found.json()['department_name']}工作人员解答（{date}）：" in reply and "21:00" in reply
