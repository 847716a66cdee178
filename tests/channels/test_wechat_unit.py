"""The WeChat channel's pieces, in-process: request checks, de-duplication, passive vs outbox,
the outbox against a fake WeChat API (failures, recovery, restart), token refresh, choices."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any, Dict, List

import pytest
import xmltodict
from wechatpy import parse_message

from bot.channels.outbox import OutboxWorker
from bot.channels.wechat import BadRequest, WeChatInput, check_xml
from bot.channels.wechat_api import WeChatAPI, WeChatAPIError
from bot.channels.wechat_output import WeChatOutput, render_buttons, split_text
from bot.channels.wechat_store import ASYNC, PASSIVE, SENT, WeChatStore
from wechat_fakes import (
    AES_KEY, APP_ID, APP_SECRET, TOKEN, FakeWeChat, WeChatClient, event_xml, image_xml, text_xml, voice_xml,
)


class FakeArgs(dict):
    def get(self, key, default=None):  # Sanic's RequestParameters.get gives the first value
        return super().get(key, default)


class FakeRequest:
    def __init__(self, params: Dict[str, str], body: bytes, headers: Dict[str, str] = None) -> None:
        self.args = FakeArgs(params)
        self.body = body
        self.headers = headers or {}


class Bot:
    """Stands in for Rasa: counts the messages, answers after `delay`."""

    def __init__(self, delay: float = 0.0, answers: int = 1, buttons: List[Dict[str, str]] = None) -> None:
        self.delay, self.answers, self.buttons = delay, answers, buttons
        self.seen: List[Any] = []

    async def __call__(self, message) -> None:
        self.seen.append(message)
        await asyncio.sleep(self.delay)
        for i in range(self.answers):
            reply: Dict[str, Any] = {"text": f"答{i + 1}：{message.text}"}
            if self.buttons and i == self.answers - 1:
                reply["buttons"] = self.buttons
            await message.output_channel.send_response(message.sender_id, reply)


@pytest.fixture(scope="module")
def fake():
    api = FakeWeChat()
    yield api
    api.close()


@pytest.fixture
def channel(tmp_path, fake):
    return WeChatInput(token=TOKEN, app_id=APP_ID, app_secret=APP_SECRET, encoding_aes_key=AES_KEY,
                       api_base_url=fake.url, passive_seconds=1.0, db_url=f"sqlite:///{tmp_path / 'w.db'}")


client = WeChatClient("http://unused")


def msg(xml: str):
    return parse_message(xml)


# -- rendering and XML checks ------------------------------------------------------------------


def test_buttons_become_numbered_choices():
    text = render_buttons("您问的是下面哪一项？", [{"title": "身份证换领", "payload": "/a"}, {"title": "身份证补领"}])
    assert text == "您问的是下面哪一项？\n回复序号：\n1. 身份证换领\n2. 身份证补领"


def test_long_text_is_split_under_wechat_limit():
    pieces = split_text("\n".join(["办事指南第%d条：" % i + "中" * 100 for i in range(30)]))
    assert len(pieces) > 1 and all(len(p.encode()) <= 2000 for p in pieces)
    assert split_text("中" * 3000)[0] and all(len(p.encode()) <= 2000 for p in split_text("中" * 3000))


@pytest.mark.parametrize("body", [
    b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><Content>&xxe;</Content></xml>',
    b'<!DOCTYPE xml [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><xml><Content>&b;</Content></xml>',
    b"<xml><Content>unclosed</xml>",
    b"not xml at all",
    b"<html><body/></html>",
])
def test_bad_xml_is_refused(body):
    with pytest.raises(BadRequest) as refused:
        check_xml(body)
    assert refused.value.status == 400


# -- request checks ------------------------------------------------------------------------------------


def test_plain_and_encrypted_requests_are_read(channel):
    xml = text_xml("o-read", "你好", 101)
    message, encrypted = channel._read(FakeRequest(client.signed("o-read"), xml.encode()))
    assert (message.type, message.content, encrypted) == ("text", "你好", False)
    params, body = client.encrypted_request(xml)
    message, encrypted = channel._read(FakeRequest(params, body.encode()))
    assert (message.content, encrypted) == ("你好", True)


@pytest.mark.parametrize("tamper, status", [
    (lambda p, b: ({**p, "signature": "0" * 40}, b), 403),
    (lambda p, b: ({k: v for k, v in p.items() if k != "signature"}, b), 403),
    (lambda p, b: ({**p, "msg_signature": "0" * 40}, b), 403),
    (lambda p, b: (p, b[:60] + b"<!DOCTYPE x [<!ENTITY e 'x'>]>" + b[60:]), 400),
    (lambda p, b: (p, b + b" " * (64 * 1024)), 413),
])
def test_refused_requests(channel, tamper, status):
    params, body = client.encrypted_request(text_xml("o-bad", "你好", 102))
    params, body = tamper(params, body.encode())
    with pytest.raises(BadRequest) as refused:
        channel._read(FakeRequest(params, body))
    assert refused.value.status == status


def test_stale_timestamp_is_refused(channel):
    old = str(int(time.time()) - 3600)
    with pytest.raises(BadRequest) as refused:
        channel._read(FakeRequest(client.signed("o", timestamp=old), text_xml("o", "x", 1).encode()))
    assert refused.value.status == 403


# -- dedupe, passive and outbox ---------------------------------------------------------------------------


async def test_passive_reply_joins_the_bots_messages(channel):
    bot = Bot(answers=2)
    reply = await channel._handle(msg(text_xml("o-passive", "身份证到期", 201)), bot)
    assert reply == "答1：身份证到期\n\n答2：身份证到期"
    assert [m.sender_id for m in bot.seen] == ["o-passive"] and bot.seen[0].input_channel == "wechat"


async def test_retries_concurrent_and_sequential_are_processed_once(channel):
    bot = Bot(delay=0.3)
    message = msg(text_xml("o-retry", "公积金提取", 301))
    replies = await asyncio.gather(*(channel._handle(message, bot) for _ in range(3)))
    replies.append(await channel._handle(message, bot))
    assert len(bot.seen) == 1
    assert set(replies) == {"答1：公积金提取"}  # every try gets the first's outcome


async def test_slow_answer_goes_through_the_outbox(channel, fake):
    channel.passive_seconds = 0.2
    channel.outbox.start()
    try:
        bot = Bot(delay=0.6, answers=2)
        message = msg(text_xml("o-slow", "营业执照", 401))
        first = asyncio.ensure_future(channel._handle(message, bot))
        await asyncio.sleep(0.05)
        retry = await channel._handle(message, bot)  # a retry while the first still runs
        assert await first is None and retry is None
        assert channel.store.inbound("msg:401").status == ASYNC
        assert await asyncio.to_thread(fake.wait_for, "o-slow", 2) == ["答1：营业执照", "答2：营业执照"]
        assert len(bot.seen) == 1
    finally:
        await channel.outbox.stop()


async def test_outbox_survives_api_outage_and_restart(tmp_path, fake):
    db = f"sqlite:///{tmp_path / 'outbox.db'}"
    store = WeChatStore(db)
    worker = OutboxWorker(store, WeChatAPI(APP_ID, APP_SECRET, fake.url, store), retry_base=0.05, poll=0.05)
    fake.fail("http")
    try:
        out = WeChatOutput(worker)
        await out.send_text_message("o-outage", "第一条")
        await out.send_text_message("o-outage", "第二条")
        for _ in range(3):
            await worker.drain_once()
            await asyncio.sleep(0.15)
        counts = store.outbox_counts()
        assert counts == {"pending": 2} and fake.texts_to("o-outage") == []
        store.close()  # "restart": a new store and worker on the same database
        store = WeChatStore(db)
        worker = OutboxWorker(store, WeChatAPI(APP_ID, APP_SECRET, fake.url, store), retry_base=0.05, poll=0.05)
        fake.recover()
        worker.start()
        assert await asyncio.to_thread(fake.wait_for, "o-outage", 2, 10) == ["第一条", "第二条"]
        await asyncio.sleep(0.2)
        assert store.outbox_counts() == {SENT: 2}
    finally:
        fake.recover()
        await worker.stop()
        await worker.api.aclose()


async def test_busy_errcode_is_retried(tmp_path, fake):
    store = WeChatStore(f"sqlite:///{tmp_path / 'busy.db'}")
    worker = OutboxWorker(store, WeChatAPI(APP_ID, APP_SECRET, fake.url, store), retry_base=0.05, poll=0.05)
    fake.fail("busy", count=2)
    try:
        worker.start()
        await worker.enqueue("o-busy", ["系统繁忙后送达"])
        assert await asyncio.to_thread(fake.wait_for, "o-busy", 1, 10) == ["系统繁忙后送达"]
    finally:
        fake.recover()
        await worker.stop()
        await worker.api.aclose()


async def test_access_token_cached_shared_and_refreshed(tmp_path, fake):
    store = WeChatStore(f"sqlite:///{tmp_path / 'token.db'}")
    api = WeChatAPI(APP_ID, APP_SECRET, fake.url, store)
    before = fake.token_requests
    for i in range(3):
        await api.send({"touser": "o-token", "msgtype": "text", "text": {"content": f"t{i}"}})
    assert fake.token_requests == before + 1
    second = WeChatAPI(APP_ID, APP_SECRET, fake.url, store)  # another server: same token from the DB
    await second.send({"touser": "o-token", "msgtype": "text", "text": {"content": "t3"}})
    assert fake.token_requests == before + 1
    fake.expire_tokens()  # WeChat answers 42001: refresh once and resend
    await api.send({"touser": "o-token", "msgtype": "text", "text": {"content": "t4"}})
    assert fake.token_requests == before + 2
    assert fake.texts_to("o-token") == ["t0", "t1", "t2", "t3", "t4"]
    bad = WeChatAPI(APP_ID, "wrong-secret", fake.url, WeChatStore(f"sqlite:///{tmp_path / 'bad.db'}"))
    with pytest.raises(WeChatAPIError):
        await bad.send({"touser": "o-token", "msgtype": "text", "text": {"content": "x"}})
    await api.aclose(), await second.aclose(), await bad.aclose()


# -- message types ---------------------------------------------------------------------------------------


async def test_message_types(channel):
    bot = Bot()
    welcome = await channel._handle(msg(event_xml("o-types", "subscribe")), bot)
    assert "欢迎关注" in welcome and "转人工" in welcome
    assert await channel._handle(msg(event_xml("o-types", "CLICK", "ASK_TICKET", created=1)), bot) == "答1：/ticket_status"
    assert await channel._handle(msg(event_xml("o-types", "CLICK", "HUMAN", created=2)), bot) == "答1：/human_handoff"
    assert "菜单" in await channel._handle(msg(event_xml("o-types", "CLICK", "NOPE", created=3)), bot)
    assert await channel._handle(msg(voice_xml("o-types", 501, "身份证过期了怎么办。")), bot) == "答1：身份证过期了怎么办。"
    assert "语音" in await channel._handle(msg(voice_xml("o-types", 502, None)), bot)
    assert "图片" in await channel._handle(msg(image_xml("o-types", 503)), bot)
    assert await channel._handle(msg(event_xml("o-types", "unsubscribe", created=4)), bot) is None
    # typed "/intent{...}" is not an intent: only the menu map speaks intents
    assert await channel._handle(msg(text_xml("o-types", '/rate{"rating": "1"}', 504)), bot) == '答1：rate{"rating": "1"}'
    assert [m.text for m in bot.seen] == ["/ticket_status", "/human_handoff", "身份证过期了怎么办。", 'rate{"rating": "1"}']


async def test_numbered_reply_sends_the_chosen_buttons_payload(channel):
    rating = [{"title": "非常满意", "payload": '/rate{"rating": "5"}'},
              {"title": "非常不满意", "payload": '/rate{"rating": "1"}'}]
    bot = Bot(buttons=rating)
    reply = await channel._handle(msg(text_xml("o-choice", "谢谢", 601)), bot)
    assert reply.endswith("回复序号：\n1. 非常满意\n2. 非常不满意")
    plain = Bot()
    await channel._handle(msg(text_xml("o-choice", "1", 602)), plain)
    assert plain.seen[0].text == '/rate{"rating": "5"}'
    await channel._handle(msg(text_xml("o-choice", "1", 603)), plain)  # the offer is used up
    assert plain.seen[1].text == "1"


async def test_staff_reply_goes_through_the_outbox(channel, fake):
    output = channel.get_output_channel()
    assert output.name() == "wechat"
    await output.send_response("o-staff", {"text": "【工作人员】您好", "custom": {"handoff": True}})
    rows = channel.store.claim_due()
    assert [r.payload for r in rows] == [{"touser": "o-staff", "msgtype": "text", "text": {"content": "【工作人员】您好"}}]


# -- the same database code on PostgreSQL (several Rasa servers share one) --------------------------


@pytest.mark.postgres
def test_store_on_postgresql():
    import os

    url = os.environ.get("ONETRIP_TEST_WECHAT_PG")
    if not url:
        pytest.skip("set ONETRIP_TEST_WECHAT_PG=postgresql://… to run against PostgreSQL")
    one, two = WeChatStore(url), WeChatStore(url)  # two servers
    key = f"msg:pg-{time.time_ns()}"
    assert one.claim(key, "o-pg") and not two.claim(key, "o-pg")
    one.finish(key, PASSIVE, "答")
    assert two.inbound(key).reply == "答"
    openid = f"o-pg-{time.time_ns()}"
    one.enqueue(openid, [{"n": 1}, {"n": 2}])
    claimed = [r for r in one.claim_due() + two.claim_due() if r.openid == openid]
    assert [r.payload for r in claimed] == [{"n": 1}]  # one server, first message only
    one.mark_sent(claimed[0].id)
    assert [r.payload for r in two.claim_due() if r.openid == openid] == [{"n": 2}]
    one.store_token("wx-pg", "t1", time.time() + 60)
    two.store_token("wx-pg", "t2", time.time() + 60)
    assert one.stored_token("wx-pg")[0] == "t2"
    one.offer_choices(openid, ["/a", "/b"])
    two.offer_choices(openid, ["/c", "/d"])
    assert one.take_choice(openid, 2, 60) == "/d" and two.take_choice(openid, 1, 60) is None
    one.close(), two.close()
