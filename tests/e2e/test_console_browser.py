"""The staff console and the citizen's widget together, in two Chromium pages on the real stack:
a handoff, a staff reply that reaches the widget, a citizen message that reaches the console
without a reload, resolution with a 好差评 request, and another department refused."""

from __future__ import annotations

import re
import subprocess
from typing import Iterator

import pytest

from stack import ONETRIP, ROOT
from test_widget import DESKTOP, Widget, browser  # noqa: F401  (browser is a fixture)

from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
TIMEOUT = 30_000


def add_user(stack, name: str, role: str, department: str, password: str) -> None:
    result = subprocess.run([str(ONETRIP), "users", "add", name, "--role", role, "--department", department,
                             "--password"], input=password + "\n", cwd=ROOT, env=stack.env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def login(page: Page, hall_url: str, user: str, password: str) -> None:
    page.goto(f"{hall_url}/console/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("form[action$='/console/login'] button")
    page.wait_for_url(re.compile(r".*/console/?(\?.*)?$"))


@pytest.fixture
def pages(browser, stack) -> Iterator[tuple]:  # noqa: F811
    citizen_ctx = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    staff_ctx = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    yield Widget(citizen_ctx.new_page(), stack), staff_ctx.new_page()
    citizen_ctx.close()
    staff_ctx.close()


def test_handoff_reply_live_update_resolve_and_isolation(pages, stack, browser):  # noqa: F811
    citizen, staff = pages
    citizen.open()
    citizen.say("身份证下个月就过期了", replies=2)
    handoff = citizen.say("转人工")
    expect(handoff).to_contain_text("工作人员")
    session = citizen.session()
    [ticket] = [t for t in stack.tickets(session) if t["kind"] == "handoff"]
    assert ticket["department"] == "gongan"

    add_user(stack, "gongan_wang", "staff", "gongan", "Wang-2026-pass")
    login(staff, stack.hall_url, "gongan_wang", "Wang-2026-pass")
    expect(staff.locator("body")).to_contain_text(ticket["number"], timeout=TIMEOUT)
    staff.goto(f"{stack.hall_url}/console/tickets/{ticket['number']}")
    expect(staff.locator("#transcript")).to_contain_text("转人工")

    # The staff reply reaches the citizen's widget, in the channel they used.
    before = citizen.bot.count()
    staff.fill("textarea[name=text]", "您好，我是户籍窗口的小王，换证可以在浙里办预约。")
    staff.click("form[action$='/reply'] button")
    citizen.wait_bot(before)
    expect(citizen.page.locator(".ot-msg.ot-staff").last).to_contain_text("小王")

    # The citizen's new message reaches the console without a reload.
    staff.goto(f"{stack.hall_url}/console/tickets/{ticket['number']}")
    box = citizen.page.locator(".ot-input")
    box.fill("好的，明天去派出所可以吗")
    box.press("Enter")
    expect(staff.locator("#transcript")).to_contain_text("明天去派出所", timeout=TIMEOUT)

    # Resolve: the citizen is told and asked for a 好差评.
    before = citizen.bot.count()
    staff.fill("input[name=resolution]", "已告知在浙里办预约换证")
    staff.click("form[action$='/resolve'] button")
    citizen.wait_bot(before, replies=2)
    expect(citizen.page.locator(".ot-log")).to_contain_text("已办结")
    expect(citizen.page.locator(".ot-choice", has_text="非常满意").last).to_be_visible()
    # The bot has the conversation back and hears the rating.
    expect(citizen.click("满意")).to_contain_text("感谢您的评价")

    # A member of another department is refused that ticket.
    add_user(stack, "nongye_li", "staff", "nongye", "Li-2026-pass-x")
    other = browser.new_context(viewport=DESKTOP, locale="zh-CN").new_page()
    login(other, stack.hall_url, "nongye_li", "Li-2026-pass-x")
    refused = other.goto(f"{stack.hall_url}/console/tickets/{ticket['number']}")
    assert refused.status == 403
    other.context.close()
