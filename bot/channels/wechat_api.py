"""A small client of the official-account API: the access token and the 客服消息 send call.

GET  {base}/cgi-bin/token?grant_type=client_credential&appid=..&secret=..  -> access_token, expires_in
POST {base}/cgi-bin/message/custom/send?access_token=..  {"touser", "msgtype": "text", "text": {...}}
GET  {base}/cgi-bin/media/get?access_token=..&media_id=..  -> the file's bytes, or a JSON error body

The token lives about two hours and fetching a new one retires the old one, so every server of an
account shares it through the channel's database; it is refreshed five minutes early, and at once
when WeChat says it is invalid or expired (40001, 40014, 42001).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any, Dict, Optional, Tuple

import httpx

from bot.channels.wechat_store import WeChatStore

logger = logging.getLogger(__name__)

TOKEN_ERRORS = {40001, 40014, 42001}
# The citizen cannot get this message however often we try: not a follower, 48 hours without a
# message from them, too many messages since their last one, an unknown OpenID.
PERMANENT_ERRORS = {40003, 43004, 45015, 45047, 43019}
REFRESH_MARGIN = 300.0


class WeChatAPIError(Exception):
    def __init__(self, message: str, errcode: Optional[int] = None, permanent: bool = False) -> None:
        super().__init__(message)
        self.errcode = errcode
        self.permanent = permanent


class WeChatAPI:
    def __init__(self, app_id: str, app_secret: str, base_url: str, store: WeChatStore,
                 timeout: float = 10.0) -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        self.base_url = (base_url or "https://api.weixin.qq.com").rstrip("/")
        self.store = store
        self.timeout = timeout
        self._token: Optional[str] = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()
        self._client: Optional[httpx.AsyncClient] = None

    @property
    def configured(self) -> bool:
        return bool(self.app_id and self.app_secret)

    def _http(self) -> httpx.AsyncClient:
        if self._client is None or self._client.is_closed:
            self._client = httpx.AsyncClient(timeout=self.timeout)
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _json(self, method: str, path: str, **kwargs: Any) -> Dict[str, Any]:
        try:
            response = await self._http().request(method, self.base_url + path, **kwargs)
        except httpx.HTTPError as exc:
            raise WeChatAPIError(f"{path}: {type(exc).__name__}: {exc}") from exc
        if response.status_code >= 400:
            raise WeChatAPIError(f"{path}: HTTP {response.status_code}")
        try:
            data = response.json()
        except ValueError as exc:
            raise WeChatAPIError(f"{path}: not JSON") from exc
        if not isinstance(data, dict):
            raise WeChatAPIError(f"{path}: unexpected answer")
        return data

    async def access_token(self, refused: Optional[str] = None) -> str:
        """A valid token; `refused` is one WeChat just rejected, which must not come back."""
        async with self._lock:
            now = time.time()
            if self._token and self._token != refused and self._expires_at - REFRESH_MARGIN > now:
                return self._token
            if refused:
                await asyncio.to_thread(self.store.forget_token, self.app_id, refused)
            stored = await asyncio.to_thread(self.store.stored_token, self.app_id)
            if stored and stored[0] != refused and stored[1] - REFRESH_MARGIN > now:
                self._token, self._expires_at = stored
                return self._token
            data = await self._json("GET", "/cgi-bin/token", params={
                "grant_type": "client_credential", "appid": self.app_id, "secret": self.app_secret})
            token = data.get("access_token")
            if not token:
                raise WeChatAPIError(
                    f"/cgi-bin/token: errcode {data.get('errcode')} {data.get('errmsg', '')}",
                    errcode=data.get("errcode"),
                )
            expires_in = float(data.get("expires_in") or 7200)
            self._token, self._expires_at = token, now + expires_in
            await asyncio.to_thread(self.store.store_token, self.app_id, token, self._expires_at)
            logger.info("wechat: new access token, valid %.0f s", expires_in)
            return token

    async def send(self, payload: Dict[str, Any]) -> None:
        """One 客服消息; raises WeChatAPIError (with .permanent) when WeChat did not take it."""
        if not self.configured:
            raise WeChatAPIError("WECHAT_APP_ID / WECHAT_APP_SECRET are not set")
        token = await self.access_token()
        for attempt in (1, 2):
            data = await self._json("POST", "/cgi-bin/message/custom/send",
                                    params={"access_token": token}, json=payload)
            errcode = int(data.get("errcode") or 0)
            if errcode == 0:
                return
            message = f"custom/send: errcode {errcode} {data.get('errmsg', '')}".strip()
            if errcode in TOKEN_ERRORS and attempt == 1:
                logger.info("wechat: access token refused (%s), refreshing", errcode)
                token = await self.access_token(refused=token)
                continue
            raise WeChatAPIError(message, errcode=errcode, permanent=errcode in PERMANENT_ERRORS)

    async def media(self, media_id: str, max_bytes: int) -> bytes:
        """A temporary material's bytes (an image message's MediaId), at most `max_bytes` + 1 of them
        (one over says "too large" to whoever checks); WeChatAPIError when WeChat refuses.

        WeChat answers an error with a JSON body (`{"errcode": 40007, "errmsg": "invalid media_id"}`)
        and status 200; an expired token is refreshed once, as for sending. The caller sets the
        overall deadline (httpx's timeout is per read)."""
        if not self.configured:
            raise WeChatAPIError("WECHAT_APP_ID / WECHAT_APP_SECRET are not set")
        token = await self.access_token()
        for attempt in (1, 2):
            data = await self._download(
                "/cgi-bin/media/get", {"access_token": token, "media_id": media_id}, max_bytes)
            error = _error_body(data)
            if error is None:
                return data
            errcode, errmsg = error
            if errcode in TOKEN_ERRORS and attempt == 1:
                logger.info("wechat: access token refused (%s), refreshing", errcode)
                token = await self.access_token(refused=token)
                continue
            raise WeChatAPIError(f"media/get: errcode {errcode} {errmsg}".strip(), errcode=errcode,
                                 permanent=errcode not in TOKEN_ERRORS and errcode != -1)
        raise WeChatAPIError("media/get: no answer")  # not reached

    async def _download(self, path: str, params: Dict[str, str], max_bytes: int) -> bytes:
        body = bytearray()
        try:
            async with self._http().stream("GET", self.base_url + path, params=params) as response:
                if response.status_code >= 400:
                    raise WeChatAPIError(f"{path}: HTTP {response.status_code}")
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > max_bytes:
                        del body[max_bytes + 1:]
                        break
                return bytes(body)
        except httpx.HTTPError as exc:
            raise WeChatAPIError(f"{path}: {type(exc).__name__}: {exc}") from exc


def _error_body(data: bytes) -> Optional[Tuple[int, str]]:
    """(errcode, errmsg) when the media answer is WeChat's JSON error rather than a file."""
    # Whatever the Content-Type says (WeChat has used text/plain): a JSON object is no file of ours.
    if data.lstrip()[:1] != b"{" or len(data) > 64 * 1024:
        return None
    try:
        parsed = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(parsed, dict) or "errcode" not in parsed:
        return None
    try:
        errcode = int(parsed.get("errcode") or 0)
    except (TypeError, ValueError):
        errcode = -1
    return errcode, str(parsed.get("errmsg") or "")
