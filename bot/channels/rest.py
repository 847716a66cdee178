"""Rasa's REST channel with its input checked first: a bad body gets a 4xx with a reason.

Rasa 3.6's RestInput answers 500 to a body that is not a JSON object (empty, `null`, a list,
invalid UTF-8) and passes a non-string `sender` on; here those get 400, oversized bodies 413,
and a well-formed message goes to Rasa exactly as before (same URL: /webhooks/rest/webhook).
"""

from __future__ import annotations

import json
from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic import Blueprint, response
from sanic.request import Request

from bot.channels.admission import admitted
from bot.rasa.action_client import close_sessions
from bot.vocabulary import Channel

MAX_BODY = 64 * 1024
MAX_SENDER = 128


def problem(body: bytes) -> Optional[tuple]:
    """(status, reason) when the body is not a message Rasa can take, else None."""
    if len(body) > MAX_BODY:
        return 413, f"请求体超过 {MAX_BODY // 1024} KiB"
    try:
        data: Any = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return 400, "请求体必须是 UTF-8 编码的 JSON 对象"
    if not isinstance(data, dict):
        return 400, "请求体必须是 JSON 对象：{\"sender\": \"...\", \"message\": \"...\"}"
    sender, message = data.get("sender"), data.get("message")
    if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER:
        return 400, f"sender 必须是 1 到 {MAX_SENDER} 个字符的字符串"
    if not isinstance(message, str):
        return 400, "message 必须是字符串"
    if "metadata" in data and not isinstance(data["metadata"], (dict, type(None))):
        return 400, "metadata 必须是 JSON 对象"
    return None


class RestInput(RasaRestInput):
    @classmethod
    def name(cls) -> str:
        return Channel.REST.value

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        webhook = super().blueprint(admitted(on_new_message))

        @webhook.listener("after_server_stop")
        async def close_action_sessions(app, loop) -> None:  # noqa: ANN001, ARG001
            await close_sessions()  # the shared action-server sessions of bot/rasa/action_client.py

        @webhook.middleware("request")
        async def check_body(request: Request) -> Optional[response.HTTPResponse]:
            if request.method == "POST" and request.path.rstrip("/").endswith("/webhook"):
                found = problem(request.body or b"")
                if found:
                    status, reason = found
                    return response.json({"error": reason}, status=status)
            return None

        return webhook
