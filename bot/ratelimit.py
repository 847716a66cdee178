"""Token buckets per sender and per address (README "Security"): chat messages in the channels,
ticket look-ups in the action server. In memory per process by default; in Redis
(ONETRIP_RATE_LIMIT_REDIS_URL, else ONETRIP_SOCKETIO_REDIS_URL) when several servers share the
load. Redis unavailable means no limit (logged), never a refusal or a 5xx.

Ground floor: imports only bot.settings and bot.metrics.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Dict, Optional, Tuple

from bot import metrics, settings

logger = logging.getLogger(__name__)


class MemoryBuckets:
    """Token buckets in this process: `capacity` tokens, refilled at capacity/period per second."""

    def __init__(self, max_keys: int = 100_000) -> None:
        self.buckets: Dict[str, Tuple[float, float]] = {}
        self.max_keys = max_keys

    async def take(self, key: str, capacity: float, period: float, now: Optional[float] = None) -> bool:
        now = time.monotonic() if now is None else now
        tokens, last = self.buckets.get(key, (capacity, now))
        tokens = min(capacity, tokens + (now - last) * capacity / period)
        allowed = tokens >= 1.0
        if allowed:
            tokens -= 1.0
        if len(self.buckets) >= self.max_keys and key not in self.buckets:
            self._forget_full(now, capacity, period)
        self.buckets[key] = (tokens, now)
        return allowed

    def _forget_full(self, now: float, capacity: float, period: float) -> None:
        """Drop the buckets that have refilled anyway (bounded memory under a flood of senders)."""
        for key, (tokens, last) in list(self.buckets.items()):
            if tokens + (now - last) * capacity / period >= capacity:
                del self.buckets[key]
        if len(self.buckets) >= self.max_keys:
            self.buckets.clear()


_REDIS_BUCKET = """
local cap = tonumber(ARGV[1]); local rate = tonumber(ARGV[2]); local now = tonumber(ARGV[3])
local v = redis.call('HMGET', KEYS[1], 't', 'ts')
local t = tonumber(v[1]) or cap; local ts = tonumber(v[2]) or now
t = math.min(cap, t + math.max(0, now - ts) * rate)
local ok = 0
if t >= 1 then t = t - 1; ok = 1 end
redis.call('HSET', KEYS[1], 't', t, 'ts', now)
redis.call('EXPIRE', KEYS[1], math.ceil(cap / rate) + 1)
return ok
"""


class RedisBuckets:
    """The same buckets in Redis, shared by every Rasa server (one Lua script, atomic)."""

    def __init__(self, url: str) -> None:
        import redis.asyncio as aioredis

        self.client = aioredis.from_url(url)
        self.script = self.client.register_script(_REDIS_BUCKET)

    async def take(self, key: str, capacity: float, period: float, now: Optional[float] = None) -> bool:
        try:
            return bool(await self.script(keys=[f"onetrip:rate:{key}"],
                                          args=[capacity, capacity / period, time.time() if now is None else now]))
        except Exception as exc:  # noqa: BLE001 - Redis down: no limit rather than no service
            logger.warning("rate limit: Redis unavailable (%r); message let through", exc)
            return True


class Limiter:
    """Per-sender and per-address limits of one kind ("messages" or "lookups")."""

    def __init__(self, buckets: Any = None, limits: Optional[Dict[str, tuple]] = None) -> None:
        self.buckets = buckets or MemoryBuckets()
        self.limits = limits if limits is not None else settings.chat_rate_limits()

    async def allow(self, kind: str, sender: str, address: Optional[str] = None) -> bool:
        checks = [(f"{kind}_sender", f"s:{sender}")]
        if address:
            checks.append((f"{kind}_address", f"a:{address}"))
        allowed = True
        for name, key in checks:  # a sender already over its limit takes nothing from its address
            capacity, period = self.limits.get(name, (0.0, 0.0))
            if capacity and not await self.buckets.take(f"{kind}:{key}", capacity, period):
                allowed = False
                break
        if not allowed:
            metrics.RATE_LIMITED.labels(kind).inc()
            logger.info("rate limit: %s of …%s from %s refused", kind, sender[-6:], address or "?")
        return allowed


_limiter: Optional[Limiter] = None


def limiter() -> Limiter:
    """The process's limiter (Redis-backed when configured)."""
    global _limiter
    if _limiter is None:
        url = settings.rate_limit_redis_url()
        _limiter = Limiter(RedisBuckets(url) if url else MemoryBuckets())
    return _limiter


def reset_limiter(new: Optional[Limiter] = None) -> None:
    """For tests and for a settings change: the next `limiter()` is built anew."""
    global _limiter
    _limiter = new
