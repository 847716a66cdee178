"""The durable outbox of WeChat 客服消息: a background worker drains it.

Every message the bot sends outside a passive reply is first written to the database, then sent
through the API. A failure leaves it there with `attempts` and `next_attempt_at` (exponential
backoff); a restart picks it up again. Each citizen's messages go out in order. Messages older than
WeChat's 48-hour window, and errors no retry can fix, end as `failed` (kept for the operator).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from typing import Any, Dict, List, Optional

from bot import settings
from bot.channels.wechat_api import WeChatAPI, WeChatAPIError
from bot.channels.wechat_store import WeChatStore
from bot.privacy import mask_text

logger = logging.getLogger(__name__)

MAX_AGE = 48 * 3600.0  # WeChat refuses 客服消息 48 hours after the citizen's last message
MAX_DELAY = 300.0
PRUNE_EVERY = 3600.0


def backoff(attempts: int, base: float) -> float:
    """1, 2, 4, … × base seconds (±10 %), at most five minutes."""
    delay = min(base * (2 ** max(0, attempts - 1)), MAX_DELAY)
    return delay * random.uniform(0.9, 1.1)


def text_payload(openid: str, content: str) -> Dict[str, Any]:
    return {"touser": openid, "msgtype": "text", "text": {"content": content}}


class OutboxWorker:
    def __init__(self, store: WeChatStore, api: WeChatAPI, retry_base: Optional[float] = None,
                 poll: Optional[float] = None) -> None:
        self.store = store
        self.api = api
        self.retry_base = retry_base if retry_base is not None else settings.wechat_timing("RETRY_BASE", 2.0)
        self.poll = poll if poll is not None else settings.wechat_timing("OUTBOX_POLL", 2.0)
        self._wake = asyncio.Event()
        self._task: Optional[asyncio.Task] = None
        self._warned_unconfigured = False
        self._last_prune = 0.0

    async def enqueue(self, openid: str, texts: List[str]) -> None:
        payloads = [text_payload(openid, t) for t in texts if t and t.strip()]
        if payloads:
            await asyncio.to_thread(self.store.enqueue, openid, payloads)
            self.wake()

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._wake = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._run(), name="wechat-outbox")
            logger.info("wechat: outbox worker started (%s)", self.store.engine.url.render_as_string(hide_password=True))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                while await self.drain_once():
                    pass
                if time.time() - self._last_prune > PRUNE_EVERY:
                    self._last_prune = time.time()
                    await asyncio.to_thread(self.store.prune)
                due = await asyncio.to_thread(self.store.next_due_in)
            except asyncio.CancelledError:
                raise
            except Exception:  # a database hiccup must not end the worker
                logger.exception("wechat: outbox worker error")
                due = None
            timeout = self.poll if due is None else min(self.poll, max(due, 0.05))
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=timeout)
            except asyncio.TimeoutError:
                pass
            self._wake.clear()

    async def drain_once(self) -> int:
        """Send what is due now; how many messages were attempted."""
        if not self.api.configured:
            if not self._warned_unconfigured:
                logger.warning("wechat: WECHAT_APP_ID/WECHAT_APP_SECRET not set; 客服消息 stay in the outbox")
                self._warned_unconfigured = True
            return 0
        rows = await asyncio.to_thread(self.store.claim_due)
        for row in rows:
            attempts = row.attempts + 1
            try:
                await self.api.send(row.payload)
            except WeChatAPIError as exc:
                error = mask_text(str(exc))
                too_old = time.time() - row.created_at > MAX_AGE
                if exc.permanent or too_old:
                    logger.warning("wechat: outbox message %s failed for good: %s", row.id, error)
                    await asyncio.to_thread(self.store.mark_failed, row.id, attempts, error)
                else:
                    delay = backoff(attempts, self.retry_base)
                    logger.warning("wechat: outbox message %s not sent (attempt %s, retry in %.1f s): %s",
                                   row.id, attempts, delay, error)
                    await asyncio.to_thread(self.store.mark_retry, row.id, attempts, delay, error)
                continue
            await asyncio.to_thread(self.store.mark_sent, row.id)
        return len(rows)
