"""Issue 19, chat abuse, as an attacker sends it: typed `/intent` payloads, floods, 60 KB messages,
replayed WeChat signatures. In-process (no model): the channels' blueprints with a stand-in for Rasa."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any, Dict, List

import httpx
import pytest

from bot.channels import payloads
from bot.ratelimit import Limiter, MemoryBuckets, RedisBuckets, reset_limiter

ROOT = Path(__file__).resolve().parents[2]
RATE = [{"title": "非常满意", "payload": '/rate{"rating": "5"}'},
        {"title": "非常不满意", "payload": '/rate{"rating": "1"}'}]


class Event:
    def __init__(self, type_name: str, data: Dict[str, Any] = None) -> None:
        self.type_name, self.data = type_name, data or {}


class Tracker:
    def __init__(self, events: List[Event]) -> None:
        self.events = events


class Store:
    def __init__(self) -> None:
        self.trackers: Dict[str, Tracker] = {}

    async def retrieve(self, sender_id: str):
        return self.trackers.get(sender_id)


class Agent:
    def __init__(self) -> None:
        self.tracker_store = Store()


@pytest.fixture(autouse=True)
def fresh_limits(monkeypatch):
    monkeypatch.delenv("ONETRIP_RATE_LIMIT_REDIS_URL", raising=False)
    monkeypatch.delenv("ONETRIP_SOCKETIO_REDIS_URL", raising=False)
    reset_limiter()
    yield
    reset_limiter()


# -- typed payloads ----------------------------------------------------------------------------------


def test_only_offered_payloads_pass():
    events = [Event("user"), Event("bot", {"buttons": RATE}), Event("bot", {"text": "还有别的吗"})]
    offered = payloads.offered_payloads(events)
    assert offered == {'/rate{"rating": "5"}', '/rate{"rating": "1"}'}
    assert payloads.screen('/rate{"rating": "1"}', offered) == '/rate{"rating": "1"}'
    # Typed, not offered: plain text for the NLU.
    assert payloads.screen('/rate{"rating": "3"}', offered) == 'rate{"rating": "3"}'
    assert payloads.screen("/restart", offered) == "restart"
    assert payloads.screen('/open_ticket{"ticket_kind": "complaint"}', set()) == 'open_ticket{"ticket_kind": "complaint"}'
    assert payloads.screen("身份证过期了", set()) == "身份证过期了"
    # The widget's standing 转人工 button.
    assert payloads.screen("/human_handoff", set()) == "/human_handoff"
    # Buttons of an earlier turn are no longer on offer.
    later = events + [Event("user"), Event("bot", {"text": "好的"})]
    assert payloads.offered_payloads(later) == set()
    # The tracker's JSON form works the same.
    as_json = [{"event": "user"}, {"event": "bot", "data": {"quick_replies": RATE}}]
    assert payloads.offered_payloads(as_json) == offered


async def test_screen_reads_the_senders_tracker():
    agent = Agent()
    agent.tracker_store.trackers["me"] = Tracker([Event("user"), Event("bot", {"buttons": RATE})])
    assert await payloads.screen_for(agent, "me", '/rate{"rating": "1"}') == '/rate{"rating": "1"}'
    assert await payloads.screen_for(agent, "other", '/rate{"rating": "1"}') == 'rate{"rating": "1"}'
    assert await payloads.screen_for(None, "me", "/human_handoff") == "/human_handoff"


# -- rate limits -------------------------------------------------------------------------------------


async def test_token_buckets_per_sender_and_address():
    limiter = Limiter(MemoryBuckets(), {"messages_sender": (3, 60), "messages_address": (5, 60)})
    assert [await limiter.allow("messages", "s1", "10.0.0.1") for _ in range(4)] == [True, True, True, False]
    # New sender ids from the same address: the address bucket (5) runs out.
    fresh = [await limiter.allow("messages", f"new-{i}", "10.0.0.1") for i in range(4)]
    assert fresh == [True, True, False, False]
    assert await limiter.allow("messages", "s2", "10.0.0.2")  # another address is not affected
    buckets = MemoryBuckets()
    assert await buckets.take("k", 1, 60, now=0.0) and not await buckets.take("k", 1, 60, now=1.0)
    assert await buckets.take("k", 1, 60, now=61.0)  # refilled


@pytest.mark.skipif(not shutil.which("redis-server"), reason="redis-server is not installed")
async def test_redis_buckets_are_shared_by_servers():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        limits = {"lookups_sender": (2, 300)}
        a = Limiter(RedisBuckets(f"redis://127.0.0.1:{port}/0"), limits)
        b = Limiter(RedisBuckets(f"redis://127.0.0.1:{port}/0"), limits)  # another Rasa server
        assert [await a.allow("lookups", "scanner"), await b.allow("lookups", "scanner"),
                await a.allow("lookups", "scanner"), await b.allow("lookups", "scanner")] == [True, True, False, False]
    finally:
        server.terminate()
        server.wait(10)
    # Redis gone: no limit, and no error for the citizen.
    assert await a.allow("lookups", "someone")


def test_forwarded_address_only_from_a_trusted_proxy(monkeypatch):
    monkeypatch.delenv("ONETRIP_TRUSTED_PROXIES", raising=False)
    assert payloads.client_address("203.0.113.9", "1.2.3.4") == "203.0.113.9"  # spoofed header ignored
    monkeypatch.setenv("ONETRIP_TRUSTED_PROXIES", "10.0.0.0/8")
    assert payloads.client_address("10.0.0.5", "1.2.3.4, 198.51.100.7") == "198.51.100.7"
    assert payloads.client_address("203.0.113.9", "1.2.3.4") == "203.0.113.9"


# -- the REST webhook, in-process -------------------------------------------------------------------


REST_SERVER = textwrap.dedent(
    """
    import json, sys
    from types import SimpleNamespace
    from sanic import Sanic, response
    from bot.channels.rest import RestInput
    
    port = int(sys.argv[1])
    seen, trackers = [], {}

    class Store:
        async def retrieve(self, sender_id):
            return trackers.get(sender_id)

    async def on_new_message(message):
        seen.append(message.text)
        await message.output_channel.send_text_message(message.sender_id, "好的")

    app = Sanic("rest_abuse")
    app.ctx.agent = SimpleNamespace(tracker_store=Store())
    app.blueprint(RestInput().blueprint(on_new_message), url_prefix="/webhooks/rest")

    @app.post("/offer/<sender>")
    async def offer(request, sender):  # the bot's last turn offered these buttons
        trackers[sender] = SimpleNamespace(events=[{"event": "user"}, {"event": "bot", "data": {"buttons": request.json}}])
        return response.json({"ok": True})

    @app.get("/seen")
    async def what_rasa_saw(request):
        return response.json(seen)

    app.run(host="127.0.0.1", port=port, access_log=False, motd=False)
    """
)


@pytest.fixture
def rest(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    script = tmp_path / "rest_server.py"
    script.write_text(REST_SERVER)
    env = {**os.environ, "ONETRIP_RATE_MESSAGES_SENDER": "5/60", "ONETRIP_RATE_MESSAGES_ADDRESS": "8/60"}
    env.pop("ONETRIP_TRUSTED_PROXIES", None)
    proc = subprocess.Popen([sys.executable, str(script), str(port)], cwd=ROOT, env=env,
                            stdout=(tmp_path / "rest.log").open("wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                httpx.get(url + "/seen", timeout=1)
                break
            except httpx.HTTPError:
                assert proc.poll() is None, (tmp_path / "rest.log").read_text()
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def post(url, sender: str, message: str, **headers: str):
    return httpx.post(url + "/webhooks/rest/webhook", json={"sender": sender, "message": message},
                      headers=headers, timeout=30)


def test_rest_typed_payloads_become_text_unless_offered(rest):
    post(rest, "citizen", '/rate{"rating": "1"}')
    post(rest, "citizen", "/human_handoff")
    httpx.post(rest + "/offer/citizen", json=RATE, timeout=10)
    post(rest, "citizen", '/rate{"rating": "1"}')
    post(rest, "citizen", '/rate{"rating": "3"}')  # a level the buttons did not offer
    assert httpx.get(rest + "/seen").json() == ['rate{"rating": "1"}', "/human_handoff", '/rate{"rating": "1"}',
                                                'rate{"rating": "3"}']


def test_rest_long_message_is_refused_fast_with_a_reply(rest):
    started = time.monotonic()
    response = post(rest, "long", "长" * 21000)  # 63 KB of UTF-8
    assert time.monotonic() - started < 1.0
    assert response.status_code == 200
    reply = response.json()
    assert reply[0]["recipient_id"] == "long" and "太长" in reply[0]["text"] and "2000" in reply[0]["text"]
    assert httpx.get(rest + "/seen").json() == []  # Rasa never saw it
    assert post(rest, "long", "长" * 2000).json()[0]["text"] == "好的"  # at the cap: processed


def test_rest_flood_is_answered_politely_not_5xx(rest):
    replies = [post(rest, "flood", f"工单 ZJ20270105-{i:04d}") for i in range(7)]
    assert all(r.status_code == 200 for r in replies)
    assert [r.json()[0]["text"] == "好的" for r in replies] == [True] * 5 + [False] * 2
    assert "太快" in replies[-1].json()[0]["text"]
    # Rotating sender ids and spoofing X-Forwarded-For from one address: the address limit (8) holds.
    rotated = [post(rest, f"rotate-{i}", "你好", **{"X-Forwarded-For": f"198.51.100.{i}"}).json()[0]["text"]
               for i in range(5)]
    assert rotated.count("好的") == 3
    assert len(httpx.get(rest + "/seen").json()) == 8
    # Rasa's /metrics counts them (Prometheus text format).
    exposition = httpx.get(rest + "/webhooks/rest/metrics", timeout=10).text
    assert 'onetrip_messages_refused_total{reason="rate"} 4.0' in exposition
    assert 'onetrip_messages_total{channel="rest"} 8.0' in exposition
    assert "onetrip_admission_wait_seconds_bucket" in exposition


def test_length_cap_is_a_setting(monkeypatch):
    monkeypatch.setenv("ONETRIP_MAX_MESSAGE_CHARS", "10")
    assert payloads.too_long("一二三四五六七八九十") is None
    assert "10" in payloads.too_long("一二三四五六七八九十一")


# -- WeChat: a replayed plaintext-mode signature, a long message ----------------------------------


class _Args(dict):
    def get(self, key, default=None):
        return super().get(key, default)


class _Request:
    def __init__(self, params: Dict[str, str], body: bytes) -> None:
        self.args, self.body, self.headers = _Args(params), body, {}


@pytest.fixture
def wechat(tmp_path):
    from bot.channels.wechat import WeChatInput
    from wechat_fakes import APP_ID, APP_SECRET, TOKEN

    return WeChatInput(token=TOKEN, app_id=APP_ID, app_secret=APP_SECRET, api_base_url="http://127.0.0.1:9",
                       passive_seconds=1.0, db_url=f"sqlite:///{tmp_path / 'w.db'}")


def test_wechat_signature_is_accepted_once(wechat):
    from bot.channels.wechat import BadRequest
    from wechat_fakes import WeChatClient, text_xml

    client = WeChatClient("http://unused")
    params = client.signed("o-victim")  # captured from a real request (the signature omits the body)
    original = text_xml("o-victim", "你好", 9001).encode()
    assert wechat._read(_Request(params, original))[0].content == "你好"
    # WeChat's own retry of the same request: still read (the de-duplication answers it).
    assert wechat._read(_Request(params, original))[0].content == "你好"
    # The attacker's replay within the 10-minute window, with another body: refused.
    forged = text_xml("o-victim", '转人工，投诉', 9002).encode()
    with pytest.raises(BadRequest) as refused:
        wechat._read(_Request(params, forged))
    assert refused.value.status == 403 and "replay" in str(refused.value)
    # Another citizen's message with its own nonce is unaffected.
    assert wechat._read(_Request(client.signed("o-other"), text_xml("o-other", "在吗", 9003).encode()))


async def test_wechat_long_message_gets_the_same_reply(wechat, monkeypatch):
    from wechatpy import parse_message
    from wechat_fakes import text_xml

    monkeypatch.setenv("ONETRIP_MAX_MESSAGE_CHARS", "50")
    seen = []

    async def bot(message):
        seen.append(message.text)

    reply = await wechat._handle(parse_message(text_xml("o-long", "长" * 51, 9101)), bot)
    assert "太长" in reply and "50" in reply and seen == []
