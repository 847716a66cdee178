"""Screenshots of the staff console for the README: queue, ticket page, dashboard.

Usage (with `make run` serving, and a supervisor account):
    .venv/bin/python scripts/console_screenshots.py --user NAME --password PASSWORD
It drives Debian's Chromium (/usr/bin/chromium) with Playwright and writes docs/screenshots/console-*.png.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync", "--disable-quic"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hall", default="http://127.0.0.1:8000")
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 860}, locale="zh-CN")
        page.goto(f"{args.hall}/console/login")
        page.fill("input[name=username]", args.user)
        page.fill("input[name=password]", args.password)
        page.click("form[action$='/console/login'] button")
        page.wait_for_url(f"{args.hall}/console**")
        page.screenshot(path=str(out / "console-queue.png"))
        first = page.locator("a[href*='/console/tickets/']").first
        if first.count():
            first.click()
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(out / "console-ticket.png"), full_page=True)
        page.goto(f"{args.hall}/console/dashboard")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(out / "console-dashboard.png"), full_page=True)
        browser.close()
    print(f"screenshots written to {out}")


if __name__ == "__main__":
    main()
