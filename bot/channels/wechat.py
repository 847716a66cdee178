"""The WeChat official-account channel (公众号, 服务号): `/webhooks/wechat/webhook`.

Protocol (mp.weixin.qq.com, 消息接口):
  GET  ?signature&timestamp&nonce&echostr       server verification: echo `echostr` if signed with the Token
  POST ?signature&timestamp&nonce&openid        a message or event as XML (明文模式)
       [&encrypt_type=aes&msg_signature]        … or its AES-encrypted form (安全模式 / 兼容模式)
WeChat waits five seconds for the answer and then retries the same message, three tries in all.

So: every message is claimed once in the channel's database (MsgId, or FromUserName+CreateTime for
events); a retry never reaches Rasa again but gets the first try's outcome. If the bot is done
within the passive budget (~4 s) its answer is the reply XML (encrypted if the request was);
otherwise WeChat gets `success` and the bot's messages go out as 客服消息 through the durable
outbox, which is also where staff replies (`output_channel=latest`) go.
How the bot's messages become WeChat text (numbered choices, pieces under the size limit) and
where they go is bot.channels.wechat_output.

Signature, XML and crypto are wechatpy's; DOCTYPE/entity declarations are refused before any
parser sees them, and the XML is parsed with defusedxml first.

Image messages become attachments of the citizen's open ticket (`_take_image`), through the hall's
service API (bot.channels.hall_link); the answer is the same passive-or-outbox reply as above.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional, Set, Text, Tuple

import yaml
from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.replies import create_reply
from wechatpy.utils import check_signature

from bot import settings
from bot.channels import payloads
from bot.channels.admission import admitted
from bot.channels.hall_link import HallLink
from bot.channels.outbox import OutboxWorker
from bot.channels.wechat_api import WeChatAPI, WeChatAPIError
from bot.channels.wechat_output import TEXT_LIMIT, WeChatOutput, split_text
from bot.channels.wechat_store import ASYNC, PASSIVE, WeChatStore, default_db_url
from bot.privacy import mask_text
from bot.vocabulary import Channel

logger = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
DEFAULT_PASSIVE_SECONDS = 4.0
DEFAULT_MAX_SKEW = 600.0
MENU_FILE = Path(__file__).resolve().with_name("wechat_menu.yml")
_DTD_RE = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY|ELEMENT|ATTLIST)", re.IGNORECASE)
# Image messages (see WeChatInput._take_image).
MEDIA_MAX_BYTES = 10 * 1024 * 1024  # the hall's attachment limit; one byte more is read, for its 413
DEFAULT_MEDIA_SECONDS = 8.0
IMAGE_TAKEN = "图片已收到，已转给工作人员。"
IMAGE_NO_TICKET = ("收到您的图片了，但您当前没有正在处理的工单，图片暂时无法转给工作人员。"
                   "请先用文字说明您的问题，提交工单或发送“转人工”后，再发送图片。")
IMAGE_REFUSED = "图片未能转给工作人员：{reason}"
IMAGE_FAILED = "抱歉，图片暂时未能转给工作人员，请稍后再发一次。急事可以拨打12345政务服务热线。"
_NO_REPLY_EVENTS = {"unsubscribe", "view", "location", "templatesendjobfinish", "masssendjobfinish",
                    "view_miniprogram", "scancode_push", "pic_sysphoto", "pic_photo_or_album",
                    "pic_weixin", "location_select"}


class BadRequest(Exception):
    """Refused before anything is processed: (HTTP status, reason)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


# -- reading ------------------------------------------------------------------------------------


_NUMBER_RE = re.compile(r"^\s*(?:第|选|选择)?\s*([1-9][0-9]?)\s*(?:个|项|号)?\s*[。.!！]?\s*$")
CHOICE_MAX_AGE = 30 * 60.0


def choice_number(text: str) -> Optional[int]:
    found = _NUMBER_RE.match(text or "")
    return int(found.group(1)) if found else None


def check_xml(body: bytes) -> Any:
    """Refuse DTDs and entities, and anything that is not well-formed `<xml>…</xml>`."""
    if _DTD_RE.search(body):
        raise BadRequest(400, "DTD or entity declaration")
    try:
        root = SafeET.fromstring(body)
    except (SafeET.ParseError, DefusedXmlException, ValueError) as exc:
        raise BadRequest(400, f"malformed XML ({type(exc).__name__})")
    if root.tag != "xml":
        raise BadRequest(400, "root element is not <xml>")
    return root


def load_menu(path: Path = MENU_FILE) -> Dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    data.setdefault("menu", {})
    data.setdefault("unsupported", {})
    data.setdefault("welcome", "")
    return data


def _float(value: Any, default: float) -> float:
    try:
        return float(value) if value not in (None, "") else default
    except (TypeError, ValueError):
        return default


# -- input -------------------------------------------------------------------------------------------


class WeChatInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return Channel.WECHAT.value

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "WeChatInput":
        if credentials is None:
            cls.raise_missing_credentials_exception()
        return cls(
            token=str(credentials.get("token") or ""),
            app_id=str(credentials.get("app_id") or ""),
            app_secret=str(credentials.get("app_secret") or ""),
            encoding_aes_key=str(credentials.get("encoding_aes_key") or ""),
            api_base_url=str(credentials.get("api_base_url") or ""),
            passive_seconds=credentials.get("passive_seconds"),
            db_url=credentials.get("db_url"),
            hall_url=str(credentials.get("hall_url") or ""),
        )

    def __init__(self, token: str, app_id: str = "", app_secret: str = "", encoding_aes_key: str = "",
                 api_base_url: str = "", passive_seconds: Any = None, db_url: Optional[str] = None,
                 menu_path: Path = MENU_FILE, hall_url: str = "", hall_token: str = "") -> None:
        self.token = token.strip()
        self.app_id = app_id.strip()
        self.encoding_aes_key = encoding_aes_key.strip()
        self.passive_seconds = _float(
            passive_seconds, settings.wechat_timing("PASSIVE_SECONDS", DEFAULT_PASSIVE_SECONDS))
        self.max_skew = settings.wechat_timing("MAX_SKEW", DEFAULT_MAX_SKEW)
        self.menu = load_menu(menu_path)
        self.crypto: Optional[WeChatCrypto] = None
        if self.encoding_aes_key:
            if len(self.encoding_aes_key) != 43:
                raise ValueError("WECHAT_ENCODING_AES_KEY must be the 43 characters from the WeChat console")
            self.crypto = WeChatCrypto(self.token, self.encoding_aes_key, self.app_id)
        self.store = WeChatStore(db_url or default_db_url())
        self.api = WeChatAPI(self.app_id, app_secret.strip(), api_base_url.strip(), self.store)
        self.outbox = OutboxWorker(self.store, self.api)
        self.hall = HallLink(hall_url.strip(), hall_token.strip())  # HALL_URL / HALL_SERVICE_TOKEN by default
        self.media_seconds = settings.wechat_timing("MEDIA_SECONDS", DEFAULT_MEDIA_SECONDS)
        self._tasks: Set[asyncio.Task] = set()
        if not self.token:
            logger.error("wechat: WECHAT_TOKEN is empty; the WeChat webhook refuses every request")

    def get_output_channel(self) -> Optional[OutputChannel]:
        """Where `output_channel=latest` sends to a WeChat citizen: the outbox (staff replies)."""
        return WeChatOutput(self.outbox, collecting=False)

    # -- HTTP --------------------------------------------------------------------------------------

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        on_new_message = admitted(on_new_message)
        bp = Blueprint("wechat_webhook", __name__)

        @bp.listener("after_server_start")
        async def _start(app, loop) -> None:  # noqa: ARG001
            self.outbox.start()

        @bp.listener("before_server_stop")
        async def _stop(app, loop) -> None:  # noqa: ARG001
            await self.outbox.stop()
            await self.api.aclose()

        @bp.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            try:
                self._check_signature(request)
            except BadRequest as exc:
                return response.text(str(exc), status=exc.status)
            echostr = request.args.get("echostr")
            if echostr is None:
                return response.text("missing echostr", status=400)
            return response.text(echostr)

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            self.outbox.start()  # in case the listener did not run (tests, embedded apps)
            try:
                message, encrypted = self._read(request)
            except BadRequest as exc:
                logger.warning("wechat: refused (%s): %s", exc.status, exc)
                return response.text(str(exc), status=exc.status)
            task = asyncio.get_running_loop().create_task(self._handle(message, on_new_message))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            # Shielded: WeChat hanging up after 5 s must not cancel the conversation.
            reply = await asyncio.shield(task)
            if not reply:
                return response.text("success")
            xml = create_reply(reply, message=message, render=True)
            if encrypted:
                xml = self.crypto.encrypt_message(xml, request.args.get("nonce"), request.args.get("timestamp"))
            return response.text(xml, content_type="application/xml; charset=utf-8")

        return bp

    def _check_signature(self, request: Request) -> None:
        if not self.token:
            raise BadRequest(503, "WECHAT_TOKEN not configured")
        signature = request.args.get("signature") or ""
        timestamp = request.args.get("timestamp") or ""
        nonce = request.args.get("nonce") or ""
        if not (signature and timestamp and nonce):
            raise BadRequest(403, "unsigned request")
        try:
            check_signature(self.token, signature, timestamp, nonce)
        except InvalidSignatureException:
            raise BadRequest(403, "bad signature")
        if self.max_skew > 0:
            try:
                skew = abs(time.time() - int(timestamp))
            except ValueError:
                raise BadRequest(403, "bad timestamp")
            if skew > self.max_skew:
                raise BadRequest(403, "stale timestamp")

    def _check_replay(self, request: Request, body: bytes) -> None:
        """The same signature+timestamp+nonce is accepted once (again only as WeChat's retry of the
        same body): within the timestamp's validity a captured signed URL cannot carry another body."""
        signed = "|".join(request.args.get(name) or "" for name in ("signature", "timestamp", "nonce"))
        keep = max(settings.wechat_nonce_seconds(), 2 * self.max_skew)
        first = self.store.first_use(hashlib.sha256(signed.encode()).hexdigest(),
                                     hashlib.sha256(body).hexdigest(), keep)
        if not first:
            raise BadRequest(403, "replayed signature")

    def _read(self, request: Request) -> Tuple[Any, bool]:
        """The parsed wechatpy message and whether it came encrypted; BadRequest if refused."""
        length = request.headers.get("content-length")
        if (length and length.isdigit() and int(length) > MAX_BODY) or len(request.body or b"") > MAX_BODY:
            raise BadRequest(413, "body over 64 KiB")
        self._check_signature(request)
        body = request.body or b""
        self._check_replay(request, body)
        check_xml(body)
        encrypted = (request.args.get("encrypt_type") or "raw").lower() == "aes"
        if encrypted:
            if self.crypto is None:
                raise BadRequest(400, "encrypted message but WECHAT_ENCODING_AES_KEY is not set")
            try:
                plain = self.crypto.decrypt_message(
                    body.decode("utf-8"), request.args.get("msg_signature") or "",
                    request.args.get("timestamp"), request.args.get("nonce"))
            except InvalidSignatureException:
                raise BadRequest(403, "bad msg_signature")
            except Exception as exc:  # bad base64, padding, AppID: not a message of ours
                raise BadRequest(400, f"cannot decrypt ({type(exc).__name__})")
            body = plain.encode("utf-8") if isinstance(plain, str) else plain
            check_xml(body)
        try:
            message = parse_message(body.decode("utf-8"))
        except Exception as exc:
            raise BadRequest(400, f"not a WeChat message ({type(exc).__name__})")
        if message is None or not message.source:
            raise BadRequest(400, "no FromUserName")
        return message, encrypted

    # -- messages ------------------------------------------------------------------------------------

    @staticmethod
    def dedupe_key(message: Any) -> str:
        if message.type != "event" and message.id:
            return f"msg:{message.id}"
        event = getattr(message, "event", "") or message.type
        return f"evt:{message.source}:{message.time}:{event}"

    def _note(self, kind: str) -> str:
        notes = self.menu["unsupported"]
        return notes.get(kind) or notes.get("other") or "收到您的消息了。请用文字说说您想办什么事。"

    def _route(self, message: Any) -> Tuple[str, Optional[str]]:
        """("rasa", text) to converse, ("fixed", reply) for a fixed answer, ("none", None) for silence."""
        kind = message.type
        if kind == "text":
            # No "/intent{...}" injection from typed text: only the menu map speaks intents.
            text = (message.content or "").strip().lstrip("/").strip()
            return ("rasa", text) if text else ("fixed", self._note("empty"))
        if kind == "voice":
            text = (message.recognition or "").strip().lstrip("/").strip()
            return ("rasa", text) if text else ("fixed", self._note("voice"))
        if kind == "event":
            event = (message.event or "").lower()
            if event.startswith("subscribe"):
                return "fixed", self.menu["welcome"] or self._note("empty")
            if event == "click":
                target = self.menu["menu"].get(message.key or "")
                return ("rasa", str(target)) if target else ("fixed", self._note("menu"))
            return "none", None
        if kind == "image":
            return "image", None
        if kind in ("video", "shortvideo", "location", "link", "file"):
            return "fixed", self._note(kind)
        return "fixed", self._note("other")

    async def _handle(self, message: Any, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Optional[str]:
        """The passive reply's text, or None for `success`."""
        key = self.dedupe_key(message)
        openid = message.source
        if not await asyncio.to_thread(self.store.claim, key, openid):
            logger.info("wechat: retry of %s from %s, not processed again", key, openid[-6:])
            return await self._outcome_of(key)
        route, text = self._route(message)
        shown = mask_text((text or "")[:200]) if route == "rasa" else f"({route} reply)"
        logger.info("wechat: %s from …%s: %s", getattr(message, "event", "") or message.type, openid[-6:], shown)
        if (route == "rasa" and message.type in ("text", "voice")) or route == "image":
            refusal = await payloads.admit_text(text or "", openid, None)  # every request is WeChat's own address
            if refusal:
                route, text = "fixed", refusal
        if route == "image":
            return await self._answer_later(key, openid, self._take_image(message))
        if route == "rasa":
            if message.type in ("text", "voice"):
                payload = await asyncio.to_thread(
                    self.store.take_choice, openid, choice_number(text), CHOICE_MAX_AGE)
                if payload:
                    logger.info("wechat: choice %s → %s", text, payload)
                    text = payload
            return await self._converse(key, openid, text, message, on_new_message)
        pieces = split_text(text or "")
        reply = pieces[0] if pieces else None
        await asyncio.to_thread(self.store.finish, key, PASSIVE, reply)
        if len(pieces) > 1:
            await self.outbox.enqueue(openid, pieces[1:])
        return reply

    async def _answer_later(self, key: str, openid: str, work: Awaitable[str]) -> Optional[str]:
        """`work`'s text as the passive reply if ready within the passive budget, else through the outbox."""
        task = asyncio.ensure_future(work)
        done, _ = await asyncio.wait({task}, timeout=self.passive_seconds)
        if task in done:
            reply = task.result() if task.exception() is None else self._note("error")
            if task.exception() is not None:
                logger.error("wechat: %s failed: %r", key, task.exception())
            pieces = split_text(reply)
            await asyncio.to_thread(self.store.finish, key, PASSIVE, pieces[0] if pieces else None)
            if len(pieces) > 1:
                await self.outbox.enqueue(openid, pieces[1:])
            return pieces[0] if pieces else None
        await asyncio.to_thread(self.store.finish, key, ASYNC, None)

        async def follow_up() -> None:
            try:
                reply = await task
            except Exception as exc:  # noqa: BLE001 - the citizen still hears something
                logger.error("wechat: %s failed: %r", key, exc)
                reply = self._note("error")
            await self.outbox.enqueue(openid, split_text(reply))

        later = asyncio.ensure_future(follow_up())
        self._tasks.add(later)
        later.add_done_callback(self._tasks.discard)
        return None

    async def _take_image(self, message: Any) -> str:
        """An image message into the citizen's open ticket, and what the citizen is told.

        The conversation is the OpenID, the same sender id Rasa gets, so the image can only reach a
        ticket of the sender's own conversation; the hall picks its open ticket (409 without one).

        * With the account's AppSecret configured the image is fetched through the media API
          (`WeChatAPI.media`, its access token, within ONETRIP_WECHAT_MEDIA_SECONDS) and the bytes go
          to the hall, which checks them as it checks the widget's uploads (type from the bytes,
          10 MB, re-encoded without EXIF) and answers 413/415 with the reason the citizen gets.
        * Without the secret, or when the download fails, the PicUrl is kept: the hall stores an
          attachment record without bytes whose `source_url` is the link (the model the hall
          already has for this; its download answers 404 "只保存了微信图片链接"). Nothing fetches the
          link on the hall's side and it is never served.
        """
        openid = message.source
        media_id = str(getattr(message, "media_id", "") or "").strip()
        pic_url = str(getattr(message, "image", "") or "").strip()
        name = f"微信图片-{message.id}" if message.id else "微信图片"
        data = b""
        if self.api.configured and media_id:
            try:
                data = await asyncio.wait_for(self.api.media(media_id, MEDIA_MAX_BYTES), self.media_seconds)
            except (WeChatAPIError, asyncio.TimeoutError) as exc:
                logger.warning("wechat: image from …%s not fetched (%s), its link is kept",
                               openid[-6:], exc or type(exc).__name__)
                data = b""
        if data:
            answer = await self.hall.attach(openid, data, name)
        elif pic_url.lower().startswith(("https://", "http://")) and len(pic_url) <= 2000:
            answer = await self.hall.attach(openid, b"", "微信图片", source_url=pic_url)
        else:
            logger.warning("wechat: image from …%s has neither media nor a usable PicUrl", openid[-6:])
            return IMAGE_FAILED
        if answer.status == 201:
            logger.info("wechat: image from …%s attached (%s)", openid[-6:], "file" if data else "link only")
            return IMAGE_TAKEN
        if answer.status == 409:
            return IMAGE_NO_TICKET
        if answer.status in (413, 415) and answer.detail:
            return IMAGE_REFUSED.format(reason=answer.detail)
        logger.warning("wechat: the hall did not take the image from …%s (HTTP %s %s)",
                       openid[-6:], answer.status, answer.detail)
        return IMAGE_FAILED

    async def _outcome_of(self, key: str) -> Optional[str]:
        """A retry waits for the first delivery's outcome: its passive reply, else `success`."""
        deadline = time.monotonic() + self.passive_seconds
        while True:
            row = await asyncio.to_thread(self.store.inbound, key)
            if row is None or row.status == ASYNC:
                return None
            if row.status == PASSIVE:
                return row.reply
            if time.monotonic() >= deadline:
                return None
            await asyncio.sleep(0.1)

    async def _converse(self, key: str, openid: str, text: str, message: Any,
                        on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Optional[str]:
        output = WeChatOutput(self.outbox, collecting=True)
        metadata = {Channel.WECHAT.value: {"msg_type": message.type, "msg_id": str(message.id or ""),
                               "account": message.target or ""}}
        user_message = UserMessage(text, output, openid, input_channel=self.name(), metadata=metadata)
        work = asyncio.ensure_future(on_new_message(user_message))
        done, _ = await asyncio.wait({work}, timeout=self.passive_seconds)
        if work in done:
            if work.exception() is not None:
                logger.error("wechat: the bot failed on %s: %r", key, work.exception())
                if not output.collected:
                    output.collected.append(self._note("error"))
            pieces = [piece for text in output.collected for piece in split_text(text)]
            # One passive reply may carry one message: the bot's messages joined, the rest queued.
            reply, rest = self._pack(pieces)
            await asyncio.to_thread(self.store.finish, key, PASSIVE, reply)
            if rest:
                await self.outbox.enqueue(openid, rest)
            return reply
        # Too slow for a passive reply: `success` now, the messages follow as 客服消息.
        await output.switch_to_outbox(openid)
        await asyncio.to_thread(self.store.finish, key, ASYNC, None)
        logger.info("wechat: %s answered through the outbox (bot took over %.1f s)", key, self.passive_seconds)
        work.add_done_callback(lambda task: self._late_failure(task, key, openid, output))
        return None

    @staticmethod
    def _pack(pieces: List[str]) -> Tuple[Optional[str], List[str]]:
        if not pieces:
            return None, []
        reply, index = pieces[0], 1
        while index < len(pieces):
            candidate = reply + "\n\n" + pieces[index]
            if len(candidate.encode()) > TEXT_LIMIT:
                break
            reply, index = candidate, index + 1
        return reply, pieces[index:]

    def _late_failure(self, task: asyncio.Task, key: str, openid: str, output: WeChatOutput) -> None:
        if task.cancelled() or task.exception() is None:
            return
        logger.error("wechat: the bot failed on %s: %r", key, task.exception())
        follow_up = asyncio.ensure_future(output._emit(openid, self._note("error")))
        self._tasks.add(follow_up)
        follow_up.add_done_callback(self._tasks.discard)
