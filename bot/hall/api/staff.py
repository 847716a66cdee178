"""The staff JSON API: what the console does, for any 12345 system (Bearer token from
`POST /api/auth/login`, department isolation as in the console).

Under `/api/tickets/{number}`: the readable transcript (403 when the citizen did not consent),
reply (starts human mode), release, transfer, resolve, reveal the contact (audited) and the
ticket's attachments. Every route calls `bot.hall.ticket_service`, as the console's pages do.
"""

from __future__ import annotations

from typing import Any, Awaitable, Dict, List, Optional

from fastapi import APIRouter, Depends, File, HTTPException, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from bot.hall import attachments as files
from bot.hall import models, ticket_service
from bot.hall.api.tickets import TicketOut
from bot.hall.deps import (
    Caller, actor_of, get_db, get_state, load_ticket, messenger, service_only, staff_only,
)
from bot.hall.state import HallState
from bot.hall.ticket_service import TicketError
from bot.hall.tickets import ticket_json
from bot.hall.transcript import attachment_json

router = APIRouter(tags=["工单处理（工作人员）"])

ERRORS = {401: {"description": "未登录或令牌过期"}, 403: {"description": "其他部门的工单，或非工作人员令牌"},
          404: {"description": "没有这张工单"}}


class TranscriptItem(BaseModel):
    at: Optional[str] = Field(None, description="ISO 8601，北京时间")
    role: str = Field(..., description="citizen | bot | staff | system")
    author: str = Field(..., description="群众 / 机器人 / 工作人员的显示名称（部门） / 系统")
    text: str
    attachments: List[Dict[str, Any]] = []


class TranscriptOut(BaseModel):
    items: List[TranscriptItem]


class SummaryOut(BaseModel):
    matter: Optional[str]
    description: str
    matters: List[str]
    answered: List[str] = Field(..., description="机器人已答复的内容（事项：方面）")
    asks: List[str] = Field(..., description="群众仍在问、机器人未能答复的话")


class ReplyIn(BaseModel):
    text: str = Field(..., min_length=1, max_length=4000)


class ReplyOut(BaseModel):
    id: int
    status: str = Field(..., description="sent（已送达群众的渠道）")
    author: str = Field(..., description="群众看到的工作人员名称")
    text: str


class TransferIn(BaseModel):
    department: str = Field(..., min_length=1, max_length=40)
    reason: str = Field(..., min_length=1, max_length=1000)


class ResolveIn(BaseModel):
    resolution: str = Field(..., min_length=1, max_length=4000)


class DoneOut(BaseModel):
    ticket: TicketOut
    notice: Optional[str] = Field(None, description="操作已完成但需注意的问题，如通知群众失败")


class RevealOut(BaseModel):
    phone: str


class AttachmentOut(BaseModel):
    id: int
    name: str
    content_type: str
    size: int
    url: str
    source_url: Optional[str] = Field(None, description="渠道给出的文件地址（如微信图片的 PicUrl）")
    source_label: Optional[str] = Field(None, description="只有链接、未下载文件时为“微信图片链接（未下载）”，url 此时返回404")


class AttachmentList(BaseModel):
    items: List[AttachmentOut]


def _http(exc: TicketError) -> HTTPException:
    return HTTPException(exc.status, exc.reason)


async def _done(db: Session, ticket: models.Ticket, operation: Awaitable[Optional[str]]) -> Dict[str, Any]:
    """The ticket after the service's operation, and the notice it returned (telling the citizen failed)."""
    try:
        notice = await operation
    except TicketError as exc:
        raise _http(exc)
    return {"ticket": ticket_json(db, ticket), "notice": notice}


async def _tracker(state: HallState, ticket: models.Ticket) -> Dict[str, Any]:
    try:
        return await messenger(state).tracker(ticket.conversation_id)
    except ticket_service.Unreachable as exc:
        raise HTTPException(503, f"{exc}。聊天记录暂时无法读取，请稍后再试。")


@router.get("/tickets/{number}/transcript", response_model=TranscriptOut,
            responses={**ERRORS, 403: {"description": "其他部门的工单，或群众未同意查看对话记录"}})
async def get_transcript(number: str, request: Request, show_numbers: bool = False, db: Session = Depends(get_db),
                         state: HallState = Depends(get_state), who: Caller = Depends(staff_only)):
    """群众与机器人、工作人员的对话（按钮显示为按钮文字，评价显示为“满意”等）。号码默认打码；
    `show_numbers=true` 显示完整号码并记入审计。群众未同意时返回403。"""
    ticket = load_ticket(db, number, who)
    try:
        ticket_service.require_consent(ticket)
        items = ticket_service.transcript(db, ticket, actor_of(request, who), await _tracker(state, ticket),
                                          show_numbers=show_numbers)
    except TicketError as exc:
        raise _http(exc)
    return {"items": items}


@router.get("/tickets/{number}/summary", response_model=SummaryOut, responses=ERRORS)
async def get_summary(number: str, db: Session = Depends(get_db), state: HallState = Depends(get_state),
                      who: Caller = Depends(staff_only)):
    """工单摘要：事项、机器人已答复的内容、群众仍在问的问题（群众未同意时只有其填写的描述）。"""
    ticket = load_ticket(db, number, who)
    tracker = await _tracker(state, ticket) if ticket_service.may_read_conversation(ticket) else None
    return ticket_service.summary(db, ticket, tracker)


@router.post("/tickets/{number}/reply", response_model=ReplyOut, status_code=201,
             responses={**ERRORS, 503: {"description": "对话引擎不可达：回复已保存，可重试"}})
async def reply(number: str, body: ReplyIn, request: Request, db: Session = Depends(get_db),
                state: HallState = Depends(get_state), who: Caller = Depends(staff_only)):
    """回复群众：送达群众所用的渠道（网页、微信），并进入人工模式（机器人不再插话，直到释放或办结）。"""
    ticket = load_ticket(db, number, who)
    try:
        problem = await ticket_service.reply(db, ticket, actor_of(request, who), body.text, messenger(state))
    except TicketError as exc:
        raise _http(exc)
    if problem:
        raise HTTPException(503, problem)
    row = ticket_service.last_reply(db, ticket)
    return {"id": row.id, "status": row.status, "author": ticket.human_by or "", "text": row.text}


@router.post("/tickets/{number}/release", response_model=DoneOut, responses=ERRORS)
async def release(number: str, request: Request, db: Session = Depends(get_db), state: HallState = Depends(get_state),
                  who: Caller = Depends(staff_only)):
    """结束人工：把对话交还机器人，并告知群众。"""
    ticket = load_ticket(db, number, who)
    return await _done(db, ticket, ticket_service.release(db, ticket, actor_of(request, who), messenger(state)))


@router.post("/tickets/{number}/transfer", response_model=DoneOut, responses=ERRORS)
async def transfer(number: str, body: TransferIn, request: Request, db: Session = Depends(get_db),
                   state: HallState = Depends(get_state), who: Caller = Depends(staff_only)):
    """转办：事项（若属原部门则清空）、时限与承诺随新部门重新计算，并在群众的渠道告知。"""
    ticket = load_ticket(db, number, who)
    return await _done(db, ticket, ticket_service.transfer(db, ticket, actor_of(request, who), body.department,
                                                           body.reason, messenger(state), state.sla))


@router.post("/tickets/{number}/resolve", response_model=DoneOut, responses=ERRORS)
async def resolve(number: str, body: ResolveIn, request: Request, db: Session = Depends(get_db),
                  state: HallState = Depends(get_state), who: Caller = Depends(staff_only)):
    """办结：记录处理结果，机器人接回对话、告知群众并邀请好差评。"""
    ticket = load_ticket(db, number, who)
    return await _done(db, ticket, ticket_service.resolve(db, ticket, actor_of(request, who), body.resolution,
                                                          messenger(state)))


@router.post("/tickets/{number}/reveal", response_model=RevealOut, responses=ERRORS)
def reveal(number: str, request: Request, db: Session = Depends(get_db), who: Caller = Depends(staff_only)):
    """群众留下的回访电话（无论是否同意查看对话，电话都用于就本工单回电）；每次查看记入审计。"""
    ticket = load_ticket(db, number, who)
    return {"phone": ticket_service.reveal(db, ticket, actor_of(request, who))}


async def read_upload(file: UploadFile) -> bytes:
    """The uploaded bytes, at most one byte over the limit (the service says 413 then)."""
    data = await file.read(files.MAX_BYTES + 1)
    await file.close()
    return data


@router.post("/tickets/{number}/attachments", response_model=AttachmentOut, status_code=201,
             responses={**ERRORS, 413: {"description": "文件超过10MB"},
                        415: {"description": "不是JPEG、PNG、WebP或PDF（按文件内容判断，不看文件名）"}})
async def upload(number: str, request: Request, file: UploadFile = File(..., description="JPEG/PNG/WebP/PDF，≤10MB"),
                 db: Session = Depends(get_db), who: Caller = Depends(staff_only)):
    """工作人员上传附件。图片会重新编码以去除EXIF（含拍摄位置）。"""
    ticket = load_ticket(db, number, who)
    data = await read_upload(file)
    try:
        row = ticket_service.attach(db, ticket, actor_of(request, who), data, file.filename or "")
    except TicketError as exc:
        raise _http(exc)
    return attachment_json(row, ticket.number)


@router.get("/tickets/{number}/attachments", response_model=AttachmentList, responses=ERRORS)
def list_attachments(number: str, db: Session = Depends(get_db), who: Caller = Depends(staff_only)):
    """工单的附件（群众与工作人员上传的）。"""
    ticket = load_ticket(db, number, who)
    return {"items": [attachment_json(r, ticket.number) for r in ticket_service.list_attachments(db, ticket)]}


@router.get("/tickets/{number}/attachments/{attachment_id}", responses={
    **ERRORS, 200: {"description": "文件内容（Content-Disposition: attachment）",
                    "content": {"application/octet-stream": {}}}})
def download(number: str, attachment_id: int, request: Request, db: Session = Depends(get_db),
             who: Caller = Depends(staff_only)):
    """下载附件：只作为下载（不在浏览器内打开），`X-Content-Type-Options: nosniff`；记入审计。"""
    return attachment_download(request, db, number, attachment_id, who)


def attachment_download(request: Request, db: Session, number: str, attachment_id: int, who: Any) -> Response:
    """One attachment as a download, its reading audited: the API's route and the console's alike."""
    ticket = load_ticket(db, number, who)
    try:
        row = ticket_service.attachment(db, ticket, attachment_id, actor_of(request, who))
    except TicketError as exc:
        raise _http(exc)
    return file_response(row)


def file_response(row: models.Attachment) -> Response:
    from urllib.parse import quote

    if row.data is None:  # a WeChat image kept as its PicUrl (no account secret to fetch the media)
        raise HTTPException(404, "该附件只保存了微信图片链接，未下载文件内容")
    ascii_name = f"attachment-{row.id}" + (files.EXTENSIONS.get(row.content_type) or "")
    return Response(row.data, media_type=row.content_type, headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(row.name)}",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    })


# --- the bot's side (service token) -----------------------------------------------------------

class CitizenAttachmentIn(BaseModel):
    source_url: str = Field(..., min_length=1, max_length=2000)
    name: str = Field("微信图片", max_length=200)


class ReleasedOut(BaseModel):
    tickets: List[str]


@router.post("/conversations/{conversation_id}/human/release", response_model=ReleasedOut, tags=["机器人服务"])
def citizen_released(conversation_id: str, db: Session = Depends(get_db), _: Caller = Depends(service_only)):
    """群众说“结束人工”/“转回机器人”：该会话的工单退出人工模式（仅供机器人服务调用）。"""
    return {"tickets": ticket_service.citizen_released(db, conversation_id[:200])}


@router.post("/conversations/{conversation_id}/attachments", response_model=AttachmentOut, status_code=201,
             tags=["机器人服务"], responses={
                 409: {"description": "该会话没有未办结的工单"},
                 413: {"description": "文件超过10MB"},
                 415: {"description": "不是JPEG、PNG、WebP或PDF（按文件内容判断，不看文件名）"},
                 422: {"description": "既没有文件也没有图片链接"}})
async def citizen_upload(conversation_id: str, request: Request, db: Session = Depends(get_db),
                         state: HallState = Depends(get_state), _: Caller = Depends(service_only)):
    """渠道转来的群众附件（如微信图片）：multipart `file`，或 JSON `{"source_url"}`（未能下载时保留图片链接）；
    只进入该会话未办结的工单（仅供机器人服务调用）。"""
    if request.headers.get("content-type", "").startswith("multipart/"):
        form = await request.form()
        upload_file = form.get("file")
        if not hasattr(upload_file, "read"):
            raise HTTPException(422, "缺少文件字段 file")
        data, name, source = await read_upload(upload_file), upload_file.filename or "", form.get("source_url")
    else:
        try:
            body = CitizenAttachmentIn(**(await request.json()))
        except Exception:
            raise HTTPException(422, "需要 multipart 文件或 {\"source_url\"}")
        data, name, source = b"", body.name, body.source_url
    try:
        row = ticket_service.citizen_attach(db, conversation_id[:200], data, name,
                                            source_url=str(source)[:2000] if source else None)
    except TicketError as exc:
        raise _http(exc)
    publish_attachment(state, conversation_id, row)
    return attachment_json(row, row.ticket_number)


def publish_attachment(state: HallState, conversation_id: str, row: models.Attachment) -> None:
    """The console's live stream of the ticket shows the citizen's file at once."""
    import time

    if state.hub is not None:
        state.hub.publish(conversation_id, {"conversation_id": conversation_id, "who": "user",
                                            "text": f"发送了附件：{row.name}", "timestamp": time.time(),
                                            "attachment": attachment_json(row, row.ticket_number)})
