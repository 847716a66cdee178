"""Client of the service-hall API (the 事项库 and 工单 systems), one per action-server process.

The base URL and the service token are configuration (HALL_URL, HALL_SERVICE_TOKEN), so a
deployment can point the actions at its own systems. Every call has a 3 s budget: a citizen is
better served by an apology and the 12345 hotline than by a long silence.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Awaitable, Callable, Dict, List, Optional

import httpx

from bot.settings import get_settings

logger = logging.getLogger(__name__)

TIMEOUT = httpx.Timeout(3.0)
GUIDE_TTL = 300.0  # seconds a guide stays cached; the hall's catalogue version invalidates sooner


class HallUnavailable(Exception):
    """The hall did not answer in time or answered with a server error."""


class HallClient:
    def __init__(self, base_url: str, token: str, transport: Optional[httpx.AsyncBaseTransport] = None) -> None:
        self._base_url = base_url.rstrip("/")
        self._transport = transport  # tests pass httpx.ASGITransport(app) to run the hall in-process
        self._headers = {"Authorization": f"Bearer {token}"}
        self._client: Optional[httpx.AsyncClient] = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._guides: Dict[str, tuple] = {}
        self._catalogue_version: Optional[str] = None

    def _http(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            # One connection pool per event loop (Sanic runs one loop per worker).
            self._client = httpx.AsyncClient(
                base_url=self._base_url, headers=self._headers, timeout=TIMEOUT, transport=self._transport
            )
            self._loop = loop
        return self._client

    async def _request(self, method: str, path: str, retries: int = 0, **kwargs: Any) -> httpx.Response:
        last: Exception = HallUnavailable("no attempt")
        for attempt in range(retries + 1):
            try:
                response = await self._http().request(method, path, **kwargs)
            except httpx.HTTPError as exc:
                last = exc
            else:
                if response.status_code < 500:
                    self._note_version(response)
                    return response
                last = HallUnavailable(f"{method} {path}: HTTP {response.status_code}")
            if attempt < retries:
                await asyncio.sleep(0.3 * (attempt + 1))
        logger.warning("service hall unavailable: %s %s: %s", method, path, last)
        raise HallUnavailable(str(last)) from last

    def _note_version(self, response: httpx.Response) -> None:
        version = response.headers.get("x-catalogue-version")
        if version and version != self._catalogue_version:
            self._catalogue_version = version
            self._guides.clear()

    async def _cached(self, key: str, fetch: Callable[[], Awaitable[Any]]) -> Any:
        """A listing kept like a guide (GUIDE_TTL, dropped when the catalogue version changes)."""
        cached = self._guides.get(key)
        if cached and time.monotonic() - cached[0] < GUIDE_TTL:
            return cached[1]
        value = await fetch()
        self._guides[key] = (time.monotonic(), value)
        return value

    async def guide(self, code: str) -> Optional[Dict[str, Any]]:
        """The whole 办事指南 of a matter or bundle, or None for an unknown code."""
        cached = self._guides.get(code)
        if cached and time.monotonic() - cached[0] < GUIDE_TTL:
            return cached[1]
        response = await self._request("GET", f"/api/matters/{code}", retries=1)
        if response.status_code == 404:
            return None
        response.raise_for_status()
        guide = response.json()
        self._guides[code] = (time.monotonic(), guide)
        return guide

    async def departments(self) -> List[Dict[str, Any]]:
        """The departments (code, name, note, phone), cached like guides."""
        async def fetch() -> List[Dict[str, Any]]:
            response = await self._request("GET", "/api/departments", retries=1)
            response.raise_for_status()
            return response.json().get("items", [])

        return await self._cached("__departments__", fetch)

    async def department(self, code: Optional[str]) -> Optional[Dict[str, Any]]:
        """One department (code, name, note, phone) by its code, or None."""
        return next((d for d in await self.departments() if d["code"] == code), None) if code else None

    async def bundles(self) -> List[Dict[str, Any]]:
        """The guides of every 一件事, cached like guides."""
        async def fetch() -> List[Dict[str, Any]]:
            return [g for m in await self.matters(kind="bundle") if (g := await self.guide(m["code"]))]

        return await self._cached("__bundles__", fetch)

    async def matters(self, department: Optional[str] = None, kind: Optional[str] = None) -> List[Dict[str, Any]]:
        """Matters of one department and/or kind (code, name, kind, department), cached like guides: a
        what-if follow-up reads its department's list on every such message."""
        params = {k: v for k, v in (("department", department), ("kind", kind), ("limit", 200)) if v}

        async def fetch() -> List[Dict[str, Any]]:
            response = await self._request("GET", "/api/matters", retries=1, params=params)
            response.raise_for_status()
            return response.json().get("items", [])

        return await self._cached(f"__matters__{department or ''}/{kind or ''}", fetch)

    async def create_ticket(self, payload: Dict[str, Any]) -> Dict[str, Any]:
        """Open a ticket; the payload's idempotency_key makes retries safe, so we retry."""
        response = await self._request("POST", "/api/tickets", retries=2, json=payload)
        if response.status_code >= 400:
            logger.error("ticket refused by the hall: %s %s", response.status_code, response.text[:300])
            raise HallUnavailable(f"ticket refused: HTTP {response.status_code}")
        return response.json()

    async def add_contact(self, number: str, conversation_id: str, phone: Optional[str],
                          region: Optional[str], consent: Optional[bool] = None,
                          note: Optional[str] = None) -> Dict[str, Any]:
        """The call-back phone (and place) given after the ticket was filed, the citizen's answer
        to whether staff may read the conversation, or more of their story."""
        response = await self._request("POST", f"/api/tickets/{number}/contact", retries=2, json={
            "conversation_id": conversation_id, "contact_phone": phone or None, "region": region or None,
            "consent": consent, "note": note})
        if response.status_code >= 400:
            logger.error("contact refused by the hall: %s %s", response.status_code, response.text[:300])
            raise HallUnavailable(f"contact refused: HTTP {response.status_code}")
        return response.json()

    async def ticket(self, number: str) -> Optional[Dict[str, Any]]:
        response = await self._request("GET", f"/api/tickets/{number}", retries=1)
        return response.json() if response.status_code == 200 else None

    async def lookup_tickets(
        self, conversation_id: str, number: Optional[str] = None, phone: Optional[str] = None
    ) -> List[Dict[str, Any]]:
        body = {"conversation_id": conversation_id, "number": number, "phone": phone}
        response = await self._request("POST", "/api/tickets/lookup", retries=1, json=body)
        if response.status_code >= 400:
            return []
        return response.json().get("items", [])

    async def human_mode_ended(self, conversation_id: str) -> None:
        """The citizen said "结束人工": the conversation's tickets leave human mode."""
        from urllib.parse import quote

        await self._request("POST", f"/api/conversations/{quote(conversation_id, safe='')}/human/release", retries=1)

    async def record_rating(self, payload: Dict[str, Any]) -> bool:
        """True when recorded (or the same request again); False when the hall already has a rating
        of this conversation's service (409: one rating per served conversation)."""
        response = await self._request("POST", "/api/ratings", retries=2, json=payload)
        return response.status_code != 409

    async def record_unmatched(self, conversation_id: str, text: str, channel: str) -> None:
        try:
            await self._request(
                "POST", "/api/unmatched",
                json={"conversation_id": conversation_id, "text": text[:2000], "channel": channel},
            )
        except HallUnavailable:
            pass  # statistics only: never let it disturb the conversation

    async def approved_answer(self, question: str) -> Optional[Dict[str, Any]]:
        """The best approved answer staff gave to a question like this one, or None (issue #17)."""
        response = await self._request("GET", "/api/approved-answers/match", retries=1,
                                       params={"q": question[:2000]})
        return response.json() if response.status_code == 200 else None

    async def erase_conversation(self, conversation_id: str) -> Dict[str, Any]:
        """Delete the citizen's conversation (transcript and contact details) unless a ticket is open:
        {"erased": bool, "open_tickets": [...], "message": ...}."""
        from urllib.parse import quote

        response = await self._request("POST", f"/api/conversations/{quote(conversation_id, safe='')}/erase", retries=1)
        if response.status_code not in (200, 409):
            raise HallUnavailable(f"erase refused: HTTP {response.status_code}")
        return response.json()


_client: Optional[HallClient] = None


def hall() -> HallClient:
    """The process-wide client, configured once from the environment."""
    global _client
    if _client is None:
        settings = get_settings()
        _client = HallClient(settings.hall_url, settings.hall_service_token)
    return _client
