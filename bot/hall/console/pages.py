"""Login, queue, ticket page and the ticket actions (reply, release, transfer, resolve, reveal)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import secrets
from typing import Optional

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, StreamingResponse
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.hall import models, sla
from bot.hall.api.auth import check_login
from bot.hall.db import utcnow
from bot.hall.deps import client_ip, get_db, get_state
from bot.hall.rasa_client import RasaClient, RasaUnavailable, transcript
from bot.hall.state import HallState
from bot.hall.tickets import audit, iso, visible_to
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
        stmt = stmt.where(T.status != "resolved")
    elif status:
        stmt = stmt.where(T.status == status)
    q = q.strip()[:100]
    if q:
        stmt = stmt.where(or_(T.number == q.upper(), T.description.contains(q, autoescape=True),
                              T.conversation_id == q))
    tickets = list(db.execute(stmt.order_by(T.due_at.asc().nulls_last(), T.created_at).limit(500)).scalars())
    now = utcnow()
    rows = [
        {"t": t, "remaining": sla.remaining_text(t.due_at, now) if t.status != "resolved" else "已办结",
         "overdue": t.status != "resolved" and t.due_at is not None and t.due_at < now,
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

def load_ticket(db: Session, number: str, who: Viewer) -> models.Ticket:
    ticket = db.execute(select(models.Ticket).where(models.Ticket.number == number)).scalar_one_or_none()
    if ticket is None:
        raise HTTPException(404, f"没有编号为“{number[:30]}”的工单")
    if not visible_to(who.user, ticket):
        raise HTTPException(403, "这张工单属于其他部门，您无权查看")
    return ticket


def _fmt_ts(ts) -> str:
    if isinstance(ts, (int, float)):
        return dt.datetime.fromtimestamp(ts, sla.TZ).strftime("%m-%d %H:%M:%S")
    return ""


@router.get("/tickets/{number}", response_class=HTMLResponse)
async def ticket_page(request: Request, number: str, notice: str = "", show_numbers: bool = False,
                      who: Viewer = Depends(viewer), db: Session = Depends(get_db),
                      state: HallState = Depends(get_state)):
    ticket = load_ticket(db, number, who)
    audit(db, who.user.username, "view", ticket.number, ip=client_ip(request))
    if show_numbers:
        audit(db, who.user.username, "reveal", ticket.number, "查看聊天记录中的号码", ip=client_ip(request))
    db.commit()
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
        "remaining": sla.remaining_text(ticket.due_at, now) if ticket.status != "resolved" else "已办结",
        "overdue": ticket.status != "resolved" and ticket.due_at is not None and ticket.due_at < now,
        "masked_phone": _masked(ticket), "notice": notice, "show_numbers": show_numbers,
    })


def _masked(ticket: models.Ticket) -> Optional[str]:
    from bot.privacy import mask_phone

    return mask_phone(ticket.contact_phone) if ticket.contact_phone else None


def _back(number: str, notice: str = "") -> RedirectResponse:
    from urllib.parse import quote

    return RedirectResponse(f"/console/tickets/{number}" + (f"?notice={quote(notice)}" if notice else ""),
                            status_code=303)


@router.post("/tickets/{number}/reveal")
def reveal(request: Request, number: str, csrf: str = Form(""), who: Viewer = Depends(viewer),
           db: Session = Depends(get_db)):
    check_csrf(who, csrf)
    ticket = load_ticket(db, number, who)
    audit(db, who.user.username, "reveal", ticket.number, "查看联系电话", ip=client_ip(request))
    db.commit()
    return JSONResponse({"phone": ticket.contact_phone or ""})


async def _send(state: HallState, db: Session, ticket: models.Ticket, reply: models.StaffReply) -> Optional[str]:
    """Relay one staff reply through Rasa; keep it as failed (with the reason) when Rasa is down."""
    try:
        await rasa(state).send_staff_message(ticket.conversation_id, reply.text)
    except RasaUnavailable as exc:
        reply.status, reply.error = "failed", str(exc)
        db.commit()
        return f"{exc}。回复已保存，可稍后点击“重新发送”。"
    now = utcnow()
    reply.status, reply.error, reply.sent_at = "sent", None, now
    if ticket.first_response_at is None:
        ticket.first_response_at = now
    if ticket.status == "open":
        ticket.status = "in_progress"
    db.commit()
    return None


@router.post("/tickets/{number}/reply")
async def reply(request: Request, number: str, text: str = Form(..., max_length=4000), csrf: str = Form(""),
                who: Viewer = Depends(viewer), db: Session = Depends(get_db),
                state: HallState = Depends(get_state)):
    check_csrf(who, csrf)
    ticket = load_ticket(db, number, who)
    text = text.strip()
    if not text:
        return _back(number, "回复内容不能为空")
    row = models.StaffReply(ticket_number=ticket.number, author=who.user.username, text=text,
                            status="pending", created_at=utcnow())
    db.add(row)
    audit(db, who.user.username, "reply", ticket.number, ip=client_ip(request))
    db.commit()  # saved before sending: a Rasa outage never loses the reply
    error = await _send(state, db, ticket, row)
    return _back(number, error or "回复已发送")


@router.post("/tickets/{number}/retry/{reply_id}")
async def retry(request: Request, number: str, reply_id: int, csrf: str = Form(""),
                who: Viewer = Depends(viewer), db: Session = Depends(get_db),
                state: HallState = Depends(get_state)):
    check_csrf(who, csrf)
    ticket = load_ticket(db, number, who)
    row = db.get(models.StaffReply, reply_id)
    if row is None or row.ticket_number != ticket.number or row.status == "sent":
        return _back(number, "该回复无需重新发送")
    audit(db, who.user.username, "reply_retry", ticket.number, ip=client_ip(request))
    db.commit()
    error = await _send(state, db, ticket, row)
    return _back(number, error or "回复已发送")


@router.post("/tickets/{number}/release")
async def release(request: Request, number: str, csrf: str = Form(""), who: Viewer = Depends(viewer),
                  db: Session = Depends(get_db), state: HallState = Depends(get_state)):
    check_csrf(who, csrf)
    ticket = load_ticket(db, number, who)
    try:
        await rasa(state).release(ticket.conversation_id)
    except RasaUnavailable as exc:
        return _back(number, f"{exc}。未能释放给机器人，请稍后重试。")
    audit(db, who.user.username, "release", ticket.number, ip=client_ip(request))
    db.commit()
    return _back(number, "已释放给机器人，群众可继续与机器人对话")


@router.post("/tickets/{number}/transfer")
def transfer(request: Request, number: str, department: str = Form(..., max_length=40),
             reason: str = Form(..., max_length=1000), csrf: str = Form(""), who: Viewer = Depends(viewer),
             db: Session = Depends(get_db)):
    check_csrf(who, csrf)
    ticket = load_ticket(db, number, who)
    if db.get(models.Department, department) is None:
        raise HTTPException(422, f"未知部门：{department[:40]}")
    if not reason.strip():
        return _back(number, "转办必须填写原因")
    if ticket.status == "resolved":
        return _back(number, "已办结的工单不能转办")
    old = ticket.department
    ticket.department, ticket.status = department, "open"
    audit(db, who.user.username, "transfer", ticket.number, f"{old} → {department}：{reason.strip()}",
          ip=client_ip(request))
    db.commit()
    if not visible_to(who.user, ticket):
        return RedirectResponse("/console", status_code=303)
    return _back(number, "已转办")


@router.post("/tickets/{number}/resolve")
async def resolve(request: Request, number: str, resolution: str = Form(..., max_length=4000),
                  csrf: str = Form(""), who: Viewer = Depends(viewer), db: Session = Depends(get_db),
                  state: HallState = Depends(get_state)):
    check_csrf(who, csrf)
    ticket = load_ticket(db, number, who)
    if not resolution.strip():
        return _back(number, "办结必须填写处理结果")
    if ticket.status == "resolved":
        return _back(number, "该工单已办结")
    now = utcnow()
    ticket.status, ticket.resolution, ticket.resolved_at = "resolved", resolution.strip(), now
    if ticket.first_response_at is None:
        ticket.first_response_at = now
    audit(db, who.user.username, "resolve", ticket.number, resolution.strip()[:200], ip=client_ip(request))
    db.commit()
    try:
        await rasa(state).resolved(ticket.conversation_id, ticket.number)
    except RasaUnavailable as exc:
        return _back(number, f"工单已办结，但通知群众失败：{exc}")
    return _back(number, "已办结，机器人已通知群众并邀请评价")


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
