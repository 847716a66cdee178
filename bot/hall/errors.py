"""Every bad input gets a 4xx with a Chinese ``detail``; nothing reaches a 500 by being malformed."""

from __future__ import annotations

import json
import logging
from urllib.parse import unquote_to_bytes

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
# Attachment uploads (`…/attachments`): a 10 MB file and its multipart envelope.
MAX_UPLOAD_BODY = 10 * 1024 * 1024 + 64 * 1024
UPLOAD_TOO_LARGE = "文件过大，单个附件不能超过10MB"

DEFAULT_DETAILS = {
    400: "请求格式错误", 401: "需要登录", 403: "无权访问", 404: "未找到", 405: "不支持该请求方法",
    413: "请求内容过大（上限64KB）", 415: "不支持的内容类型", 422: "请求参数不合法", 429: "请求过于频繁，请稍后再试",
}

FIELD_ERRORS = {
    "value_error.missing": "缺少此字段",
    "value_error.extra": "未知字段",
    "type_error.none.not_allowed": "不能为空",
    "type_error.integer": "应为整数",
    "type_error.bool": "应为true或false",
    "type_error.str": "应为文字",
    "value_error.any_str.max_length": "内容过长",
    "value_error.any_str.min_length": "内容过短或为空",
    "value_error.number.not_ge": "数值过小",
    "value_error.number.not_le": "数值过大",
    "value_error.const": "取值不在允许范围内",
    "type_error.enum": "取值不在允许范围内",
    "value_error.jsondecode": "JSON格式错误",
}


def _chinese(err: dict) -> str:
    where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
    message = FIELD_ERRORS.get(err.get("type", ""))
    if message is None:
        raw = err.get("msg", "")
        # our own validators already speak Chinese; anything else gets a generic phrase
        message = raw if any("\u4e00" <= ch <= "\u9fff" for ch in raw) else "取值不合法"
    return f"{where}：{message}" if where else message


def install(app: FastAPI) -> None:
    from bot.hall.ticket_service import TicketError  # here: ticket_service imports much of the hall

    @app.exception_handler(TicketError)
    async def _refused(request: Request, exc: TicketError):
        # A route that does not catch the service's refusal still answers its status, not a 500.
        return JSONResponse({"detail": exc.reason}, status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        errors = exc.errors()
        if any(e.get("type") == "value_error.jsondecode" for e in errors):
            return JSONResponse({"detail": "JSON格式错误"}, status_code=400)
        details = "；".join(_chinese(e) for e in errors[:10])
        return JSONResponse({"detail": f"请求参数不合法：{details}"}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        detail = exc.detail
        if not isinstance(detail, str) or not any("\u4e00" <= ch <= "\u9fff" for ch in detail):
            detail = DEFAULT_DETAILS.get(exc.status_code, "请求有误")
        if request.url.path.startswith("/console") and exc.status_code >= 400:
            from bot.hall.console.session import templates

            return templates.TemplateResponse(request, "error.html", {"status": exc.status_code, "detail": detail,
                                                                      "who": None}, status_code=exc.status_code)
        return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception):
        log.exception("unhandled error on %s", request.url.path)
        return JSONResponse({"detail": "服务器内部错误，请稍后再试"}, status_code=500)


class BodyGuard:
    """ASGI middleware: bodies over 64 KiB -> 413; JSON bodies must be UTF-8 and parse -> else 400.

    Checked before routing so every endpoint gets the same answers.
    """

    def __init__(self, app, max_body: int = MAX_BODY):
        self.app, self.max_body = app, max_body

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        try:  # percent-escapes in the path or query must decode to UTF-8 too
            unquote_to_bytes(scope.get("raw_path") or b"").decode("utf-8")
            unquote_to_bytes(scope.get("query_string") or b"").decode("utf-8")
        except UnicodeDecodeError:
            return await _reply(send, 400, "请求地址不是有效的UTF-8编码")
        if scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        path = scope.get("path", "")
        upload = path.rstrip("/").endswith("/attachments")
        limit, too_large = (MAX_UPLOAD_BODY, UPLOAD_TOO_LARGE) if upload else (self.max_body, DEFAULT_DETAILS[413])
        cors = path.startswith("/widget/")  # the widget reads the answer from any page's origin
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            return await _reply(send, 413, too_large, cors)
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > limit:
                return await _reply(send, 413, too_large, cors)
        if "json" in headers.get("content-type", "") and body:
            try:
                text = bytes(body).decode("utf-8")
            except UnicodeDecodeError:
                return await _reply(send, 400, "请求内容不是有效的UTF-8编码")
            try:
                json.loads(text)
            except (ValueError, RecursionError):  # deeply nested arrays must not become a 500
                return await _reply(send, 400, "JSON格式错误")
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _reply(send, status: int, detail: str, cors: bool = False) -> None:
    payload = json.dumps({"detail": detail}, ensure_ascii=False).encode("utf-8")
    headers = [(b"content-type", b"application/json; charset=utf-8"), (b"content-length", str(len(payload)).encode())]
    if cors:
        headers.append((b"access-control-allow-origin", b"*"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
