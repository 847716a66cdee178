"""The widget's accessibility, 长辈模式 and the human phase, in Debian's Chromium, without Rasa.

The hall runs for real (uvicorn in a thread); a small python-socketio server stands in for Rasa's
socket.io channel and answers a few scripted messages, so these tests need no trained model:

* axe-core (npm package, injected from node_modules) on the widget in both modes and on the
  console's queue, ticket and dashboard pages: no serious or critical violation;
* elder mode measured from computed styles: font sizes, line height, contrast, 48 px buttons,
  no animation, numbered materials with the rest behind "更多", remembered across a reload;
  200 % zoom (and 200 % text size) at 375 px without horizontal scrolling;
* two identical bot replies both shown; no reply within 15 s replaced by a message with 12345;
  the human-mode banner; attachments by button and paste with progress and the server's detail;
* the demo page and the widget work under the hall's CSP (no violation reported).

Screenshots for the README (docs/screenshots/widget-default.png, widget-elder.png) are refreshed
with ONETRIP_SCREENSHOTS=1, as in tests/e2e/test_widget.py.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import tempfile
import threading
import time
from pathlib import Path

import httpx
import pytest

from bot.settings import ROOT, load_settings
from bot.vocabulary import Channel
from tests.hall.conftest import PASSWORD, SERVICE, ticket_body

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = ROOT / "docs" / "screenshots" if os.environ.get("ONETRIP_SCREENSHOTS") else Path(tempfile.gettempdir()) / "onetrip-screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]
PHONE = {"width": 375, "height": 740}

if not Path(CHROMIUM).exists():  # pragma: no cover
    pytest.skip("Debian's Chromium is missing (scripts/ensure_chromium.sh installs it)", allow_module_level=True)
if not AXE.exists():  # pragma: no cover
    pytest.skip("axe-core is missing: run `npm ci`", allow_module_level=True)

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

CARD = {
    "text": "【居民身份证换领】请带好材料到户籍窗口办理。",
    "custom": {"aspect": "overview", "card": {
        "name": "居民身份证换领", "badge": "最多跑一次", "visits": 1, "department_name": "公安局",
        "materials": [{"name": "原居民身份证", "form": "原件"}, {"name": "户口簿", "form": "原件"},
                      {"name": "近期证件照", "form": "数码回执", "exempt": True}],
        "time_limit": "20个工作日", "fee": "20元", "phone": "0571-12345678",
        "online": {"entry": "浙里办", "full_online": False, "url": "https://www.zjzwfw.gov.cn/"},
    }},
    "quick_replies": [{"title": "身份证挂失", "payload": "/choose{\"matter\":\"a\"}"},
                      {"title": "临时身份证", "payload": "/choose{\"matter\":\"b\"}"}],
}
LONG = ("公积金可以用来支付房租。您需要在本市无自有住房，并且连续足额缴存满三个月。每年可以提取一次，"
        "每次提取的金额不超过实际支付的房租，也不超过当地规定的上限。申请可以在浙里办提交，审核一般三个工作日。"
        "如果您是合租，需要提供租赁合同和出租人的身份证明复印件。")
HUMAN = {"department_name": "湖州市农业农村局", "staff_name": "王工"}


def scripted(text: str):
    """What the stand-in Rasa answers to a citizen's message: a list of bot_uttered bodies."""
    if "身份证" in text:
        return [CARD]
    if "公积金" in text:
        return [{"text": LONG}]
    if text == "重复":
        return [{"text": "好的，已记录。"}, {"text": "好的，已记录。"}]
    if text == "沉默":
        return []
    if text == "转人工":
        return [{"text": "【工作人员】您好，我是王工，请发一张塘口的照片。", "custom": {"human": HUMAN}}]
    if text == "结束人工":
        return [{"text": "已为您转回智能助手。", "custom": {"human": None}}]
    return [{"text": "您好，请问要办什么事？"}]


@pytest.fixture
def fake_rasa():
    import socketio
    import uvicorn

    sio = socketio.AsyncServer(async_mode="asgi", cors_allowed_origins="*")

    @sio.on("session_request")
    async def session_request(sid, data):
        wanted = (data or {}).get("session_id") or ("s" + os.urandom(12).hex())
        await sio.emit("session_confirm", {"session_id": wanted}, room=sid)

    @sio.on("user_uttered")
    async def user_uttered(sid, data):
        for message in scripted(str((data or {}).get("message", ""))):
            await asyncio.sleep(0.05)
            await sio.emit("bot_uttered", {**message, "timestamp": time.time()}, room=sid)

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(socketio.ASGIApp(sio), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    _wait(lambda: server.started)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(5)


class FakeMessenger:
    """The hall's Rasa client, for /widget/attachments: every session is a widget conversation."""

    async def tracker(self, session):
        return {"sender_id": session, "latest_input_channel": Channel.SOCKETIO, "events": []}


@pytest.fixture
def hall(settings, admin_password, fake_rasa, monkeypatch):
    import uvicorn

    from bot.hall.app import create_app

    monkeypatch.setenv("RASA_URL", fake_rasa)
    app = create_app(load_settings(), run_events=False)
    app.state.hall.rasa = FakeMessenger()
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    _wait(lambda: server.started)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(5)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield launched
        launched.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(ready, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)


def new_page(browser, viewport=PHONE, **extra) -> Page:
    # axe is injected as a script tag, which the hall's CSP (rightly) refuses: bypass it here;
    # test_widget_under_csp checks the widget itself with the CSP on.
    context = browser.new_context(viewport=viewport, locale="zh-CN", bypass_csp=True, **extra)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors
    return page


def open_widget(page: Page, hall: str) -> Page:
    page.goto(hall + "/")
    expect(page.locator(".ot-panel")).to_be_visible()
    expect(page.locator(".ot-status")).to_have_attribute("data-state", "online", timeout=15_000)
    return page


def say(page: Page, text: str, replies: int = 1):
    bots = page.locator(".ot-msg.ot-bot, .ot-msg.ot-staff")
    before = bots.count()
    box = page.locator(".ot-input")
    box.fill(text)
    box.press("Enter")
    if replies:
        expect(bots.nth(before + replies - 1)).to_be_visible(timeout=10_000)
    return bots.nth(before)


def axe(page: Page, context: str = "document") -> list:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async (ctx) => { const r = await axe.run(ctx === 'document' ? document : ctx,"
        " {resultTypes: ['violations']}); return r.violations.map(v => ({id: v.id, impact: v.impact,"
        " help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + n.failureSummary)})); }",
        context)
    return [v for v in result if v["impact"] in ("serious", "critical")]


# The measurements, in the page: every visible element with its own text inside the widget.
MEASURE = """() => {
  const root = document.getElementById('onetrip-widget').shadowRoot;
  const rgb = s => { const m = s.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(',').map(Number); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = c => [c.r, c.g, c.b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); })
    .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  const background = e => { for (let n = e; n; n = n.parentElement || (n.getRootNode() && n.getRootNode().host)) {
      const c = rgb(getComputedStyle(n).backgroundColor); if (c && c.a > 0.5) return c; } return {r: 255, g: 255, b: 255, a: 1}; };
  const out = [];
  for (const e of root.querySelectorAll('*')) {
    const own = [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    const box = e.getBoundingClientRect();
    if (!own || !box.width || !box.height || e.closest('.ot-sr')) continue;
    const st = getComputedStyle(e);
    if (st.visibility === 'hidden' || e.closest('[hidden]') || e.closest('details:not([open]) > :not(summary)')) continue;
    const fg = rgb(st.color), bg = background(e);
    const L1 = lum(fg), L2 = lum(bg);
    out.push({tag: e.tagName, cls: String(e.className), text: e.textContent.trim().slice(0, 20),
      size: parseFloat(st.fontSize), line: st.lineHeight === 'normal' ? 1.2 : parseFloat(st.lineHeight) / parseFloat(st.fontSize),
      contrast: (Math.max(L1, L2) + 0.05) / (Math.min(L1, L2) + 0.05),
      answer: !!e.closest('.ot-bot .ot-bubble, .ot-staff .ot-bubble, .ot-card')});
  }
  const buttons = [...root.querySelectorAll('button, summary, a.ot-online')].filter(b => b.getBoundingClientRect().height && !b.closest('[hidden]'))
    .map(b => ({text: b.textContent.trim().slice(0, 12) || b.getAttribute('aria-label'), height: b.getBoundingClientRect().height}));
  const dots = [...root.querySelectorAll('.ot-typing span[aria-hidden]')].map(d => getComputedStyle(d).animationName);
  return {texts: out, buttons, dots};
}"""


def measure(page: Page) -> dict:
    return page.evaluate(MEASURE)


def no_horizontal_scroll(page: Page) -> None:
    widths = page.evaluate("""() => {
      const root = document.getElementById('onetrip-widget').shadowRoot;
      const vw = document.documentElement.clientWidth;
      const panelRight = root.querySelector('.ot-panel').getBoundingClientRect().right;
      const over = [...root.querySelectorAll('.ot-panel *')].filter(e => {
        const b = e.getBoundingClientRect(); return b.width && b.right > Math.min(vw, panelRight) + 1; })
        .map(e => e.tagName + '.' + e.className + '@' + Math.round(e.getBoundingClientRect().right) + '/' + vw);
      return {page: document.scrollingElement.scrollWidth - vw, log: root.querySelector('.ot-log').scrollWidth - root.querySelector('.ot-log').clientWidth,
              panel: root.querySelector('.ot-panel').scrollWidth - root.querySelector('.ot-panel').clientWidth, over};
    }""")
    assert widths["log"] <= 0 and widths["panel"] <= 0 and not widths["over"], widths


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"widget-{name}.png"))


def test_default_mode_sizes_contrast_and_axe(browser, hall):
    page = open_widget(new_page(browser), hall)
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    say(page, "身份证快过期了")
    expect(page.locator(".ot-card")).to_be_visible()
    m = measure(page)
    small = [t for t in m["texts"] if t["size"] < 12]
    assert not small, small
    body = [t for t in m["texts"] if "ot-bubble" in t["cls"] or t["tag"] in ("LABEL",)]
    assert body and all(t["size"] >= 16 for t in body), body
    low = [t for t in m["texts"] if t["contrast"] < 4.5]
    assert not low, low
    log = page.locator(".ot-log")
    assert log.get_attribute("aria-live") == "polite" and log.get_attribute("role") == "log"
    for label in ("收起对话窗口", "发送图片或PDF文件（不超过10MB）"):
        expect(page.locator(f"button[aria-label='{label}']")).to_be_visible()
    # Keyboard: Tab reaches the elder switch, Enter turns it on, the focus ring is visible.
    switch = page.locator(".ot-elderbtn")
    switch.focus()
    outline = switch.evaluate("e => getComputedStyle(e).outlineStyle + ' ' + getComputedStyle(e).outlineWidth")
    assert outline.startswith("solid") and not outline.endswith(" 0px"), outline
    violations = axe(page)
    assert not violations, violations
    shot(page, "default")
    assert not page.errors, page.errors


def test_elder_mode_measured(browser, hall):
    page = open_widget(new_page(browser), hall)
    switch = page.locator(".ot-elderbtn")
    expect(switch).to_have_text("长辈模式")
    expect(switch).to_have_attribute("aria-pressed", "false")
    switch.focus()
    page.keyboard.press("Enter")
    expect(switch).to_have_attribute("aria-pressed", "true")
    page.reload()  # remembered per browser
    expect(page.locator(".ot-elderbtn")).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".ot-status")).to_have_attribute("data-state", "online", timeout=15_000)

    answer = say(page, "身份证快过期了")
    card = answer.locator(".ot-card")
    # Shorter: the materials first, numbered; the rest behind "更多".
    expect(card.locator("ol.ot-materials li")).to_have_count(3)
    more = card.locator("details.ot-more")
    expect(more.locator("summary")).to_contain_text("更多")
    expect(more.locator(".ot-facts")).to_be_hidden()
    long = say(page, "公积金能交房租吗")
    expect(long.locator("details.ot-more summary")).to_have_text("更多")
    page.locator(".ot-typing").evaluate("e => e.hidden = false")  # to measure the dots

    m = measure(page)
    small = [t for t in m["texts"] if t["size"] < 18]
    assert not small, small
    answers = [t for t in m["texts"] if t["answer"]]
    assert answers and all(t["size"] >= 20 for t in answers), [t for t in answers if t["size"] < 20]
    tight = [t for t in m["texts"] if t["line"] < 1.5]
    assert not tight, tight
    low = [t for t in m["texts"] if t["contrast"] < 4.5]
    assert not low, low
    body = [t for t in m["texts"] if t["answer"] or "ot-bubble" in t["cls"]]
    assert all(t["contrast"] >= 7 for t in body), [t for t in body if t["contrast"] < 7]
    short = [b for b in m["buttons"] if b["height"] < 48]
    assert not short, short
    assert set(m["dots"]) == {"none"}, m["dots"]
    page.locator(".ot-typing").evaluate("e => e.hidden = true")

    violations = axe(page)
    assert not violations, violations
    page.locator(".ot-log").evaluate("e => e.scrollTop = 0")
    shot(page, "elder")

    # 200 % text size at 375 px, then 200 % zoom (a 375 px screen shows 187.5 CSS px).
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    no_horizontal_scroll(page)
    page.evaluate("document.documentElement.style.fontSize = ''")
    page.set_viewport_size({"width": 188, "height": 370})
    no_horizontal_scroll(page)
    more.locator("summary").click()
    no_horizontal_scroll(page)
    assert not page.errors, page.errors


def test_default_mode_zoom_200(browser, hall):
    page = open_widget(new_page(browser, viewport={"width": 188, "height": 370}), hall)
    say(page, "身份证快过期了")
    no_horizontal_scroll(page)


def test_read_aloud_only_with_a_chinese_voice(browser, hall):
    page = open_widget(new_page(browser), hall)
    say(page, "你好")
    # Headless Chromium has no voice at all: no read-aloud button.
    expect(page.locator(".ot-msg.ot-bot .ot-speak").first).to_be_hidden()

    voiced = new_page(browser)
    voiced.add_init_script("""(() => {
      window.__spoken = [];
      const synth = { getVoices: () => [{name: '婷婷', lang: 'zh-CN'}], speak: u => window.__spoken.push([u.text, u.lang]),
        cancel: () => {}, addEventListener: () => {} };
      Object.defineProperty(window, 'speechSynthesis', {value: synth});
      window.SpeechSynthesisUtterance = function (t) { this.text = t; };
    })()""")
    open_widget(voiced, hall)
    answer = say(voiced, "身份证快过期了")
    button = answer.locator(".ot-speak")
    expect(button).to_be_visible()
    expect(button).to_have_attribute("aria-label", "语音播报这条消息")
    button.click()
    spoken = voiced.evaluate("window.__spoken")
    assert spoken and "居民身份证换领" in spoken[0][0] and spoken[0][1] == "zh-CN"


def test_voice_input_only_with_speech_recognition(browser, hall):
    page = new_page(browser)
    page.add_init_script("delete window.SpeechRecognition; delete window.webkitSpeechRecognition;")
    open_widget(page, hall)
    expect(page.locator(".ot-mic")).to_be_hidden()

    heard = new_page(browser)
    heard.add_init_script("""(() => {
      window.SpeechRecognition = window.webkitSpeechRecognition = function () {
        this.start = () => setTimeout(() => { this.onresult({results: [[{transcript: '身份证过期了'}]]}); this.onend(); }, 10);
        this.stop = () => {};
      };
    })()""")
    open_widget(heard, hall)
    mic = heard.locator(".ot-mic")
    expect(mic).to_be_visible()
    expect(mic).to_have_attribute("aria-label", "语音输入")
    mic.click()
    expect(heard.locator(".ot-input")).to_have_value("身份证过期了")


def test_identical_replies_both_shown_and_timeout(browser, hall):
    page = new_page(browser)
    page.clock.install()
    open_widget(page, hall)
    say(page, "重复", replies=2)
    expect(page.locator(".ot-msg.ot-bot .ot-bubble", has_text="好的，已记录。")).to_have_count(2)
    expect(page.locator(".ot-typing")).to_be_hidden()
    # A reload shows both again (and the history replay does not add a third).
    page.reload()
    expect(page.locator(".ot-msg.ot-bot .ot-bubble", has_text="好的，已记录。")).to_have_count(2)
    expect(page.locator(".ot-status")).to_have_attribute("data-state", "online", timeout=15_000)

    say(page, "沉默", replies=0)
    expect(page.locator(".ot-typing")).to_be_visible()
    page.clock.run_for(16_000)
    note = page.locator(".ot-msg.ot-note.ot-timeout")
    expect(note).to_have_count(1)
    expect(note).to_contain_text("12345")
    expect(page.locator(".ot-typing")).to_be_hidden()


def test_human_banner(browser, hall):
    page = open_widget(new_page(browser), hall)
    banner = page.locator(".ot-humanbar")
    expect(banner).to_be_hidden()
    say(page, "转人工")
    expect(banner).to_have_text("正在为您服务：湖州市农业农村局 王工")
    page.reload()
    expect(page.locator(".ot-humanbar")).to_have_text("正在为您服务：湖州市农业农村局 王工")
    # While staff answer, no typing dots and no 15-second promise.
    say(page, "好的我拍一下", replies=1)
    expect(page.locator(".ot-typing")).to_be_hidden()
    say(page, "结束人工")
    expect(page.locator(".ot-humanbar")).to_be_hidden()


def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 80, 60)).save(out, "PNG")
    return out.getvalue()


PNG = _png()


def test_attachments_button_paste_progress_and_errors(browser, hall, tmp_path):
    page = open_widget(new_page(browser), hall)
    say(page, "你好")
    session = page.evaluate("window.OneTripWidget.session()")
    # No open ticket yet: the server's Chinese reason (409) is shown as it is.
    photo = tmp_path / "虾苗.png"
    photo.write_bytes(PNG)
    page.locator("input[type=file]").set_input_files(str(photo))
    state = page.locator(".ot-filemsg .ot-filestate").last
    expect(state).to_contain_text("当前会话没有正在处理的工单")

    ticket = httpx.post(f"{hall}/api/tickets", headers=SERVICE, timeout=10,
                        json=ticket_body(conversation_id=session, channel=Channel.SOCKETIO)).json()
    assert ticket["number"]
    page.locator("input[type=file]").set_input_files(str(photo))
    expect(page.locator(".ot-filemsg .ot-filestate").last).to_contain_text("已发送")

    fake = tmp_path / "photo.png"
    fake.write_text("<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>")
    page.locator("input[type=file]").set_input_files(str(fake))
    expect(page.locator(".ot-filemsg .ot-filestate").last).to_contain_text(re.compile("JPEG|PNG|格式|类型"))

    big = tmp_path / "big.pdf"
    big.write_bytes(b"%PDF-1.4\n" + b"0" * (11 * 1024 * 1024))
    # The progress bar lives only while the upload goes (on loopback, a moment): the request is held
    # until the bar has been seen, then goes on to the hall, which refuses it.
    held = []
    page.route("**/widget/attachments", lambda route: held.append(route))
    page.locator("input[type=file]").set_input_files(str(big))
    last = page.locator(".ot-filemsg .ot-filestate").last
    expect(last.locator("progress")).to_have_count(1)  # progress while it goes
    page.wait_for_function("true")  # let the held request reach the handler
    assert held, "the upload never started"
    held[0].continue_()
    page.unroute("**/widget/attachments")
    expect(last).to_contain_text("10", timeout=20_000)
    expect(last).to_have_class(re.compile("ot-error"))

    # Paste: a photo from the clipboard goes the same way.
    page.locator(".ot-input").evaluate("""(box) => {
      const bytes = Uint8Array.from(atob('%s'), c => c.charCodeAt(0));
      const data = new DataTransfer();
      data.items.add(new File([bytes], 'paste.png', {type: 'image/png'}));
      box.dispatchEvent(new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true}));
    }""" % __import__("base64").b64encode(PNG).decode())
    expect(page.locator(".ot-filemsg", has_text="paste.png").locator(".ot-filestate")).to_contain_text("已发送")
    assert not page.errors, page.errors


def test_widget_under_csp(browser, hall):
    """The demo page and the widget with the hall's CSP on: nothing refused."""
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    refused = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    open_widget(page, hall)
    say(page, "身份证快过期了")
    page.locator(".ot-elderbtn").click()
    expect(page.locator(".ot-card ol.ot-materials")).to_be_visible()
    assert not refused, refused
    context.close()


def test_console_pages_axe(browser, hall, make_user):
    make_user("li", "supervisor", "")
    ticket = httpx.post(f"{hall}/api/tickets", json=ticket_body(conversation_id="a11y-1"), headers=SERVICE, timeout=10).json()
    page = new_page(browser, viewport={"width": 1280, "height": 800})
    page.goto(f"{hall}/console/login")
    login_violations = axe(page)
    page.fill("input[name=username]", "li")
    page.fill("input[name=password]", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(re.compile(r".*/console/?(\?.*)?$"))
    found = {"login": login_violations}
    for name, path in (("queue", "/console"), ("ticket", f"/console/tickets/{ticket['number']}"),
                       ("dashboard", "/console/dashboard")):
        page.goto(hall + path)
        found[name] = axe(page)
    assert not any(found.values()), found
