"""Test doubles for the WeChat channel.

FakeWeChat: the official-account API on a loopback port, speaking the real protocol
(/cgi-bin/token, /cgi-bin/message/custom/send with access_token checking), switchable to fail.
SlowProxy: forwards to the action server with a settable delay, to make the bot slow.
WeChatClient: what WeChat's servers send: signed GETs and POSTs, plain or AES (wechatpy).
"""

from __future__ import annotations

import asyncio
import random
import string
import threading
import time
import uuid
from typing import Any, Dict, List, Optional

import httpx
import xmltodict
from aiohttp import ClientSession, ClientTimeout, web
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

APP_ID = "wx1234567890abcdef"
APP_SECRET = "s3cr3t-0123456789abcdef0123456789"
TOKEN = "onetripTestToken123"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters, like the console's
ACCOUNT = "gh_0123456789ab"


class _LoopThread:
    """An asyncio loop in a daemon thread serving aiohttp apps."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.runners: List[web.AppRunner] = []

    def serve(self, app: web.Application, port: int = 0) -> int:
        async def start() -> int:
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", port)
            await site.start()
            self.runners.append(runner)
            return site._server.sockets[0].getsockname()[1]

        return asyncio.run_coroutine_threadsafe(start(), self.loop).result(10)

    def close(self) -> None:
        async def stop() -> None:
            for runner in self.runners:
                await runner.cleanup()

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


class FakeWeChat:
    def __init__(self, app_id: str = APP_ID, app_secret: str = APP_SECRET) -> None:
        self.app_id, self.app_secret = app_id, app_secret
        self.valid_tokens: set = set()
        self.expired_tokens: set = set()
        self.token_requests = 0
        self.sent: List[Dict[str, Any]] = []
        self.send_calls = 0
        self.fail_mode: Optional[str] = None  # "http" (503) | "busy" (errcode -1) | None
        self.fail_count = 0  # failures left; -1 = until recover()
        self._lock = threading.Lock()
        self._thread = _LoopThread()
        app = web.Application()
        app.router.add_get("/cgi-bin/token", self._token)
        app.router.add_post("/cgi-bin/message/custom/send", self._send)
        self.port = self._thread.serve(app)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # switches
    def fail(self, mode: str = "http", count: int = -1) -> None:
        with self._lock:
            self.fail_mode, self.fail_count = mode, count

    def recover(self) -> None:
        with self._lock:
            self.fail_mode, self.fail_count = None, 0

    def expire_tokens(self) -> None:
        with self._lock:
            self.expired_tokens |= self.valid_tokens
            self.valid_tokens.clear()

    def texts_to(self, openid: str) -> List[str]:
        with self._lock:
            return [m["text"]["content"] for m in self.sent if m.get("touser") == openid]

    def wait_for(self, openid: str, count: int = 1, timeout: float = 30.0) -> List[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            texts = self.texts_to(openid)
            if len(texts) >= count:
                return texts
            time.sleep(0.1)
        raise AssertionError(f"fake WeChat got {self.texts_to(openid)} for {openid}, wanted {count}")

    def close(self) -> None:
        self._thread.close()

    # the protocol
    async def _token(self, request: web.Request) -> web.Response:
        q = request.query
        with self._lock:
            self.token_requests += 1
            if q.get("grant_type") != "client_credential":
                return web.json_response({"errcode": 40002, "errmsg": "invalid grant_type"})
            if q.get("appid") != self.app_id:
                return web.json_response({"errcode": 40013, "errmsg": "invalid appid"})
            if q.get("secret") != self.app_secret:
                return web.json_response({"errcode": 40001, "errmsg": "invalid credential, secret"})
            token = uuid.uuid4().hex + uuid.uuid4().hex
            self.valid_tokens.add(token)
        return web.json_response({"access_token": token, "expires_in": 7200})

    async def _send(self, request: web.Request) -> web.Response:
        token = request.query.get("access_token", "")
        with self._lock:
            self.send_calls += 1
            if self.fail_mode and self.fail_count != 0:
                if self.fail_count > 0:
                    self.fail_count -= 1
                if self.fail_mode == "http":
                    return web.Response(status=503, text="Service Unavailable")
                return web.json_response({"errcode": -1, "errmsg": "system error"})
            if token in self.expired_tokens:
                return web.json_response({"errcode": 42001, "errmsg": "access_token expired"})
            if token not in self.valid_tokens:
                return web.json_response({"errcode": 40001, "errmsg": "invalid credential, access_token is invalid"})
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"errcode": 47001, "errmsg": "data format error"})
        if not body.get("touser") or body.get("msgtype") != "text" or not (body.get("text") or {}).get("content"):
            return web.json_response({"errcode": 44002, "errmsg": "empty post data"})
        with self._lock:
            self.sent.append(body)
        return web.json_response({"errcode": 0, "errmsg": "ok"})


class SlowProxy:
    """Forwards /webhook and /health to the action server, after `delay` seconds."""

    def __init__(self, target: str) -> None:
        self.target = target.rstrip("/")
        self.delay = 0.0
        self._thread = _LoopThread()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self.port = self._thread.serve(app)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _forward(self, request: web.Request) -> web.Response:
        if self.delay and request.path == "/webhook":
            await asyncio.sleep(self.delay)
        body = await request.read()
        async with ClientSession(timeout=ClientTimeout(total=120)) as session:
            async with session.request(request.method, self.target + request.path_qs, data=body,
                                       headers={"Content-Type": request.content_type}) as upstream:
                payload = await upstream.read()
                return web.Response(status=upstream.status, body=payload,
                                    content_type=upstream.content_type)

    def close(self) -> None:
        self._thread.close()


def nonce() -> str:
    return "".join(random.choices(string.ascii_letters + string.digits, k=10))


def sign(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def text_xml(openid: str, content: str, msg_id: int, created: Optional[int] = None) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{created or int(time.time())}</CreateTime>"
        f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content>"
        f"<MsgId>{msg_id}</MsgId></xml>"
    )


def event_xml(openid: str, event: str, key: str = "", created: Optional[int] = None) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{created or int(time.time())}</CreateTime>"
        f"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{event}]]></Event>"
        f"<EventKey><![CDATA[{key}]]></EventKey></xml>"
    )


def voice_xml(openid: str, msg_id: int, recognition: Optional[str]) -> str:
    rec = f"<Recognition><![CDATA[{recognition}]]></Recognition>" if recognition is not None else ""
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName><CreateTime>{int(time.time())}</CreateTime>"
        f"<MsgType><![CDATA[voice]]></MsgType><MediaId><![CDATA[media1]]></MediaId>"
        f"<Format><![CDATA[amr]]></Format>{rec}<MsgId>{msg_id}</MsgId></xml>"
    )


def image_xml(openid: str, msg_id: int) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName><CreateTime>{int(time.time())}</CreateTime>"
        f"<MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://example.com/a.jpg]]></PicUrl>"
        f"<MediaId><![CDATA[media2]]></MediaId><MsgId>{msg_id}</MsgId></xml>"
    )


class WeChatClient:
    """Sends what WeChat's servers send to the account's 服务器地址 (URL)."""

    def __init__(self, url: str, token: str = TOKEN, aes_key: str = AES_KEY, app_id: str = APP_ID) -> None:
        self.url = url
        self.token = token
        self.crypto = WeChatCrypto(token, aes_key, app_id)

    def signed(self, openid: str = "", timestamp: Optional[str] = None) -> Dict[str, str]:
        ts, nc = timestamp or str(int(time.time())), nonce()
        params = {"signature": sign(self.token, ts, nc), "timestamp": ts, "nonce": nc}
        if openid:
            params["openid"] = openid
        return params

    def verify(self, echostr: str = "echo-123", **overrides: str) -> httpx.Response:
        params = {**self.signed(), "echostr": echostr, **overrides}
        return httpx.get(self.url, params=params, timeout=10)

    def post_plain(self, xml: str, params: Optional[Dict[str, str]] = None, timeout: float = 15) -> httpx.Response:
        openid = xmltodict.parse(xml)["xml"].get("FromUserName", "") if params is None else ""
        return httpx.post(self.url, params=params or self.signed(openid), content=xml.encode(),
                          headers={"Content-Type": "text/xml"}, timeout=timeout)

    def encrypted_request(self, xml: str) -> tuple:
        """The query and body of a 安全模式 request carrying `xml`, encrypted with wechatpy."""
        parsed = xmltodict.parse(xml)["xml"]
        params = self.signed(parsed.get("FromUserName", ""))
        envelope = xmltodict.parse(self.crypto.encrypt_message(xml, params["nonce"], params["timestamp"]))["xml"]
        params.update({"encrypt_type": "aes", "msg_signature": envelope["MsgSignature"]})
        body = (f"<xml><ToUserName><![CDATA[{parsed.get('ToUserName', ACCOUNT)}]]></ToUserName>"
                f"<Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>")
        return params, body

    def post_encrypted(self, xml: str, timeout: float = 15) -> httpx.Response:
        params, body = self.encrypted_request(xml)
        return httpx.post(self.url, params=params, content=body.encode(),
                          headers={"Content-Type": "text/xml"}, timeout=timeout)

    def decrypt_reply(self, response_text: str) -> Dict[str, Any]:
        envelope = xmltodict.parse(response_text)["xml"]
        plain = self.crypto.decrypt_message(response_text, envelope["MsgSignature"],
                                            envelope["TimeStamp"], envelope["Nonce"])
        return xmltodict.parse(plain)["xml"]


def reply_of(response: httpx.Response) -> Optional[Dict[str, Any]]:
    """The passive reply's fields, or None for `success`."""
    if response.text in ("success", ""):
        return None
    return xmltodict.parse(response.text)["xml"]
