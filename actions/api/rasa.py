"""Client of the Rasa server's HTTP API for the one thing the actions ask it: how the NLU pipeline
reads a text that is not the latest message (a short reply read together with the message before
it). Configuration (RASA_URL, RASA_TOKEN) is read once, from bot.settings."""

from __future__ import annotations

import logging
from typing import Any, Dict, Optional

import httpx

from bot.settings import get_settings

logger = logging.getLogger(__name__)

TIMEOUT = httpx.Timeout(3.0)


async def parse(text: str) -> Optional[Dict[str, Any]]:
    """Rasa's parse of `text` (intent, entities, matter_match), or None when Rasa does not answer."""
    settings = get_settings()
    try:
        async with httpx.AsyncClient(base_url=settings.rasa_url, timeout=TIMEOUT, trust_env=False) as client:
            # Rasa's --auth-token is checked on the `token` query parameter.
            response = await client.post("/model/parse", params={"token": settings.rasa_token}, json={"text": text})
    except httpx.HTTPError as exc:
        logger.warning("Rasa parse unavailable: %s", type(exc).__name__)
        return None
    return response.json() if response.status_code == 200 else None
