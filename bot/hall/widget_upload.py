"""`POST /widget/attachments`: a citizen's photo or PDF from the web widget, into their own ticket.

Contract with the widget (docs/widget.md; the widget's UI lives in bot/hall/static/widget/):

* Request: ``multipart/form-data`` with two fields:
    - ``file``: the photo or PDF (button or paste), at most 10 MB; JPEG, PNG, WebP or PDF,
      recognised from the bytes, not the name;
    - ``session``: the conversation's session id, the same proof as ``GET /widget/history?session=``
      (the id the socket.io server confirmed in ``session_confirm``; only conversations whose last
      message came in through the socket.io channel are accepted).
  No cookies, no token: the random 128-bit session id is the proof. A guessed ticket number is
  never enough: the file goes only into the open (not resolved) ticket of that conversation.
* 201 ``{"id": 12, "name": "虾苗.jpg", "content_type": "image/jpeg", "size": 183204}``: stored
  (images re-encoded without EXIF), shown to staff of the ticket's department in the transcript
  and the console's live stream. There is no URL to fetch it back: attachments are never public.
* Errors: JSON ``{"detail": "<中文原因>"}``, to be shown to the citizen as it is:
    - 400 bad session id; 409 no open ticket in this conversation (the detail says what to do);
    - 413 over 10 MB; 415 not JPEG/PNG/WebP/PDF (an SVG or HTML file named ``.png`` included);
    - 503 the dialogue engine cannot confirm the conversation right now.
* Every answer carries ``Access-Control-Allow-Origin: *`` (the widget runs on any page).

Human mode, for the same widget: when staff take over, the bot's message carries
``custom: {"human": {"department_name": "...", "staff_name": "..."}}`` (every staff message does);
when released (by staff, or by the citizen saying “结束人工” / “转回机器人”) the bot's message carries
``custom: {"human": null}``.
"""

from __future__ import annotations

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse

from bot.hall import ticket_service
from bot.hall.api.staff import AttachmentOut, publish_attachment, read_upload
from bot.hall.deps import messenger
from bot.hall.ticket_service import TicketError
from bot.hall.widget_routes import SESSION_ID_RE
from bot.vocabulary import Channel

router = APIRouter(tags=["网页组件"])
CORS = {"Access-Control-Allow-Origin": "*", "Cache-Control": "no-store"}


def _answer(body: dict, status: int) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=CORS)


@router.post("/widget/attachments", status_code=201, response_model=AttachmentOut, responses={
    400: {"description": "会话编号无效"}, 409: {"description": "该会话没有正在处理的工单"},
    413: {"description": "文件超过10MB"}, 415: {"description": "不是JPEG、PNG、WebP或PDF"}})
async def widget_upload(request: Request, file: UploadFile = File(...), session: str = Form("")):
    """群众在网页组件中上传图片或PDF，只进入本会话未办结的工单。"""
    if not SESSION_ID_RE.match(session or ""):
        return _answer({"detail": "无效的会话编号，请刷新页面后重试"}, 400)
    state = request.app.state.hall
    try:
        tracker = await messenger(state).tracker(session)
    except ticket_service.Unreachable:
        return _answer({"detail": "对话引擎暂时不可用，请稍后再发送"}, 503)
    if (tracker or {}).get("latest_input_channel") != Channel.SOCKETIO:
        return _answer({"detail": ticket_service.NO_OPEN_TICKET}, 409)
    data = await read_upload(file)
    with state.sessions() as db:
        try:
            row = ticket_service.citizen_attach(db, session, data, file.filename or "")
        except TicketError as exc:
            return _answer({"detail": exc.reason}, exc.status)
        publish_attachment(state, session, row)
        return _answer({"id": row.id, "name": row.name, "content_type": row.content_type, "size": row.size}, 201)
