"""Issue #17 in a real browser against a live hall: the dashboard's charts for a date range (and the
README's screenshot), the review of unmatched and wrongly matched questions written to the
catalogue after a preview, and a dismissal."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
import yaml
from sqlalchemy import create_engine, text

from bot.settings import load_settings
from tests.hall.conftest import PASSWORD
from tests.hall.test_review import catalogue_copy, seed_failures  # noqa: F401  (a fixture)
from tests.hall.test_stats import RASA_EVENTS, seed_day

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "dashboard-figures.png"


@pytest.fixture
def live(settings, admin_password, sessions, catalogue_copy, monkeypatch):  # noqa: F811
    import uvicorn

    from bot.hall.app import create_app
    from bot.hall.stats import ConversationFollower

    monkeypatch.setenv("ONETRIP_CATALOGUE", str(catalogue_copy))
    monkeypatch.setenv("ONETRIP_TRACKER_URL", settings.events_url)
    s = load_settings()
    engine = create_engine(s.events_url)
    with engine.begin() as conn:
        conn.execute(text(RASA_EVENTS))
    engine.dispose()
    app = create_app(s, run_events=False)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base) as client:
        seed_day(s, sessions, client)
    ConversationFollower(app.state.hall).catch_up()
    seed_failures(app)
    yield base, app
    server.should_exit = True
    thread.join(5)


@pytest.mark.skipif(not CHROMIUM, reason="no Chromium")
def test_dashboard_charts_and_question_review(live, make_user, catalogue_copy):  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    base, app = live
    make_user("boss", "supervisor", None)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        page.goto(f"{base}/console/login")
        page.fill("input[name=username]", "boss")
        page.fill("input[name=password]", PASSWORD)
        page.click("button.primary")

        # The figures of a range, drawn per day.
        page.goto(f"{base}/console/dashboard")
        page.fill("#figures input[name=from]", "2026-11-22")
        page.fill("#figures input[name=to]", "2026-11-25")
        page.click("#figures form button")
        expect(page.locator("#fig-conversations")).to_have_text("8")
        expect(page.locator("svg.chart")).to_have_count(6)
        expect(page.locator("svg.chart[data-series=conversations] rect")).to_have_count(4)
        expect(page.locator("#fig-unmatched")).to_contain_text("138****5678")
        assert "13812345678" not in page.content()
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.locator("#figures").screenshot(path=str(SCREENSHOT))
        with page.expect_download() as download:
            page.click("#figures-csv")
        assert download.value.suggested_filename == "stats-2026-11-22-2026-11-25.csv"

        # The review: one group for 身份证快到期了咋整 (two unmatched, one wrongly matched).
        page.click("nav a[href='/console/review']")
        group = page.locator(".group", has_text="身份证快到期了咋整").first
        expect(group.locator(".count")).to_have_text("3 次")
        expect(group).to_contain_text("被匹配为 gongan.hukou_birth")
        group.locator(".alias-form input[name=target]").fill("gongan.id_card_renew")
        group.locator(".alias-form button").click()
        expect(page.locator("#diff")).to_contain_text('"身份证快到期了咋整"')
        page.click("#confirm")
        expect(page.locator("#review-message")).to_contain_text("onetrip train")
        expect(page.locator(".group", has_text="身份证快到期了咋整")).to_have_count(0)
        aliases = yaml.safe_load((catalogue_copy / "matters" / "gongan.yml").read_text(encoding="utf-8"))["matters"][0]["aliases"]
        assert aliases[-1] == "身份证快到期了咋整"

        # A question nobody should teach the bot: dismissed.
        junk = page.locator(".group", has_text="买彩票")
        expect(junk.locator(".group-text")).to_contain_text("<script>")  # shown as text, never run
        junk.locator(".dismiss-form button").click()
        expect(page.locator("#review-message")).to_contain_text("已忽略")
        expect(page.locator(".group", has_text="买彩票")).to_have_count(0)
        browser.close()
