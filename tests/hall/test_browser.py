"""The ticket page in a real browser: live messages by SSE (escaped) and the reveal button."""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time

import pytest
from sqlalchemy import create_engine, text

from tests.hall.conftest import PASSWORD, SERVICE, ticket_body

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def live(settings, admin_password):
    import uvicorn

    from bot.hall.app import create_app

    app = create_app(settings, run_events=True)  # with the event-broker consumer

    engine = create_engine(settings.events_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, data TEXT)"))
    app.state.hall.hub.interval = 0.2
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", engine
    server.should_exit = True
    thread.join(5)
    engine.dispose()


@pytest.mark.skipif(not CHROMIUM, reason="no Chromium")
def test_live_messages_and_reveal(live, make_user):
    import httpx
    from playwright.sync_api import expect, sync_playwright

    base, events = live
    make_user("li", "staff", "scjg")
    ticket = httpx.post(f"{base}/api/tickets", json=ticket_body(conversation_id="live-1"), headers=SERVICE).json()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(f"{base}/console/login")
        page.fill("input[name=username]", "li")
        page.fill("input[name=password]", PASSWORD)
        page.click("button.primary")
        page.goto(f"{base}/console/tickets/{ticket['number']}")
        page.wait_for_timeout(800)  # the EventSource connects and the consumer has its start id
        with events.begin() as conn:
            conn.execute(text("INSERT INTO events (sender_id, data) VALUES ('live-1', :d)"),
                         {"d": json.dumps({"event": "user", "text": "<img src=x onerror=alert(1)>我还在等",
                                           "timestamp": time.time()})})
        page.wait_for_selector("#transcript li.user", timeout=8000)
        assert "<img src=x onerror=alert(1)>我还在等" in page.inner_text("#transcript")
        assert page.locator("#transcript img").count() == 0 and not dialogs
        assert page.inner_text("#phone") == "138****5678"
        page.click("#reveal")
        # A locator wait, not wait_for_function: the console's CSP (no eval) applies to test code too.
        expect(page.locator("#phone")).to_have_text("13812345678", timeout=8000)
        browser.close()
