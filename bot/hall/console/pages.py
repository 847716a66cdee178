"""Login, queue, ticket page and the ticket actions (reply, release, transfer, resolve, reveal)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import secrets
from typing import Awaitable, Optional
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, StreamingResponse
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.hall import models, sla, ticket_service
from bot.hall.api.auth import check_login
from bot.hall.api.staff import attachment_download
from bot.hall.db import utcnow
from bot.hall.deps import actor_of, client_ip, get_db, get_state, load_ticket, messenger
from bot.hall.rasa_client import RasaClient, RasaUnavailable
from bot.hall.state import HallState
from bot.hall.ticket_service import TicketError
from bot.hall.tickets import visible_to
from bot.privacy import mask_phone, mask_text
from bot.vocabulary import RATING_LEVELS, Channel, TicketKind, TicketStatus
from bot.hall.console.session import (
    LOGIN_CSRF_COOKIE, Viewer, check_csrf, optional_viewer, set_session, templates, viewer,
)

router = APIRouter()
QUEUE_POLL_SECONDS = 3.0
KIND_LABELS = TicketKind.labels()


def rasa(state: HallState) -> RasaClient:
    return messenger(state)


NEAR_SLA = dt.timedelta(hours=1)  # the queue marks tickets due within this time


def sla_mark(ticket: models.Ticket, now) -> str:
    """"overdue", "near" (due within an hour) or "" for the queue."""
    if ticket.status == TicketStatus.RESOLVED or ticket.due_at is None:
        return ""
    if ticket.due_at < now:
        return "overdue"
    return "near" if ticket.due_at - now <= NEAR_SLA else ""


# --- login ---------------------------------------------------------------------------------

@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, who: Optional[Viewer] = Depends(optional_viewer)):
    if who:
        return RedirectResponse("/console", status_code=303)
    token = secrets.token_urlsafe(24)
    response = templates.TemplateResponse(request, "login.html", {"csrf": token, "error": None, "who": None})
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="lax", path="/console")
    return response


@router.post("/login")
def login(request: Request, username: str = Form(..., max_length=80), password: str = Form(..., max_length=200),
          csrf: str = Form(""), db: Session = Depends(get_db), state: HallState = Depends(get_state)):
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not secrets.compare_digest(csrf.encode(), expected.encode()):
        raise HTTPException(403, "表单已失效（CSRF校验失败），请刷新页面后重试")
    try:
        user = check_login(state, db, username, password, client_ip(request))
    except HTTPException as exc:
        return templates.TemplateResponse(request, "login.html", {"csrf": expected, "error": exc.detail,
                                                                  "who": None}, status_code=exc.status_code)
    response = RedirectResponse("/console", status_code=303)
    set_session(response, state, user.username)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/console")
    return response


# --- queue ---------------------------------------------------------------------------------

@router.get("", response_class=HTMLResponse)
def queue(request: Request, kind: str = "", status: str = "active", department: str = "", q: str = "",
          who: Viewer = Depends(viewer), db: Session = Depends(get_db)):
    T = models.Ticket
    stmt = select(T)
    if not who.sees_all:
        stmt = stmt.where(T.department == who.user.department)
    elif department:
        stmt = stmt.where(T.department == department)
    if kind:
        stmt = stmt.where(T.kind == kind)
    if status == "active":
        stmt = stmt.where(T.status != TicketStatus.RESOLVED)
    elif status:
        stmt = stmt.where(T.status == status)
    q = q.strip()[:100]
    if q:
        stmt = stmt.where(or_(T.number == q.upper(), T.description.contains(q, autoescape=True),
                              T.conversation_id == q))
    tickets = list(db.execute(stmt.order_by(T.due_at.asc().nulls_last(), T.created_at).limit(500)).scalars())
    now = utcnow()
    rows = [
        {"t": t, "remaining": _remaining(t, now), "overdue": ticket_service.is_overdue(t, now),
         "mark": sla_mark(t, now), "age": sla.remaining_text(now, t.created_at).replace("剩余 ", "")}
        for t in tickets
    ]
    departments = db.execute(select(models.Department).order_by(models.Department.code)).scalars().all()
    return templates.TemplateResponse(request, "queue.html", {
        "who": who, "rows": rows, "departments": departments,
        "department_names": {d.code: d.name for d in departments},
        "filters": {"kind": kind, "status": status, "department": department, "q": q},
        "last_id": max((t.id for t in tickets), default=0),
    })


@router.get("/queue/events")
async def queue_events(request: Request, after: int = 0, once: bool = False, who: Viewer = Depends(viewer),
                       state: HallState = Depends(get_state)):
    """Server-Sent Events for the queue: `new` for each ticket created after `after` (an id) that
    the viewer may see, and `sla` with the numbers near or past their time, every few seconds
    (`once=1`: one round, then the stream ends: for a client that polls)."""
    user = who.user

    def poll(last: int):
        T = models.Ticket
        with state.sessions() as db:
            stmt = select(T).where(T.status != TicketStatus.RESOLVED)
            if not who.sees_all:
                stmt = stmt.where(T.department == user.department)
            active = list(db.execute(stmt.limit(1000)).scalars())
            names = {d.code: d.name for d in db.execute(select(models.Department)).scalars()}
        now = utcnow()
        new = [t for t in active if t.id > last]
        return new, {t.number: sla_mark(t, now) for t in active if sla_mark(t, now)}, names, now

    async def stream():
        last = after
        yield "retry: 3000\n\n"
        while not await request.is_disconnected():
            new, marks, names, now = await asyncio.to_thread(poll, last)
            for t in sorted(new, key=lambda t: t.id):
                last = max(last, t.id)
                row = {"type": "new", "number": t.number, "kind": t.kind, "kind_name": KIND_LABELS.get(t.kind, t.kind),
                       "status_name": TicketStatus(t.status).label, "department": names.get(t.department, t.department),
                       "description": mask_text(t.description or "")[:60], "remaining": _remaining(t, now),
                       "mark": sla_mark(t, now)}
                yield f"data: {json.dumps(row, ensure_ascii=False)}\n\n"
            yield f"data: {json.dumps({'type': 'sla', 'marks': marks}, ensure_ascii=False)}\n\n"
            if once:
                break
            await asyncio.sleep(QUEUE_POLL_SECONDS)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


# --- one ticket ----------------------------------------------------------------------------

def _remaining(ticket: models.Ticket, now) -> str:
    return sla.remaining_text(ticket.due_at, now) if ticket.status != TicketStatus.RESOLVED else TicketStatus.RESOLVED.label


def _fmt_ts(ts) -> str:
    if isinstance(ts, (int, float)):
        return dt.datetime.fromtimestamp(ts, sla.TZ).strftime("%m-%d %H:%M:%S")
    return ""


@router.get("/tickets/{number}", response_class=HTMLResponse)
async def ticket_page(request: Request, number: str, notice: str = "", show_numbers: bool = False,
                      who: Viewer = Depends(viewer), db: Session = Depends(get_db),
                      state: HallState = Depends(get_state)):
    ticket = load_ticket(db, number, who)
    actor = actor_of(request, who)
    ticket_service.viewed(db, ticket, actor)
    lines, rasa_error, tracker = [], None, None
    consent = ticket_service.may_read_conversation(ticket)
    if consent:
        try:
            tracker = await rasa(state).tracker(ticket.conversation_id)
        except RasaUnavailable as exc:
            rasa_error = f"{exc}。聊天记录暂时无法显示，请稍后刷新。"
        lines = ticket_service.transcript(db, ticket, actor, tracker, show_numbers=show_numbers)
    for line in lines:
        line["time"] = _fmt_at(line.get("at"))
    summary = ticket_service.summary(db, ticket, tracker)
    # The guide staff work from: for a 兜底 or 好差评 ticket, the matter it is about.
    code = ticket.about_matter or ticket.matter
    matter = db.get(models.Matter, code) if code else None
    guide = json.loads(matter.data) if matter else None
    replies = db.execute(select(models.StaffReply).where(models.StaffReply.ticket_number == ticket.number)
                         .order_by(models.StaffReply.id)).scalars().all()
    # Delivered replies are in the transcript already (once); only those not delivered are listed.
    unsent = [r for r in replies if r.status != "sent"]
    departments = db.execute(select(models.Department).order_by(models.Department.code)).scalars().all()
    dept = db.get(models.Department, ticket.department)
    ratings = db.execute(select(models.Rating).where(models.Rating.ticket == ticket.number)
                         .order_by(models.Rating.created_at, models.Rating.id)).scalars().all()
    files = ticket_service.list_attachments(db, ticket)
    now = utcnow()
    return templates.TemplateResponse(request, "ticket.html", {
        "who": who, "t": ticket, "lines": lines, "rasa_error": rasa_error, "guide": guide, "replies": unsent,
        "departments": departments, "department_name": dept.name if dept else ticket.department,
        "remaining": _remaining(ticket, now), "overdue": ticket_service.is_overdue(ticket, now),
        "masked_phone": mask_phone(ticket.contact_phone) if ticket.contact_phone else None,
        "notice": notice, "show_numbers": show_numbers, "consent": consent, "no_consent": ticket_service.NO_CONSENT,
        "summary": summary, "channel_name": Channel.label_of(ticket.channel),
        "ratings": [{"level": r.level, "name": RATING_LEVELS.get(r.level, str(r.level)), "at": r.created_at,
                     "again": i > 0} for i, r in enumerate(ratings)],
        "rating_name": RATING_LEVELS.get(ticket.rating) if ticket.rating else None,
        "files": files,
    })


def _fmt_at(at) -> str:
    if not at:
        return ""
    try:
        return dt.datetime.fromisoformat(at).astimezone(sla.TZ).strftime("%m-%d %H:%M:%S")
    except ValueError:
        return ""


@router.get("/tickets/{number}/attachments/{attachment_id}")
def attachment(request: Request, number: str, attachment_id: int, who: Viewer = Depends(viewer),
               db: Session = Depends(get_db)):
    """The console's download of an attachment (the API's own download)."""
    return attachment_download(request, db, number, attachment_id, who)


def _back(number: str, notice: str = "") -> RedirectResponse:
    return RedirectResponse(f"/console/tickets/{number}" + (f"?notice={quote(notice)}" if notice else ""),
                            status_code=303)


async def _done(number: str, operation: Awaitable[Optional[str]], success: str) -> RedirectResponse:
    """Back to the ticket page with the service's problem, or `success` when there was none."""
    try:
        problem = await operation
    except TicketError as exc:
        return _back(number, exc.reason)
    return _back(number, problem or success)


@router.post("/tickets/{number}/reveal")
def reveal(request: Request, number: str, csrf: str = Form(""), who: Viewer = Depends(viewer),
           db: Session = Depends(get_db)):
    check_csrf(who, csrf)
    ticket = load_ticket(db, number, who)
    return JSONResponse({"phone": ticket_service.reveal(db, ticket, actor_of(request, who))})


@router.post("/tickets/{number}/reply")
async def reply(request: Request, number: str, text: str = Form(..., max_length=4000), csrf: str = Form(""),
                who: Viewer = Depends(viewer), db: Session = Depends(get_db),
                state: HallState = Depends(get_state)):
    check_csrf(who, csrf)
    ticket = load_ticket(db, number, who)
    return await _done(number, ticket_service.reply(db, ticket, actor_of(request, who), text, rasa(state)), "回复已发送")


@router.post("/tickets/{number}/retry/{reply_id}")
async def retry(request: Request, number: str, reply_id: int, csrf: str = Form(""),
                who: Viewer = Depends(viewer), db: Session = Depends(get_db),
                state: HallState = Depends(get_state)):
    check_csrf(who, csrf)
    ticket = load_ticket(db, number, who)
    return await _done(number, ticket_service.retry(db, ticket, actor_of(request, who), reply_id, rasa(state)),
                       "回复已发送")


@router.post("/tickets/{number}/release")
async def release(request: Request, number: str, csrf: str = Form(""), who: Viewer = Depends(viewer),
                  db: Session = Depends(get_db), state: HallState = Depends(get_state)):
    check_csrf(who, csrf)
    ticket = load_ticket(db, number, who)
    return await _done(number, ticket_service.release(db, ticket, actor_of(request, who), rasa(state)),
                       "已释放给机器人，群众可继续与机器人对话")


@router.post("/tickets/{number}/transfer")
async def transfer(request: Request, number: str, department: str = Form("", max_length=40),
                   reason: str = Form("", max_length=1000), csrf: str = Form(""), who: Viewer = Depends(viewer),
                   db: Session = Depends(get_db), state: HallState = Depends(get_state)):
    check_csrf(who, csrf)
    ticket = load_ticket(db, number, who)
    try:
        problem = await ticket_service.transfer(db, ticket, actor_of(request, who), department, reason,
                                                rasa(state), state.sla)
    except TicketError as exc:
        if exc.status == 422 and exc.reason.startswith("未知部门"):
            raise HTTPException(exc.status, exc.reason)
        return _back(number, exc.reason)
    if not visible_to(who.user, ticket):
        return RedirectResponse("/console", status_code=303)
    return _back(number, problem or "已转办，已告知群众")


@router.post("/tickets/{number}/resolve")
async def resolve(request: Request, number: str, resolution: str = Form(..., max_length=4000),
                  csrf: str = Form(""), who: Viewer = Depends(viewer), db: Session = Depends(get_db),
                  state: HallState = Depends(get_state)):
    check_csrf(who, csrf)
    ticket = load_ticket(db, number, who)
    return await _done(number, ticket_service.resolve(db, ticket, actor_of(request, who), resolution, rasa(state)),
                       "已办结，机器人已通知群众并邀请评价")


@router.get("/tickets/{number}/events")
async def ticket_events(request: Request, number: str, who: Viewer = Depends(viewer),
                        db: Session = Depends(get_db), state: HallState = Depends(get_state)):
    """Server-Sent Events: new citizen/bot messages of this ticket's conversation (none when the
    citizen did not consent to staff reading the conversation)."""
    ticket = load_ticket(db, number, who)
    if not ticket_service.may_read_conversation(ticket):
        raise HTTPException(403, ticket_service.NO_CONSENT)
    conversation = ticket.conversation_id
    db.close()
    queue = state.hub.subscribe(conversation)

    async def stream():
        try:
            yield "retry: 3000\n\n"
            while not await request.is_disconnected():
                try:
                    message = await asyncio.wait_for(queue.get(), timeout=15)
                except asyncio.TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                message = {**message, "time": _fmt_ts(message.get("timestamp"))}
                yield f"data: {json.dumps(message, ensure_ascii=False)}\n\n"
        finally:
            state.hub.unsubscribe(conversation, queue)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
