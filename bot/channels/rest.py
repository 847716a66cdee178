"""Rasa's REST channel with its input checked first: a bad body gets a 4xx with a reason.

Rasa 3.6's RestInput answers 500 to a body that is not a JSON object (empty, `null`, a list,
invalid UTF-8) and passes a non-string `sender` on; here those get 400, oversized bodies 413,
and a well-formed message goes to Rasa exactly as before (same URL: /webhooks/rest/webhook).

Before Rasa (bot.channels.payloads): a message over the length cap or over the sender's or the
address's rate gets one bot message that says so (HTTP 200, the usual reply list), and a typed
``/intent`` is a payload only when the bot offered it. ``GET /webhooks/rest/metrics``: Prometheus.
"""

from __future__ import annotations

import json
from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic import Blueprint, response
from sanic.request import Request

from bot import metrics, settings
from bot.channels import payloads
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


def request_address(request: Request) -> Optional[str]:
    return payloads.client_address(request.remote_addr or request.ip, request.headers.get("x-forwarded-for"))


class RestInput(RasaRestInput):
    @classmethod
    def name(cls) -> str:
        return Channel.REST.value

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        agent_of: dict = {}  # the app's agent, noted by the request middleware (its tracker store)

        async def screened(message: UserMessage) -> Any:
            message.text = await payloads.screen_for(agent_of.get("agent"), message.sender_id, message.text or "")
            return await on_new_message(message)

        webhook = super().blueprint(admitted(screened))

        @webhook.listener("after_server_stop")
        async def close_action_sessions(app, loop) -> None:  # noqa: ANN001, ARG001
            await close_sessions()  # the shared action-server sessions of bot/rasa/action_client.py

        @webhook.route("/metrics", methods=["GET"])
        async def prometheus(request: Request) -> response.HTTPResponse:
            if not settings.metrics_enabled():
                return response.json({"error": "not found"}, status=404)
            body, content_type = metrics.exposition()
            return response.raw(body, content_type=content_type)

        @webhook.middleware("request")
        async def check_body(request: Request) -> Optional[response.HTTPResponse]:
            if request.method == "POST" and request.path.rstrip("/").endswith("/webhook"):
                found = problem(request.body or b"")
                if found:
                    status, reason = found
                    return response.json({"error": reason}, status=status)
                agent_of["agent"] = getattr(request.app.ctx, "agent", None)
                data = json.loads(request.body.decode("utf-8"))
                refusal = await payloads.admit_text(data["message"], data["sender"], request_address(request))
                if refusal:
                    return response.json([{"recipient_id": data["sender"], "text": refusal}])
            return None

        return webhook
