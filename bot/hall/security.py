"""Headers on every hall response, and the client's address behind a configured proxy.

One ASGI middleware (no BaseHTTPMiddleware: the console's Server-Sent Events stream through):

* the client address: ``request.client`` is the peer, or, when the peer is one of
  ``ONETRIP_TRUSTED_PROXIES``, the address that proxy forwarded (X-Forwarded-For, right-most
  untrusted entry) and its X-Forwarded-Proto. Anyone else's X-Forwarded-For is ignored, so the
  login limit cannot be dodged by inventing addresses;
* Content-Security-Policy: scripts and styles from the hall only, no inline script anywhere;
  ``frame-ancestors 'none'`` for the console and the API, ``ONETRIP_WIDGET_FRAME_ANCESTORS`` for
  the demo portal ``/`` and ``/widget*``; the API documentation pages (when on) may load Swagger
  UI from its CDN;
* X-Content-Type-Options: nosniff, Referrer-Policy: same-origin, X-Frame-Options outside the widget;
* cookies get ``Secure`` when the request came over TLS (``ONETRIP_SECURE_COOKIES=auto``), always
  (``on``) or never (``off``).
"""

from __future__ import annotations

from typing import List, Tuple
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.hall.auth import real_client, trusted
from bot.settings import Settings

_BASE = ("default-src 'self'", "script-src 'self'", "img-src 'self' data:", "object-src 'none'",
         "base-uri 'none'", "form-action 'self'")
DOCS_PATHS = ("/docs", "/redoc")


def _origins(url: str) -> str:
    """The http(s) and ws(s) origins of a server the browser talks to (socket.io: both)."""
    parts = urlsplit(url)
    if not parts.netloc:
        return ""
    secure = parts.scheme == "https"
    return f"{parts.scheme}://{parts.netloc} {'wss' if secure else 'ws'}://{parts.netloc}"


def policies(settings: Settings) -> dict:
    frame_widget = settings.widget_frame_ancestors.strip() or "'none'"
    rasa = _origins(settings.rasa_url)
    return {
        # style attributes (not <style> elements) are allowed: a few console pages use them.
        "console": "; ".join(_BASE + ("style-src 'self'", "style-src-attr 'unsafe-inline'", "connect-src 'self'",
                                      "frame-ancestors 'none'")),
        # The demo portal keeps its page styles inline (no script is inline); the widget talks to Rasa.
        "portal": "; ".join(_BASE + ("style-src 'self' 'unsafe-inline'", f"connect-src 'self' {rasa}".strip(),
                                     f"frame-ancestors {frame_widget}")),
        "widget": "; ".join(_BASE + ("style-src 'self'", "connect-src 'self'", f"frame-ancestors {frame_widget}")),
        # FastAPI's Swagger UI / ReDoc pages: an inline bootstrap script and the CDN's files.
        "docs": "; ".join(("default-src 'self'", "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net",
                           "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com",
                           "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly",
                           "font-src 'self' https://fonts.gstatic.com", "worker-src 'self' blob:",
                           "connect-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'")),
    }


def policy_for(path: str) -> str:
    if path == "/":
        return "portal"
    if path == "/widget.js" or path.startswith("/widget/"):
        return "widget"
    if path.startswith(DOCS_PATHS):
        return "docs"
    return "console"


class HallSecurity:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.policies = policies(settings)

    def _forwarded(self, scope: Scope) -> Scope:
        proxies = self.settings.trusted_proxies
        client = scope.get("client")
        if not proxies or not client or not trusted(client[0], proxies):
            return scope
        headers = [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in scope.get("headers", [])]
        forwarded = [v for k, v in headers if k == "x-forwarded-for"]
        scope = dict(scope, client=(real_client(client[0], forwarded, proxies), client[1]))
        protos = [p.strip().lower() for k, v in headers if k == "x-forwarded-proto" for p in v.split(",")]
        if protos and protos[-1] in ("http", "https"):
            tls = protos[-1] == "https"
            scope["scheme"] = ("wss" if tls else "ws") if scope["type"] == "websocket" else protos[-1]
        return scope

    def _secure(self, scope: Scope) -> bool:
        mode = self.settings.secure_cookies
        return mode == "on" or (mode == "auto" and scope.get("scheme") in ("https", "wss"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        scope = self._forwarded(scope)
        kind = policy_for(scope.get("path", ""))
        csp = self.policies[kind]
        secure = self._secure(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = csp
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "same-origin"
                if kind not in ("portal", "widget"):
                    headers["X-Frame-Options"] = "DENY"
                if secure:
                    _secure_cookies(message)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _secure_cookies(message: Message) -> None:
    raw: List[Tuple[bytes, bytes]] = message.get("headers", [])
    for i, (key, value) in enumerate(raw):
        if key.lower() == b"set-cookie" and b"secure" not in [a.strip().lower() for a in value.split(b";")[1:]]:
            raw[i] = (key, value + b"; Secure")
