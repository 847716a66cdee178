"""WeChat image messages become attachments of the citizen's own open ticket.

The real hall runs on loopback (uvicorn in a thread, SQLite in tmp_path); two WeChat channels run
in Sanic subprocesses, one with the account's AppSecret and one without; a fake WeChat platform
serves the token and media APIs. Messages are posted to the channel's webhook signed as WeChat
signs them (wechat_fakes.WeChatClient).
"""

from __future__ import annotations

import io
import os
import secrets
import socket
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from pathlib import Path
from typing import Dict, List, Tuple

import httpx
import pytest
from aiohttp import web
from PIL import Image
from sqlalchemy import select

from wechat_fakes import ACCOUNT, AES_KEY, APP_ID, APP_SECRET, TOKEN, FakeWeChat, WeChatClient, _LoopThread, reply_of

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "tests" / "hall" / "catalogue"
SERVICE_TOKEN = "wechat-images-service-token"
SERVICE = {"Authorization": f"Bearer {SERVICE_TOKEN}"}
PIC_URL = "http://mmbiz.qpic.cn/mmbiz_jpg/abc123/0"

TAKEN = "图片已收到，已转给工作人员。"


# -- the fake platform, with the media API ---------------------------------------------------------


class FakeWeChatMedia(FakeWeChat):
    """FakeWeChat plus `GET /cgi-bin/media/get`: the bytes of a known MediaId (access token checked),
    else WeChat's JSON error (`40007 invalid media_id`)."""

    def __init__(self) -> None:  # FakeWeChat's state, with one more route on the same server
        self.app_id, self.app_secret = APP_ID, APP_SECRET
        self.valid_tokens: set = set()
        self.expired_tokens: set = set()
        self.token_requests = 0
        self.sent: List[Dict] = []
        self.send_calls = 0
        self.fail_mode = None
        self.fail_count = 0
        self._lock = threading.Lock()
        self.media: Dict[str, Tuple[bytes, str]] = {}
        self.media_requests: List[str] = []
        self._thread = _LoopThread()
        app = web.Application()
        app.router.add_get("/cgi-bin/token", self._token)
        app.router.add_post("/cgi-bin/message/custom/send", self._send)
        app.router.add_get("/cgi-bin/media/get", self._media)
        self.port = self._thread.serve(app)

    async def _media(self, request: web.Request) -> web.Response:
        token, media_id = request.query.get("access_token", ""), request.query.get("media_id", "")
        with self._lock:
            self.media_requests.append(media_id)
            if token not in self.valid_tokens:
                return web.json_response({"errcode": 40001, "errmsg": "invalid credential, access_token is invalid"})
            found = self.media.get(media_id)
        if found is None:
            return web.json_response({"errcode": 40007, "errmsg": "invalid media_id"})
        data, content_type = found
        return web.Response(body=data, headers={
            "Content-Type": content_type, "Content-Disposition": f'attachment; filename="{media_id}.jpg"'})


def photo_with_gps() -> bytes:
    """A small JPEG as a phone takes it: EXIF with the camera and a GPS position."""
    image = Image.new("RGB", (64, 48), (200, 60, 30))
    exif = Image.Exif()
    exif[0x010F] = "OneTripCam"  # Make
    exif[0x8825] = {1: "N", 2: (30.0, 15.0, 12.5), 3: "E", 4: (120.0, 9.0, 40.0)}  # GPSInfo
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825), "the fixture must carry GPS"
    return data


# -- the hall and the channels ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


CHANNEL_SERVER = textwrap.dedent(
    """
    import sys
    from sanic import Sanic
    from bot.channels.wechat import WeChatInput

    port, api_base, secret = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    channel = WeChatInput.from_credentials({
        "token": sys.argv[4], "app_id": sys.argv[5], "app_secret": "" if secret == "-" else secret,
        "encoding_aes_key": sys.argv[6], "api_base_url": api_base,
    })

    async def on_new_message(message):  # stands in for Rasa; images never reach it
        await message.output_channel.send_text_message(message.sender_id, "RASA:" + message.text)

    app = Sanic("wechat_images_%d" % port)
    app.blueprint(channel.blueprint(on_new_message), url_prefix="/webhooks/wechat")
    app.run(host="127.0.0.1", port=port, access_log=False, motd=False)
    """
)


class Hall:
    def __init__(self, url: str, sessions) -> None:
        self.url, self.sessions = url, sessions

    def open_ticket(self, conversation_id: str) -> str:
        body = {
            "kind": "complaint", "department": "scjg", "matter": "scjg.consumer_complaint",
            "conversation_id": conversation_id, "channel": "wechat", "description": "商家不给退款，有照片为证",
            "region": "杭州市西湖区", "contact_phone": "13812345678", "consent": True,
            "idempotency_key": secrets.token_hex(8), "rating": None, "reason": None,
        }
        r = httpx.post(f"{self.url}/api/tickets", json=body, headers=SERVICE, timeout=10)
        assert r.status_code in (200, 201), r.text
        return r.json()["number"]

    def attachments(self, number: str = None):
        from bot.hall import models

        with self.sessions() as db:
            query = select(models.Attachment)
            if number is not None:
                query = query.where(models.Attachment.ticket_number == number)
            rows = db.execute(query.order_by(models.Attachment.id)).scalars().all()
            db.expunge_all()
            return rows


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    import uvicorn

    from bot.hall.app import create_app
    from bot.hall.bootstrap import prepare
    from bot.hall.db import make_engine, make_sessionmaker
    from bot.settings import load_settings

    var = tmp_path_factory.mktemp("hall-var")
    env = {
        "ONETRIP_VAR": str(var), "ONETRIP_CATALOGUE": str(CATALOGUE),
        "DATABASE_URL": f"sqlite:///{var / 'hall.db'}", "ONETRIP_EVENTS_URL": f"sqlite:///{var / 'events.db'}",
        "HALL_SERVICE_TOKEN": SERVICE_TOKEN, "HALL_SECRET_KEY": "test-secret-key",
        "RASA_TOKEN": "rasa-secret", "RASA_URL": "http://127.0.0.1:9",
    }
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        mp.delenv("ONETRIP_SLA_FILE", raising=False)
        settings = load_settings()
        prepare(settings)
        app = create_app(settings, run_events=False)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    engine = make_engine(settings.database_url)
    try:
        yield Hall(f"http://127.0.0.1:{port}", make_sessionmaker(engine))
    finally:
        server.should_exit = True
        thread.join(10)
        engine.dispose()


@pytest.fixture(scope="module")
def platform():
    fake = FakeWeChatMedia()
    yield fake
    fake.close()


def _start_channel(tmp: Path, name: str, hall_url: str, api_base: str, secret: str) -> Tuple[str, subprocess.Popen]:
    port = free_port()
    script = tmp / "channel_server.py"
    script.write_text(CHANNEL_SERVER)
    var = tmp / f"var-{name}"
    var.mkdir()
    env = {**os.environ, "ONETRIP_VAR": str(var), "ONETRIP_WECHAT_DB": f"sqlite:///{var / 'wechat.db'}",
           "HALL_URL": hall_url, "HALL_SERVICE_TOKEN": SERVICE_TOKEN, "ONETRIP_WECHAT_PASSIVE_SECONDS": "4",
           "ONETRIP_WECHAT_OUTBOX_POLL": "0.5"}
    log = (tmp / f"{name}.log").open("wb")
    proc = subprocess.Popen([sys.executable, str(script), str(port), api_base, secret or "-", TOKEN, APP_ID, AES_KEY],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/webhooks/wechat"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/", timeout=1).status_code == 200:
                return url + "/webhook", proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise AssertionError((tmp / f"{name}.log").read_text())
        time.sleep(0.2)
    proc.terminate()
    raise AssertionError("the WeChat channel did not start: " + (tmp / f"{name}.log").read_text())


@pytest.fixture(scope="module")
def channels(tmp_path_factory, hall, platform):
    """(with the AppSecret, without it): a WeChatClient for each channel's webhook."""
    tmp = tmp_path_factory.mktemp("wechat-images")
    with_secret, first = _start_channel(tmp, "secret", hall.url, platform.url, APP_SECRET)
    try:
        without_secret, second = _start_channel(tmp, "nosecret", hall.url, platform.url, "")
    except BaseException:
        first.terminate()
        raise
    try:
        yield WeChatClient(with_secret), WeChatClient(without_secret)
    finally:
        for proc in (first, second):
            proc.terminate()
            proc.wait(10)


def openid() -> str:
    return "o" + uuid.uuid4().hex[:27]


def msg_id() -> int:
    return int(time.time() * 1000) * 100 + uuid.uuid4().int % 100


def image_xml(user: str, media_id: str, number: int, pic_url: str = PIC_URL) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
        f"<FromUserName><![CDATA[{user}]]></FromUserName><CreateTime>{int(time.time())}</CreateTime>"
        f"<MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[{pic_url}]]></PicUrl>"
        f"<MediaId><![CDATA[{media_id}]]></MediaId><MsgId>{number}</MsgId></xml>"
    )


def send_image(client: WeChatClient, user: str, media_id: str, number: int = None, encrypted: bool = False) -> str:
    xml = image_xml(user, media_id, number or msg_id())
    if encrypted:
        response = client.post_encrypted(xml)
        assert response.status_code == 200, response.text
        return client.decrypt_reply(response.text)["Content"]
    response = client.post_plain(xml)
    assert response.status_code == 200, response.text
    reply = reply_of(response)
    assert reply is not None and reply["MsgType"] == "text", response.text
    return reply["Content"]


# -- the cases -------------------------------------------------------------------------------------------


def test_photo_goes_into_the_senders_open_ticket_without_exif(hall, platform, channels):
    with_secret, _ = channels
    citizen, neighbour = openid(), openid()
    mine, theirs = hall.open_ticket(citizen), hall.open_ticket(neighbour)
    photo = photo_with_gps()
    platform.media["m-photo-1"] = (photo, "image/jpeg")

    assert send_image(with_secret, citizen, "m-photo-1") == TAKEN
    assert "m-photo-1" in platform.media_requests

    [row] = hall.attachments(mine)
    assert row.content_type == "image/jpeg" and row.size == len(row.data) > 0 and row.source_url is None
    assert row.uploaded_by != "staff"
    stored = Image.open(io.BytesIO(row.data))
    assert stored.size == (64, 48)
    assert len(stored.getexif()) == 0 and not stored.getexif().get_ifd(0x8825)
    assert b"OneTripCam" not in row.data and b"Exif" not in row.data
    assert hall.attachments(theirs) == []  # another conversation's ticket never receives it


def test_staff_download_is_an_attachment_with_nosniff(hall, platform, channels):
    from bot.hall.db import session_scope
    from bot.hall.users import add_user

    with_secret, _ = channels
    citizen = openid()
    number = hall.open_ticket(citizen)
    platform.media["m-photo-2"] = (photo_with_gps(), "image/jpeg")
    assert send_image(with_secret, citizen, "m-photo-2", encrypted=True) == TAKEN  # 安全模式 too
    [row] = hall.attachments(number)
    with session_scope(hall.sessions) as db:
        add_user(db, "wang-scjg", "staff", "scjg", "correct-horse-1")
        add_user(db, "li-gongan", "staff", "gongan", "correct-horse-1")

    def login(name: str) -> Dict[str, str]:
        r = httpx.post(f"{hall.url}/api/auth/login", json={"username": name, "password": "correct-horse-1"}, timeout=10)
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['token']}"}

    url = f"{hall.url}/api/tickets/{number}/attachments/{row.id}"
    r = httpx.get(url, headers=login("wang-scjg"), timeout=10)
    assert r.status_code == 200 and r.content == row.data
    assert r.headers["content-disposition"].startswith("attachment")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert httpx.get(url, headers=login("li-gongan"), timeout=10).status_code in (403, 404)  # another department
    assert httpx.get(url, timeout=10).status_code == 401  # never public


def test_without_the_secret_the_picurl_is_kept_and_nothing_fetched(hall, platform, channels):
    _, without_secret = channels
    citizen = openid()
    number = hall.open_ticket(citizen)
    platform.media["m-photo-3"] = (photo_with_gps(), "image/jpeg")
    fetched, tokens = list(platform.media_requests), platform.token_requests

    assert send_image(without_secret, citizen, "m-photo-3") == TAKEN
    assert platform.media_requests == fetched and platform.token_requests == tokens
    [row] = hall.attachments(number)
    assert row.data is None and row.size == 0 and row.source_url == PIC_URL


def test_a_failed_download_keeps_the_picurl(hall, platform, channels):
    with_secret, _ = channels
    citizen = openid()
    number = hall.open_ticket(citizen)
    assert send_image(with_secret, citizen, "m-expired") == TAKEN  # the fake answers 40007 invalid media_id
    assert "m-expired" in platform.media_requests
    [row] = hall.attachments(number)
    assert row.data is None and row.source_url == PIC_URL


def test_no_open_ticket_gets_a_polite_reply_and_nothing_is_stored(hall, platform, channels):
    with_secret, without_secret = channels
    bystander = openid()
    theirs = hall.open_ticket(bystander)  # someone else's open ticket must not catch the image
    before = len(hall.attachments())
    platform.media["m-photo-4"] = (photo_with_gps(), "image/jpeg")
    for client in (with_secret, without_secret):
        reply = send_image(client, openid(), "m-photo-4")
        assert "没有正在处理的工单" in reply and "转人工" in reply
    assert len(hall.attachments()) == before and hall.attachments(theirs) == []


@pytest.mark.parametrize("body, content_type", [
    (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="9" height="9"/></svg>', "image/jpeg"),
    (b"<!doctype html><html><body><script>alert(1)</script></body></html>", "image/png"),
])
def test_a_non_image_from_the_media_api_is_refused(hall, platform, channels, body, content_type):
    with_secret, _ = channels
    citizen = openid()
    number = hall.open_ticket(citizen)
    media_id = "m-bad-" + uuid.uuid4().hex[:6]
    platform.media[media_id] = (body, content_type)
    reply = send_image(with_secret, citizen, media_id)
    assert reply.startswith("图片未能转给工作人员") and "只能上传JPEG、PNG、WebP图片或PDF文件" in reply
    assert hall.attachments(number) == []


def test_a_retried_image_is_stored_once(hall, platform, channels):
    with_secret, _ = channels
    citizen = openid()
    number = hall.open_ticket(citizen)
    platform.media["m-photo-5"] = (photo_with_gps(), "image/jpeg")
    same = msg_id()
    assert send_image(with_secret, citizen, "m-photo-5", same) == TAKEN
    assert send_image(with_secret, citizen, "m-photo-5", same) == TAKEN  # WeChat's retry: the first outcome
    assert len(hall.attachments(number)) == 1
