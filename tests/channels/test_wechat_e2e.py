"""The WeChat channel against the real stack (`onetrip up`) and a fake WeChat API on loopback.

The action server sits behind a proxy whose delay the tests set, to make the bot slower than
WeChat's five seconds; everything else is the real Rasa, action server and hall.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
import pytest

from stack import Stack, free_port, start_stack
from wechat_fakes import (
    ACCOUNT, AES_KEY, APP_ID, APP_SECRET, TOKEN, FakeWeChat, SlowProxy, WeChatClient, event_xml, reply_of,
    text_xml,
)

pytestmark = pytest.mark.e2e


@dataclass
class WeChatEnv:
    stack: Stack
    fake: FakeWeChat
    proxy: SlowProxy
    client: WeChatClient

    def outbox(self, openid: str):
        with sqlite3.connect(self.stack.var_dir / "wechat.db") as db:
            return db.execute("SELECT status, attempts FROM wechat_outbox WHERE openid = ? ORDER BY id",
                              (openid,)).fetchall()

    def events(self, openid: str, kind: str):
        return [e for e in self.stack.tracker(openid)["events"] if e["event"] == kind]


@pytest.fixture(scope="module")
def wx(tmp_path_factory):
    fake = FakeWeChat()
    actions_port = free_port()
    proxy = SlowProxy(f"http://127.0.0.1:{actions_port}")
    stack = start_stack(tmp_path_factory.mktemp("wechat-var"), {
        "WECHAT_TOKEN": TOKEN, "WECHAT_APP_ID": APP_ID, "WECHAT_APP_SECRET": APP_SECRET,
        "WECHAT_ENCODING_AES_KEY": AES_KEY, "WECHAT_API_BASE": fake.url,
        "ACTIONS_PORT": str(actions_port), "ONETRIP_ACTION_ENDPOINT": f"{proxy.url}/webhook",
        "ONETRIP_WECHAT_RETRY_BASE": "0.5", "ONETRIP_WECHAT_OUTBOX_POLL": "0.5",
        "ONETRIP_WECHAT_PASSIVE_SECONDS": "4",
    })
    # One message first, as a running server has had: the first one after start loads what the
    # pipeline loads lazily (seconds on a busy machine), which the 4 s passive-reply budget is not for.
    httpx.post(f"{stack.rasa_url}/webhooks/rest/webhook", json={"sender": "warm-up", "message": "你好"}, timeout=120)
    try:
        yield WeChatEnv(stack, fake, proxy, WeChatClient(stack.rasa_url + "/webhooks/wechat/webhook"))
    finally:
        stack.stop()
        proxy.close()
        fake.close()


def openid() -> str:
    return "o" + uuid.uuid4().hex[:27]  # OpenIDs are 28 characters


def msg_id() -> int:
    return int(time.time() * 1000) * 100 + uuid.uuid4().int % 100


def test_get_verification(wx):
    ok = wx.client.verify("echo-5678")
    assert ok.status_code == 200 and ok.text == "echo-5678"
    assert wx.client.verify("echo", signature="0" * 40).status_code == 403


def test_plaintext_message_gets_a_passive_reply(wx):
    user = openid()
    response = wx.client.post_plain(text_xml(user, "你好", msg_id()))
    assert response.status_code == 200
    reply = reply_of(response)
    assert reply["MsgType"] == "text" and reply["ToUserName"] == user and reply["FromUserName"] == ACCOUNT
    assert "一次办" in reply["Content"]
    assert len(wx.events(user, "user")) == 1
    assert wx.stack.tracker(user)["latest_input_channel"] == "wechat"


def test_encrypted_message_gets_an_encrypted_reply(wx):
    user = openid()
    response = wx.client.post_encrypted(text_xml(user, "你好", msg_id()))
    assert response.status_code == 200
    assert "<Encrypt>" in response.text and "一次办" not in response.text
    reply = wx.client.decrypt_reply(response.text)
    assert reply["ToUserName"] == user and "一次办" in reply["Content"]


def test_subscribe_gets_the_welcome(wx):
    reply = reply_of(wx.client.post_plain(event_xml(openid(), "subscribe")))
    assert "欢迎关注" in reply["Content"] and "转人工" in reply["Content"]


def test_same_msgid_three_times_is_answered_once(wx):
    user, mid = openid(), msg_id()
    xml = text_xml(user, "你好", mid)
    with ThreadPoolExecutor(3) as pool:  # WeChat's retries racing the first try
        concurrent = list(pool.map(lambda _: wx.client.post_plain(xml), range(3)))
    sequential = [wx.client.post_plain(xml) for _ in range(3)]
    assert all(r.status_code == 200 for r in concurrent + sequential)
    contents = {reply_of(r)["Content"] for r in concurrent + sequential if reply_of(r)}
    assert len(contents) == 1 and "一次办" in contents.pop()
    assert len(wx.events(user, "user")) == 1
    assert len(wx.events(user, "bot")) == 1
    time.sleep(1)
    assert wx.fake.texts_to(user) == []  # answered passively, nothing extra sent


def test_slow_answer_is_success_then_customer_service_message(wx):
    user, mid = openid(), msg_id()
    xml = text_xml(user, "身份证的事", mid)
    wx.proxy.delay = 6.0
    try:
        started = time.monotonic()
        first = wx.client.post_plain(xml, timeout=10)
        assert time.monotonic() - started < 5.0  # inside WeChat's five seconds
        assert first.text == "success"
        retry = wx.client.post_plain(xml, timeout=10)  # WeChat's retry while the bot still works
        assert retry.text == "success"
        texts = wx.fake.wait_for(user, 1, timeout=30)
    finally:
        wx.proxy.delay = 0.0
    assert "回复序号" in texts[0] and "1. " in texts[0] and "2. " in texts[0]
    assert len(wx.events(user, "user")) == 1
    assert all(status == "sent" for status, _ in wx.outbox(user))
    # The citizen answers the numbered question with a bare number: the chosen matter's guide.
    answer = reply_of(wx.client.post_plain(text_xml(user, "2", msg_id())))
    assert answer and answer["Content"].startswith("【"), answer


def test_api_outage_loses_nothing(wx):
    user = openid()
    wx.client.post_plain(text_xml(user, "你好", msg_id()))
    wx.fake.fail("http")
    try:
        relay(wx, user, "您好，材料已收到")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not any(a >= 2 for _, a in wx.outbox(user)):
            time.sleep(0.2)
        assert wx.outbox(user) and wx.outbox(user)[0][0] == "pending" and wx.outbox(user)[0][1] >= 2
        assert wx.fake.texts_to(user) == []
    finally:
        wx.fake.recover()
    assert wx.fake.wait_for(user, 1, timeout=30) == ["【工作人员】您好，材料已收到"]
    time.sleep(0.5)
    assert wx.outbox(user) and all(status == "sent" for status, _ in wx.outbox(user))


def relay(wx: WeChatEnv, user: str, text: str) -> None:
    token = wx.stack.secret("RASA_TOKEN")
    base = f"{wx.stack.rasa_url}/conversations/{user}"
    httpx.post(f"{base}/tracker/events", params={"token": token},
               json=[{"event": "slot", "name": "staff_message", "value": text}], timeout=10).raise_for_status()
    httpx.post(f"{base}/execute", params={"output_channel": "latest", "token": token},
               json={"name": "action_relay_staff_message"}, timeout=30).raise_for_status()


def test_staff_reply_reaches_wechat(wx):
    user = openid()
    wx.client.post_plain(text_xml(user, "你好", msg_id()))
    relay(wx, user, "您好")
    assert wx.fake.wait_for(user, 1, timeout=20) == ["【工作人员】您好"]


def test_bad_signature_is_403_and_not_processed(wx):
    user = openid()
    params = {**wx.client.signed(user), "signature": "0" * 40}
    response = wx.client.post_plain(text_xml(user, "你好", msg_id()), params=params)
    assert response.status_code == 403
    assert wx.events(user, "user") == []


def test_entity_xml_is_400(wx):
    user = openid()
    body = ('<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            f"<xml><ToUserName>{ACCOUNT}</ToUserName><FromUserName>{user}</FromUserName>"
            f"<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&xxe;</Content><MsgId>1</MsgId></xml>")
    response = wx.client.post_plain(body, params=wx.client.signed(user))
    assert response.status_code == 400
    assert wx.client.post_plain("<xml><Content>", params=wx.client.signed(user)).status_code == 400
    assert wx.events(user, "user") == []


def test_oversized_body_is_413(wx):
    user = openid()
    body = text_xml(user, "你" * (22 * 1024), msg_id())  # 66 KiB of UTF-8
    assert len(body.encode()) > 65 * 1024
    assert wx.client.post_plain(body, params=wx.client.signed(user)).status_code == 413
    assert wx.events(user, "user") == []
