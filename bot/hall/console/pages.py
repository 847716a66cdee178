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
from bot.hall.db import utcnow
from bot.hall.deps import client_ip, get_db, get_state
from bot.hall.rasa_client import RasaClient, RasaUnavailable, transcript
from bot.hall.state import HallState
from bot.hall.ticket_service import Actor, TicketError
from bot.hall.tickets import audit, visible_to
from bot.privacy import mask_phone
from bot.vocabulary import TicketStatus
from bot.hall.console.session import (
    COOKIE, LOGIN_CSRF_COOKIE, Viewer, check_csrf, optional_viewer, set_session, templates, viewer,
)

router = APIRouter()


def rasa(state: HallState) -> RasaClient:
    return getattr(state, "rasa", None) or RasaClient(state.settings.rasa_url, state.settings.rasa_token)


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


@router.post("/logout")
def logout(request: Request, csrf: str = Form(""), who: Viewer = Depends(viewer), db: Session = Depends(get_db)):
    check_csrf(who, csrf)
    audit(db, who.user.username, "logout", ip=client_ip(request))
    db.commit()
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
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
         "age": sla.remaining_text(now, t.created_at).replace("剩余 ", "")}
        for t in tickets
    ]
    departments = db.execute(select(models.Department).order_by(models.Department.code)).scalars().all()
    return templates.TemplateResponse(request, "queue.html", {
        "who": who, "rows": rows, "departments": departments,
        "department_names": {d.code: d.name for d in departments},
        "filters": {"kind": kind, "status": status, "department": department, "q": q},
    })


# --- one ticket ----------------------------------------------------------------------------

def _remaining(ticket: models.Ticket, now) -> str:
    return sla.remaining_text(ticket.due_at, now) if ticket.status != TicketStatus.RESOLVED else TicketStatus.RESOLVED.label


def _actor(request: Request, who: Viewer) -> Actor:
    return Actor(who.user, client_ip(request))


def load_ticket(db: Session, number: str, who: Viewer) -> models.Ticket:
    try:
        return ticket_service.load(db, number, Actor(who.user))
    except TicketError as exc:
        raise HTTPException(exc.status, exc.reason)


def _fmt_ts(ts) -> str:
    if isinstance(ts, (int, float)):
        return dt.datetime.fromtimestamp(ts, sla.TZ).strftime("%m-%d %H:%M:%S")
    return ""


@router.get("/tickets/{number}", response_class=HTMLResponse)
async def ticket_page(request: Request, number: str, notice: str = "", show_numbers: bool = False,
                      who: Viewer = Depends(viewer), db: Session = Depends(get_db),
                      state: HallState = Depends(get_state)):
    ticket = load_ticket(db, number, who)
    ticket_service.viewed(db, ticket, _actor(request, who), numbers_shown=show_numbers)
    lines, rasa_error = [], None
    try:
        lines = transcript(await rasa(state).tracker(ticket.conversation_id))
    except RasaUnavailable as exc:
        rasa_error = f"{exc}。聊天记录暂时无法显示，请稍后刷新。"
    for line in lines:
        line["time"] = _fmt_ts(line.get("timestamp"))
    matter = db.get(models.Matter, ticket.matter) if ticket.matter else None
    guide = json.loads(matter.data) if matter else None
    replies = db.execute(select(models.StaffReply).where(models.StaffReply.ticket_number == ticket.number)
                         .order_by(models.StaffReply.id)).scalars().all()
    departments = db.execute(select(models.Department).order_by(models.Department.code)).scalars().all()
    dept = db.get(models.Department, ticket.department)
    now = utcnow()
    return templates.TemplateResponse(request, "ticket.html", {
        "who": who, "t": ticket, "lines": lines, "rasa_error": rasa_error, "guide": guide, "replies": replies,
        "departments": departments, "department_name": dept.name if dept else ticket.department,
        "remaining": _remaining(ticket, now), "overdue": ticket_service.is_overdue(ticket, now),
        "masked_phone": mask_phone(ticket.contact_phone) if ticket.contact_phone else None,
        "notice": notice, "show_numbers": show_numbers,
    })


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
    return JSONResponse({"phone": ticket_service.reveal(db, ticket, _actor(request, who))})


@router.post("/tickets/{number}/reply")
async def reply(request: Request, number: str, text: str = Form(..., max_length=4000), csrf: str = Form(""),
                who: Viewer = Depends(viewer), db: Session = Depends(get_db),
                state: HallState = Depends(get_state)):
    check_csrf(who, csrf)
    ticket = load_ticket(db, number, who)
    return await _done(number, ticket_service.reply(db, ticket, _actor(request, who), text, rasa(state)), "回复已发送")


@router.post("/tickets/{number}/retry/{reply_id}")
async def retry(request: Request, number: str, reply_id: int, csrf: str = Form(""),
                who: Viewer = Depends(viewer), db: Session = Depends(get_db),
                state: HallState = Depends(get_state)):
    check_csrf(who, csrf)
    ticket = load_ticket(db, number, who)
    return await _done(number, ticket_service.retry(db, ticket, _actor(request, who), reply_id, rasa(state)),
                       "回复已发送")


@router.post("/tickets/{number}/release")
async def release(request: Request, number: str, csrf: str = Form(""), who: Viewer = Depends(viewer),
                  db: Session = Depends(get_db), state: HallState = Depends(get_state)):
    check_csrf(who, csrf)
    ticket = load_ticket(db, number, who)
    return await _done(number, ticket_service.release(db, ticket, _actor(request, who), rasa(state)),
                       "已释放给机器人，群众可继续与机器人对话")


@router.post("/tickets/{number}/transfer")
def transfer(request: Request, number: str, department: str = Form(..., max_length=40),
             reason: str = Form(..., max_length=1000), csrf: str = Form(""), who: Viewer = Depends(viewer),
             db: Session = Depends(get_db)):
    check_csrf(who, csrf)
    ticket = load_ticket(db, number, who)
    try:
        ticket_service.transfer(db, ticket, _actor(request, who), department, reason)
    except TicketError as exc:
        if exc.status == 422 and exc.reason.startswith("未知部门"):
            raise HTTPException(exc.status, exc.reason)
        return _back(number, exc.reason)
    if not visible_to(who.user, ticket):
        return RedirectResponse("/console", status_code=303)
    return _back(number, "已转办")


@router.post("/tickets/{number}/resolve")
async def resolve(request: Request, number: str, resolution: str = Form(..., max_length=4000),
                  csrf: str = Form(""), who: Viewer = Depends(viewer), db: Session = Depends(get_db),
                  state: HallState = Depends(get_state)):
    check_csrf(who, csrf)
    ticket = load_ticket(db, number, who)
    return await _done(number, ticket_service.resolve(db, ticket, _actor(request, who), resolution, rasa(state)),
                       "已办结，机器人已通知群众并邀请评价")


@router.get("/tickets/{number}/events")
async def ticket_events(request: Request, number: str, who: Viewer = Depends(viewer),
                        db: Session = Depends(get_db), state: HallState = Depends(get_state)):
    """Server-Sent Events: new citizen/bot messages of this ticket's conversation."""
    ticket = load_ticket(db, number, who)
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
