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
* The session id the browser proposes is checked (letters, digits, ``-`` and ``_``; 8-64
  characters); anything else gets a new random one. It is the conversation id that staff see.
* ``get_output_channel`` never returns ``None`` once the blueprint exists, so
  ``output_channel=latest`` reaches the sockets of a conversation whose last message came in
  through this channel (the sender id is the session id, which is the room).
"""

from __future__ import annotations

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
from bot.channels.admission import admitted
from bot.channels.widget_format import widget_message
from bot.vocabulary import Channel

logger = logging.getLogger(__name__)

REDIS_CHANNEL = "onetrip-socketio"
SESSION_ID_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
MAX_MESSAGE_CHARS = 2000  # a citizen's message; longer ones are cut (the hall caps tickets too)


def valid_session_id(value: Any) -> Optional[str]:
    return value if isinstance(value, str) and SESSION_ID_RE.match(value) else None


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

        @sio.on("session_request", namespace=namespace)
        async def session_request(sid: Text, data: Any = None) -> None:
            data = data if isinstance(data, dict) else {}
            session_id = valid_session_id(data.get("session_id")) or uuid.uuid4().hex
            if self.session_persistence:
                previous = (await sio.get_session(sid, namespace=namespace) or {}).get("session_id")
                if previous and previous != session_id:
                    await sio.leave_room(sid, previous, namespace=namespace)
                await sio.enter_room(sid, session_id, namespace=namespace)
                await sio.save_session(sid, {"session_id": session_id}, namespace=namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=namespace)

        @sio.on(self.user_message_evt, namespace=namespace)
        async def handle_message(sid: Text, data: Any = None) -> None:
            if not isinstance(data, dict):
                return
            if self.session_persistence:
                session_id = valid_session_id(data.get("session_id"))
                if not session_id:
                    rasa.shared.utils.io.raise_warning(
                        "A socket.io message without a valid session_id was ignored; "
                        "send `session_request` first."
                    )
                    return
                joined = (await sio.get_session(sid, namespace=namespace) or {}).get("session_id")
                if joined != session_id:
                    # A message for a session this socket has not asked for: join it now, so the
                    # reply reaches the sender (a client that skipped session_request).
                    await sio.enter_room(sid, session_id, namespace=namespace)
                    await sio.save_session(sid, {"session_id": session_id}, namespace=namespace)
                sender_id = session_id
            else:
                sender_id = sid

            text = data.get("message", "")
            if not isinstance(text, str):
                return
            text = text[:MAX_MESSAGE_CHARS]
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
                SocketIOOutput(sio, self.bot_message_evt),
                sender_id,
                input_channel=self.name(),
                metadata=metadata,
            )
            await on_new_message(message)

        return socketio_webhook


def _safe_url(url: str) -> str:
    """The Redis URL without its password, for the log."""
    return re.sub(r"//([^:/@]*):[^@]*@", r"//\1:***@", url)

