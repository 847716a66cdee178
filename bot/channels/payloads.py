"""What every channel checks before a citizen's message reaches Rasa (README "Security").

* **Length**: a message longer than ``settings.max_message_chars()`` (2,000 by default) is not
  processed at all; the citizen gets a reply that says so. The check runs before the admission
  gate and before Rasa, so a 60 KB message costs nothing and stalls nobody.
* **Rate**: token buckets per sender and per address (chat messages; ticket look-ups are counted
  by the action server with the same buckets, ``actions/tickets.py``). In memory per process by
  default; in Redis (``ONETRIP_RATE_LIMIT_REDIS_URL`` or ``ONETRIP_SOCKETIO_REDIS_URL``) when several
  Rasa servers share the load. A limited message gets a polite reply, never a 5xx; Redis down
  means no limit (logged), not a refusal.
* **Payloads**: ``/intent{...}`` is Rasa's way for a button to say exactly what it means. Typed
  by anyone it opened handoff tickets and ratings at will, so a message in that form is taken as
  a payload only when it equals one the bot offered in its last turn to this sender (the buttons
  and quick replies of the bot events since the citizen's previous message), or one of the
  channel's own standing buttons (the widget's 转人工). Anything else is plain text: the leading
  ``/`` is dropped and the NLU reads the rest.
"""

from __future__ import annotations

import ipaddress
import logging
import math
from typing import Any, Iterable, Optional, Set

from bot import logs, settings
from bot.ratelimit import limiter

logger = logging.getLogger(__name__)
logs.install()  # ONETRIP_LOG_FORMAT=json: the Rasa process's log lines as masked JSON

PAYLOAD_PREFIX = "/"
# Buttons a channel shows all the time, not offered by a bot message: the widget's 转人工.
STANDING_PAYLOADS = frozenset({"/human_handoff"})

TOO_LONG = "您的消息太长了（超过{limit}个字），我没有处理。请精简到{limit}个字以内，或分几次发送。"
TOO_FAST = "您发送得太快了，请稍等一分钟再发。给您带来不便，敬请谅解。"


# -- length ------------------------------------------------------------------------------------------

def too_long(text: str) -> Optional[str]:
    """The reply for a message over the limit, or None when it may go on."""
    limit = settings.max_message_chars()
    return TOO_LONG.format(limit=limit) if len(text or "") > limit else None


# -- payloads ----------------------------------------------------------------------------------------

def offered_payloads(events: Iterable[Any]) -> Set[str]:
    """Payloads of the buttons in the bot's last turn: bot events after the last user event.

    ``events`` are Rasa event objects or their dicts (tracker JSON)."""
    offered: Set[str] = set()
    for event in reversed(list(events)):
        kind = event.get("event") if isinstance(event, dict) else getattr(event, "type_name", "")
        if kind == "user":
            break
        if kind != "bot":
            continue
        data = (event.get("data") if isinstance(event, dict) else getattr(event, "data", None)) or {}
        for key in ("buttons", "quick_replies"):
            for button in data.get(key) or []:
                if isinstance(button, dict) and isinstance(button.get("payload"), str):
                    offered.add(button["payload"].strip())
        for element in data.get("elements") or []:
            for button in (element or {}).get("buttons") or []:
                if isinstance(button, dict) and isinstance(button.get("payload"), str):
                    offered.add(button["payload"].strip())
    return offered


def screen(text: str, offered: Iterable[str]) -> str:
    """``text`` as Rasa should see it: a payload only if offered, else plain text without the ``/``."""
    stripped = (text or "").strip()
    if not stripped.startswith(PAYLOAD_PREFIX):
        return text
    if stripped in STANDING_PAYLOADS or stripped in set(offered):
        return stripped
    return stripped.lstrip(PAYLOAD_PREFIX).strip()


async def screen_for(agent: Any, sender_id: str, text: str) -> str:
    """`screen` against the sender's tracker in the agent's tracker store (read only for ``/…``)."""
    if not (text or "").strip().startswith(PAYLOAD_PREFIX):
        return text
    offered: Set[str] = set()
    store = getattr(agent, "tracker_store", None)
    if store is not None:
        try:
            tracker = await store.retrieve(sender_id)
        except Exception as exc:  # noqa: BLE001 - no tracker: nothing was offered
            logger.warning("payload check: tracker of %s unreadable: %r", sender_id[-6:], exc)
            tracker = None
        if tracker is not None:
            offered = offered_payloads(tracker.events)
    screened = screen(text, offered)
    if screened != text.strip():
        logger.info("a typed payload from …%s was not offered: taken as text", sender_id[-6:])
    return screened


# -- rate (bot.ratelimit) ---------------------------------------------------------------------------

def client_address(peer: Optional[str], forwarded_for: Optional[str]) -> Optional[str]:
    """The citizen's address: the peer, or the X-Forwarded-For entry next to a trusted proxy."""
    trusted = settings.rasa_trusted_proxies()

    def is_trusted(value: str) -> bool:
        try:
            ip = ipaddress.ip_address(value.strip())
        except ValueError:
            return False
        return any(ip in network for network in trusted)

    if not peer or not trusted or not is_trusted(peer) or not forwarded_for:
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):  # right to left: the first hop the proxies did not add
        if not is_trusted(hop):
            return hop
    return hops[0] if hops else peer


async def admit_text(text: str, sender: str, address: Optional[str]) -> Optional[str]:
    """None when the message may go on to Rasa, else the reply the citizen gets instead.

    Also marks the task's log lines with the conversation id (bot.logs, JSON logs)."""
    logs.conversation(sender)
    from bot import metrics

    if not await limiter().allow("messages", sender, address):  # a flood of long messages counts too
        metrics.REFUSED.labels("rate").inc()
        return TOO_FAST
    refusal = too_long(text)
    if refusal:
        metrics.REFUSED.labels("too_long").inc()
        return refusal
    return None


def bucket_seconds(capacity: float, period: float) -> int:
    """How long an emptied bucket takes to give one token back (for messages that say "wait")."""
    return max(1, math.ceil(period / capacity)) if capacity else 0
