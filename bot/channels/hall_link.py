"""The channels' way to the service hall: its HTTP API with the service token, like the actions.

The channels never import `bot.hall` (the hall imports `bot.channels.widget_format`, and bot/'s
rooms must not import each other both ways): they call the hall's bot-service endpoints.

POST {HALL_URL}/api/conversations/{conversation_id}/attachments
     multipart `file` (the bytes; the hall sniffs the type, limits the size, strips EXIF), or
     JSON {"source_url", "name"} (an image the channel could not fetch: only its link is kept)
  -> 201 stored in the conversation's open ticket, 409 no open ticket, 413 too large,
     415 not JPEG/PNG/WebP/PDF; every refusal with a Chinese `detail`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Optional
from urllib.parse import quote

import httpx

from bot import settings

logger = logging.getLogger(__name__)

TIMEOUT = 10.0


@dataclass(frozen=True)
class HallAnswer:
    """The hall's answer: `status` 0 when it could not be reached (or answered 5xx)."""

    status: int
    detail: str = ""


class HallLink:
    def __init__(self, base_url: str = "", token: str = "", timeout: float = TIMEOUT) -> None:
        self._base_url = base_url.rstrip("/")
        self._token = token
        self.timeout = timeout

    def _target(self) -> tuple:
        if self._base_url and self._token:
            return self._base_url, self._token
        current = settings.get_settings()  # read when first needed, not when Rasa loads the channel
        return (self._base_url or current.hall_url).rstrip("/"), self._token or current.hall_service_token

    async def attach(self, conversation_id: str, data: bytes = b"", name: str = "",
                     source_url: Optional[str] = None) -> HallAnswer:
        """A citizen's file (or, without bytes, an image's link) into their conversation's open ticket."""
        base, token = self._target()
        url = f"{base}/api/conversations/{quote(conversation_id, safe='')}/attachments"
        headers = {"Authorization": f"Bearer {token}"}
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                if data:
                    response = await client.post(url, headers=headers, files={"file": (name or "附件", data)})
                else:
                    response = await client.post(url, headers=headers,
                                                 json={"source_url": source_url or "", "name": name or "微信图片"})
        except httpx.HTTPError as exc:
            logger.warning("hall: attachment for …%s not delivered: %r", conversation_id[-6:], exc)
            return HallAnswer(0)
        if response.status_code >= 500:
            logger.warning("hall: attachment for …%s: HTTP %s", conversation_id[-6:], response.status_code)
            return HallAnswer(0)
        detail = ""
        try:
            body = response.json()
            if isinstance(body, dict) and isinstance(body.get("detail"), str):
                detail = body["detail"]
        except ValueError:
            pass
        return HallAnswer(response.status_code, detail)
