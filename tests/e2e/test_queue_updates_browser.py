"""Issue #16, "handoff that informs ... within hours: place in queue and expected wait, updated", in
Debian's Chromium on the real stack: two citizens in the web widget ask for 转人工 in the same
department; staff answer the first in the console; the second citizen's widget, without a word
from them, is told their new place (the hall's sweep, bot.hall.ticket_service.tell_queue_moves,
executing utter_queue_next through Rasa into the socket.io channel).

Queue updates are told only within office hours, so this module runs a stack of its own whose SLA
file (ONETRIP_SLA_FILE) opens the office round the clock today and tomorrow: the servers keep the
real clock. ONETRIP_QUEUE_UPDATE_SECONDS=5 stands in for the production minute between two updates
to one citizen (the second citizen heard their place at the handoff, seconds before).
"""

from __future__ import annotations

import datetime as dt
import re
import time
import uuid
from typing import Iterator

import pytest
import yaml

from bot.hall import sla
from stack import Stack, start_stack
from test_console_browser import add_user, login
from test_widget import DESKTOP, Widget, browser  # noqa: F401  (browser is a fixture)

from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
TIMEOUT = 30_000
TELL_SECONDS = 5  # ONETRIP_QUEUE_UPDATE_SECONDS for this stack (production: 60)


def round_the_clock_sla(path) -> str:
    """An SLA file of the test's own: 00:00-24:00 on today and tomorrow (Asia/Shanghai), so that a
    run at night, at the weekend or across midnight finds the office open."""
    shipped = sla.load_config()
    today = dt.datetime.now(sla.TZ).date()
    days = [today, today + dt.timedelta(days=1)]
    for day in days:
        if day in shipped.holidays:  # a shipped calendar's holiday cannot also be a file's workday
            pytest.skip(f"{day} is a holiday in data/sla/; the SLA loader refuses it as a workday")
    path.write_text(yaml.safe_dump({
        "working_hours": {"start": "00:00", "end": "24:00"},
        "workdays": [d.isoformat() for d in days if not sla.is_workday(d, shipped)],
    }), encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module")
def open_stack(tmp_path_factory) -> Iterator[Stack]:
    sla_file = round_the_clock_sla(tmp_path_factory.mktemp("queue-sla") / "sla.yml")
    stack = start_stack(tmp_path_factory.mktemp("queue-var"), {
        "ONETRIP_SLA_FILE": sla_file,
        "ONETRIP_QUEUE_UPDATE_SECONDS": str(TELL_SECONDS),
    })
    try:
        # The first message after start loads what the pipeline loads lazily; not the widget's 30 s.
        stack.say("warm-up", "你好", timeout=120)
        yield stack
    finally:
        stack.stop()


@pytest.fixture
def citizens(browser, open_stack) -> Iterator[tuple]:  # noqa: F811
    contexts = [browser.new_context(viewport=DESKTOP, locale="zh-CN") for _ in range(3)]
    first, second = (Widget(c.new_page(), open_stack) for c in contexts[:2])
    yield first, second, contexts[2].new_page()
    assert not first.errors and not second.errors, first.errors + second.errors
    for context in contexts:
        context.close()


def test_waiting_citizen_hears_the_queue_move_when_staff_answer_the_one_ahead(citizens, open_stack):
    first, second, staff = citizens
    tickets = []
    for citizen in (first, second):
        citizen.open()
        citizen.say("身份证下个月就过期了", replies=2)
        handoff = citizen.say("转人工")
        [ticket] = [t for t in open_stack.tickets(citizen.session()) if t["kind"] == "handoff"]
        tickets.append((ticket, handoff))
    (ahead, _), (mine, queued) = tickets
    assert ahead["department"] == mine["department"] == "gongan"
    # Within office hours (the stack's SLA file): the second hears their place, not a call back.
    expect(queued).to_contain_text("您前面还有 1 位")
    waiting = second.bot.count()

    # Staff answer the first citizen in the console.
    name, password = "gongan_" + uuid.uuid4().hex[:6], "Queue-" + uuid.uuid4().hex[:12]
    add_user(open_stack, name, "staff", "gongan", password)
    login(staff, open_stack.hall_url, name, password)
    staff.goto(f"{open_stack.hall_url}/console/tickets/{ahead['number']}")
    before = first.bot.count()
    staff.fill("textarea[name=text]", "您好，我是户籍窗口，请讲。")
    staff.click("form[action$='/reply'] button")
    first.wait_bot(before)
    answered = time.monotonic()

    # The second citizen, who said nothing more, is told the new place in their widget.
    told = second.wait_bot(waiting)
    expect(told).to_have_class(re.compile(r"\bot-bot\b"))  # the assistant says it, not staff
    expect(told).to_contain_text("排队有更新：您前面已经没有人了，您是下一位")
    expect(told).to_contain_text("预计等候约")
    assert time.monotonic() - answered < TELL_SECONDS + 15  # a sweep or two, not a reload

    # Told once: later sweeps say nothing while the place stays the same.
    second.page.wait_for_timeout((TELL_SECONDS + 6) * 1000)
    assert second.bot.count() == waiting + 1
    assert "排队有更新" not in first.page.locator(".ot-log").inner_text()  # the one answered hears none
