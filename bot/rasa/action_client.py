"""Rasa opens a new aiohttp `ClientSession`, and with it a new TCP connection, for every request
to an endpoint (`EndpointConfig.request`: `async with self.session() as session`), that is for
every custom action it runs. Setting up and tearing down both cost about as much as the call
itself: 3.1 ms of CPU per call against 1.5 ms with one session kept open (client and server
together, 20 KB tracker; benchmarks in docs/bench.md).

Here each endpoint configuration (same headers and credentials) keeps one session per event
loop, with keep-alive connections that the client drops after 2 s idle, before rasa_sdk's Sanic
would close them (5 s), so a request never goes out on a connection the server is closing.
A connection to an action server that died is closed by the kernel and leaves the pool; the
next request opens a new one, as Rasa's own code would.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any, Dict, Tuple

import aiohttp
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

KEEPALIVE_SECONDS = 2.0

_sessions: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Dict[Tuple, aiohttp.ClientSession]]" = (
    weakref.WeakKeyDictionary()
)


class _Borrowed:
    """What `async with endpoint.session() as session` gets: the shared session, left open."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self.session

    async def __aexit__(self, *exc: Any) -> None:
        return None


def _key(endpoint: EndpointConfig) -> Tuple:
    auth = endpoint.basic_auth or {}
    return (tuple(sorted((endpoint.headers or {}).items())), auth.get("username"), auth.get("password"))


def session(self: EndpointConfig) -> _Borrowed:
    loop = asyncio.get_running_loop()
    per_loop = _sessions.setdefault(loop, {})
    key = _key(self)
    shared = per_loop.get(key)
    if shared is None or shared.closed:
        auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"]) if self.basic_auth else None
        shared = aiohttp.ClientSession(
            headers=self.headers,
            auth=auth,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_SECONDS),
        )
        per_loop[key] = shared
    return _Borrowed(shared)


async def close_sessions() -> None:
    """Close this loop's sessions (at server shutdown)."""
    loop = asyncio.get_running_loop()
    for shared in list(_sessions.pop(loop, {}).values()):
        await shared.close()


def install() -> None:
    """Idempotent."""
    EndpointConfig.session = session  # type: ignore[assignment]
