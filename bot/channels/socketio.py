"""OneTrip's socket.io channel: Rasa 3.6's ``SocketIOInput`` plus what the web widget needs.

Registered in credentials.yml as ``bot.channels.socketio.SocketIOInput`` (same keys as Rasa's
``socketio`` block). Differences from Rasa's channel:

* ``redis_url`` (credential, or the ``ONETRIP_SOCKETIO_REDIS_URL`` environment variable): the
  socket.io server shares its rooms through Redis (python-socketio's ``AsyncRedisManager``), so
  a message emitted on any Rasa server -- a bot reply, or a staff reply executed through the HTTP
  API with ``output_channel=latest`` -- reaches a citizen connected to another one. Absent, the
  channel runs in one process exactly like Rasa's.
* ``session_request`` really joins the room named after the session id. Rasa 3.6 calls
  ``sio.enter_room`` without ``await``; with python-socketio 5.x, where it is a coroutine, the
  socket never joins the room, so with ``session_persistence: true`` no reply -- neither the
  bot's nor one pushed through ``POST /conversations/{id}/execute`` -- reached the browser.
* Each bot utterance is one ``bot_uttered`` event ``{"text", "quick_replies", "custom",
  "timestamp"}``: the text, its buttons and the card/ticket payload arrive together. (Rasa's
  ``send_custom_json`` passes the custom dict as keyword arguments of ``sio.emit``, which fails
  for OneTrip's payloads such as ``{"matter": ..., "card": ...}``.)
* Session ids are issued by the server only: a random 128-bit id with an HMAC of it
  (``settings.session_signing_key()``), ``<32 hex>-<22 base64url>``. The widget keeps the id it
  was given and proposes it again on reconnect (the protocol is unchanged); an id the server did
  not sign (a guessed or learned-by-pattern one, an old unsigned one) gets a new id instead. The
  session is bound to the socket: ``user_uttered`` goes to the session this socket was confirmed,
  whatever ``session_id`` the message names. It is the conversation id that staff see.
* Length cap, rate limits and the typed-payload check of ``bot.channels.payloads`` run before
  Rasa; a refused message gets one ``bot_uttered`` that says why.
* ``get_output_channel`` never returns ``None`` once the blueprint exists, so
  ``output_channel=latest`` reaches the sockets of a conversation whose last message came in
  through this channel (the sender id is the session id, which is the room).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import time
import uuid
from typing import Any, Awaitable, Callable, Dict, Optional, Text

import rasa.core.channels.channel
import rasa.shared.utils.io
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint
from rasa.core.channels.socketio import SocketIOInput as RasaSocketIOInput
from rasa.core.channels.socketio import SocketIOOutput as RasaSocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncRedisManager, AsyncServer

from bot import settings
from bot.channels import payloads
from bot.channels.admission import admitted
from bot.channels.widget_format import widget_message
from bot.vocabulary import Channel

logger = logging.getLogger(__name__)

REDIS_CHANNEL = "onetrip-socketio"
SESSION_ID_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def valid_session_id(value: Any) -> Optional[str]:
    return value if isinstance(value, str) and SESSION_ID_RE.match(value) else None


def _signature(random_part: str) -> str:
    digest = hmac.new(settings.session_signing_key(), random_part.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")[:22]


def issue_session_id() -> str:
    """A new conversation id, signed by this server (55 characters, within SESSION_ID_RE)."""
    random_part = uuid.uuid4().hex
    return f"{random_part}-{_signature(random_part)}"


def signed_session_id(value: Any) -> Optional[str]:
    """`value` when it is an id this server issued, else None."""
    if not valid_session_id(value):
        return None
    random_part, _, signature = value.partition("-")
    if len(random_part) != 32 or not re.fullmatch(r"[0-9a-f]{32}", random_part):
        return None
    return value if hmac.compare_digest(signature, _signature(random_part)) else None


class SocketIOOutput(RasaSocketIOOutput):
    """Sends each bot utterance as one event to the room of the conversation."""

    @classmethod
    def name(cls) -> Text:
        return Channel.SOCKETIO.value

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        event = widget_message(time.time(), message.get("text"),
                               message.get("quick_replies") or message.get("buttons"), message.get("custom"))
        if message.get("image"):
            event["attachment"] = {"type": "image", "payload": {"src": message["image"]}}
        elif message.get("attachment"):
            event["attachment"] = message["attachment"]
        if message.get("elements"):
            event["elements"] = message["elements"]
        if len(event) > 1:
            await self._send_message(recipient_id, event)

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        await self._send_message(recipient_id, {"custom": json_message, "timestamp": time.time()})


class SocketIOInput(RasaSocketIOInput):
    """Rasa's socket.io channel, shareable across servers through Redis (see the module doc)."""

    @classmethod
    def name(cls) -> Text:
        return Channel.SOCKETIO.value  # output_channel=latest finds the channel by this name

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        channel = super().from_credentials(credentials)
        redis_url = (credentials or {}).get("redis_url") or settings.socketio_redis_url()
        channel.redis_url = str(redis_url).strip() or None  # type: ignore[attr-defined]
        return channel

    def __init__(self, *args: Any, redis_url: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.redis_url = redis_url
        self.agent: Any = None  # Rasa's agent, noted at connect (its tracker store: offered payloads)

    def make_server(self) -> AsyncServer:
        manager = None
        if self.redis_url:
            manager = AsyncRedisManager(self.redis_url, channel=REDIS_CHANNEL)
            logger.info("socket.io rooms shared through Redis (%s)", _safe_url(self.redis_url))
        # cors_allowed_origins=[]: engine.io leaves CORS to Sanic (`rasa run --cors`), as in Rasa.
        return AsyncServer(async_mode="sanic", cors_allowed_origins=[], client_manager=manager)

    def get_output_channel(self) -> Optional[OutputChannel]:
        if self.sio is None:
            rasa.shared.utils.io.raise_warning(
                "The socket.io output channel exists only after the channel's blueprint is built."
            )
            return None
        return SocketIOOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        on_new_message = admitted(on_new_message)
        sio = self.make_server()
        socketio_webhook = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        self.sio = sio
        namespace = self.namespace

        @socketio_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=namespace)
        async def connect(sid: Text, environ: Dict, auth: Optional[Dict]) -> bool:
            request = environ.get("sanic.request")
            if request is not None:
                self.agent = getattr(request.app.ctx, "agent", None)
                peer = request.remote_addr or request.ip
                forwarded = request.headers.get("x-forwarded-for")
            else:
                peer, forwarded = environ.get("REMOTE_ADDR"), environ.get("HTTP_X_FORWARDED_FOR")
            await sio.save_session(sid, {"address": payloads.client_address(peer, forwarded)}, namespace=namespace)
            if not self.jwt_key:
                return True
            token = auth.get("token") if isinstance(auth, dict) else None
            payload = (
                rasa.core.channels.channel.decode_bearer_token(token, self.jwt_key, self.jwt_algorithm)
                if token
                else None
            )
            return bool(payload)

        @sio.on("disconnect", namespace=namespace)
        async def disconnect(sid: Text, *_: Any) -> None:
            logger.debug("socket %s disconnected", sid)

        async def bind(sid: Text, session_id: str) -> None:
            state = await sio.get_session(sid, namespace=namespace) or {}
            previous = state.get("session_id")
            if previous and previous != session_id:
                await sio.leave_room(sid, previous, namespace=namespace)
            await sio.enter_room(sid, session_id, namespace=namespace)
            await sio.save_session(sid, {**state, "session_id": session_id}, namespace=namespace)

        @sio.on("session_request", namespace=namespace)
        async def session_request(sid: Text, data: Any = None) -> None:
            data = data if isinstance(data, dict) else {}
            proposed = data.get("session_id")
            session_id = signed_session_id(proposed) or issue_session_id()
            if proposed and session_id != proposed:
                logger.info("socket.io: a session id this server did not issue was replaced")
            if self.session_persistence:
                await bind(sid, session_id)
            await sio.emit("session_confirm", session_id, room=sid, namespace=namespace)

        @sio.on(self.user_message_evt, namespace=namespace)
        async def handle_message(sid: Text, data: Any = None) -> None:
            if not isinstance(data, dict):
                return
            state = await sio.get_session(sid, namespace=namespace) or {}
            if self.session_persistence:
                # Bound to the socket: the session it was confirmed, never one the message names.
                session_id = state.get("session_id")
                if not session_id:
                    # A client that skipped session_request: its own signed id, else a new one.
                    session_id = signed_session_id(data.get("session_id")) or issue_session_id()
                    await bind(sid, session_id)
                    await sio.emit("session_confirm", session_id, room=sid, namespace=namespace)
                elif data.get("session_id") not in (None, session_id):
                    logger.warning("socket.io: a message naming another session was kept in the socket's own")
                sender_id = session_id
            else:
                sender_id = sid

            text = data.get("message", "")
            if not isinstance(text, str):
                return
            output = SocketIOOutput(sio, self.bot_message_evt)
            refusal = await payloads.admit_text(text, sender_id, state.get("address"))
            if refusal:
                await output.send_text_message(sender_id if self.session_persistence else sid, refusal)
                return
            text = await payloads.screen_for(self.agent, sender_id, text)
            metadata = data.get(self.metadata_key) or {}
            if isinstance(metadata, str):
                try:
                    metadata = json.loads(metadata)
                except ValueError:
                    metadata = {}
            if not isinstance(metadata, dict):
                metadata = {}
            message = UserMessage(
                text,
                output,
                sender_id,
                input_channel=self.name(),
                metadata=metadata,
            )
            await on_new_message(message)

        return socketio_webhook


def _safe_url(url: str) -> str:
    """The Redis URL without its password, for the log."""
    return re.sub(r"//([^:/@]*):[^@]*@", r"//\1:***@", url)

