"""Rasa's HTTP API as the console uses it (token auth: ?token=RASA_TOKEN).

Rasa 3.6 accepts its static ``--auth-token`` only as the ``token`` query parameter
(rasa/server.py ``requires_auth``: ``request.args.get("token")``); an ``Authorization: Bearer``
header is read only as a JWT, and only when Rasa runs with ``--jwt-secret``. So the token stays
in the query, and it never reaches a log line: every log handler and the output of the three
servers under `onetrip up` pass through ``bot.privacy.mask_log``, which turns ``token=...`` into
``token=***``; the errors raised here name the exception type only, never the URL.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional
from urllib.parse import quote

import httpx

from bot.hall.ticket_service import Unreachable


class RasaUnavailable(Unreachable):
    """Rasa did not answer, or answered with an error; the message is shown to staff."""


class RasaClient:
    def __init__(self, base_url: str, token: str, timeout: float = 10.0,
                 transport: Optional[httpx.AsyncBaseTransport] = None):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.transport = transport

    def _url(self, conversation_id: str, tail: str) -> str:
        return f"{self.base_url}/conversations/{quote(conversation_id, safe='')}/{tail}"

    async def _call(self, method: str, url: str, params: Dict[str, str], json: Any = None) -> Any:
        params = dict(params)
        if self.token:
            params["token"] = self.token
        try:
            async with httpx.AsyncClient(timeout=self.timeout, transport=self.transport) as client:
                response = await client.request(method, url, params=params, json=json)
        except httpx.HTTPError as exc:
            raise RasaUnavailable(f"无法连接对话引擎（Rasa）：{type(exc).__name__}") from exc
        if response.status_code >= 400:
            raise RasaUnavailable(f"对话引擎（Rasa）返回错误 {response.status_code}")
        try:
            return response.json()
        except ValueError:
            return None

    async def tracker(self, conversation_id: str) -> Dict[str, Any]:
        return await self._call("GET", self._url(conversation_id, "tracker"), {"include_events": "ALL"})

    async def append_events(self, conversation_id: str, events: List[Dict[str, Any]]) -> Any:
        return await self._call("POST", self._url(conversation_id, "tracker/events"), {}, json=events)

    async def execute(self, conversation_id: str, action: str) -> Any:
        result = await self._call("POST", self._url(conversation_id, "execute"),
                                  {"output_channel": "latest"}, json={"name": action})
        # Rasa's `execute` does not end with action_listen as a predicted turn would; without it
        # the citizen's next message does not match the rules (a rating after 办结 would fall back).
        await self.append_events(conversation_id, [{"event": "action", "name": "action_listen"}])
        return result

    async def send_staff_message(self, conversation_id: str, text: str, staff_name: str = "",
                                 department_name: str = "") -> None:
        """Human mode: the bot pauses (it stays silent until released, see bot.rasa.human_mode)
        and relays the staff member's words with who is answering."""
        await self.append_events(conversation_id, [
            {"event": "pause"},
            {"event": "slot", "name": "staff_message", "value": text},
            {"event": "slot", "name": "staff_name", "value": staff_name},
            {"event": "slot", "name": "staff_department", "value": department_name},
        ])
        await self.execute(conversation_id, "action_relay_staff_message")

    async def release(self, conversation_id: str) -> None:
        await self.append_events(conversation_id, [{"event": "resume"}])
        await self.execute(conversation_id, "action_handoff_released")

    async def resolved(self, conversation_id: str, number: str) -> None:
        # Resolving ends the staff's part: the bot takes the conversation back (a no-op when it was
        # never paused), tells the citizen and asks for the 好差评, which it must then hear.
        await self.append_events(conversation_id, [
            {"event": "resume"}, {"event": "slot", "name": "resolved_ticket", "value": number},
        ])
        await self.execute(conversation_id, "action_ticket_resolved")

    async def queue_moved(self, conversation_id: str, ahead: int, wait_minutes: int) -> None:
        """A waiting citizen's new place in the handoff queue (texts in domain.yml, filled from the slots)."""
        await self.append_events(conversation_id, [
            {"event": "slot", "name": "queue_ahead", "value": str(ahead)},
            {"event": "slot", "name": "queue_wait", "value": str(wait_minutes)},
        ])
        await self.execute(conversation_id, "utter_queue_next" if ahead <= 0 else "utter_queue_moved")

    async def transferred(self, conversation_id: str, number: str) -> None:
        """Tell the citizen their ticket went to another department (the action reads it from the hall)."""
        await self.append_events(conversation_id, [{"event": "slot", "name": "transferred_ticket", "value": number}])
        await self.execute(conversation_id, "action_ticket_transferred")
