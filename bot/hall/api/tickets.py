"""工单 API: create (idempotent), list, show, the citizen's own lookup."""

from __future__ import annotations

import re
from typing import List, Literal, Optional

from fastapi import APIRouter, Depends, HTTPException, Query, Response
from pydantic import BaseModel, Field, validator
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from bot.hall import models
from bot.hall.deps import Caller, caller, get_db, get_state, service_only
from bot.hall.state import HallState
from bot.hall.ticket_service import TicketError, citizen_contact, handoff_queue
from bot.hall.tickets import create_ticket, ticket_json, visible_to
from bot.vocabulary import FALLBACK_DEPARTMENT, Role, TicketKind, TicketStatus

router = APIRouter(tags=["工单"])

Kind = Literal[TicketKind.values()]  # type: ignore[valid-type]
Status = Literal[TicketStatus.values()]  # type: ignore[valid-type]


def normalize_phone(value: Optional[str]) -> Optional[str]:
    if not value:
        return None
    digits = re.sub(r"\D", "", value)
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits or None


def checked_phone(cls, v: Optional[str]) -> Optional[str]:
    if v and not re.fullmatch(r"[+\d\s()-]{5,40}", v):
        raise ValueError("联系电话格式不对")
    return normalize_phone(v)


class TicketIn(BaseModel):
    kind: Kind
    department: Optional[str] = Field(None, max_length=40)
    matter: Optional[str] = Field(None, max_length=100)
    # The matter a 兜底 or 好差评 ticket is about (the ticket itself is filed under zwfw's matter).
    about_matter: Optional[str] = Field(None, max_length=100)
    conversation_id: str = Field(..., min_length=1, max_length=200)
    channel: str = Field("", max_length=60)
    description: str = Field("", max_length=8000)
    region: Optional[str] = Field(None, max_length=100)
    contact_phone: Optional[str] = Field(None, max_length=40)
    consent: bool = False
    idempotency_key: str = Field(..., min_length=1, max_length=200)
    rating: Optional[int] = Field(None, ge=1, le=5)
    reason: Optional[str] = Field(None, max_length=2000)

    _phone = validator("contact_phone", allow_reuse=True)(checked_phone)


class TicketOut(BaseModel):
    number: str
    kind: str
    status: str
    department: str
    department_name: str
    matter: Optional[str]
    matter_name: Optional[str]
    about_matter: Optional[str] = None
    about_matter_name: Optional[str] = None
    conversation_id: str
    channel: str
    channel_name: str = ""
    human_by: Optional[str] = None
    description: str
    region: Optional[str]
    contact_phone_masked: Optional[str]
    consent: bool
    created_at: str
    due_at: Optional[str]
    promised_response: str
    first_response_at: Optional[str]
    resolved_at: Optional[str]
    resolution: Optional[str]
    rating: Optional[int]
    reason: Optional[str]
    # Handoff tickets, when created: office hours and the place in the department's queue.
    office_open: Optional[bool] = None
    office_hours: Optional[str] = None  # "9:00-17:00", from the SLA file
    back_at: Optional[str] = None
    back_text: Optional[str] = None
    queue_position: Optional[int] = None
    expected_wait_minutes: Optional[int] = None


class TicketList(BaseModel):
    items: List[TicketOut]


class LookupIn(BaseModel):
    number: Optional[str] = Field(None, max_length=20)
    phone: Optional[str] = Field(None, max_length=40)
    conversation_id: Optional[str] = Field(None, max_length=200)


@router.post("/tickets", response_model=TicketOut, status_code=201)
def create(
    body: TicketIn,
    response: Response,
    db: Session = Depends(get_db),
    state: HallState = Depends(get_state),
    _: Caller = Depends(service_only),
):
    fields = body.dict()
    if fields["matter"]:
        matter = db.get(models.Matter, fields["matter"])
        if matter is None:
            raise HTTPException(422, f"未知事项：{fields['matter']}")
        fields["department"] = fields["department"] or matter.department
    if fields["about_matter"] and db.get(models.Matter, fields["about_matter"]) is None:
        raise HTTPException(422, f"未知事项：{fields['about_matter']}")
    if not fields["department"]:
        fields["department"] = FALLBACK_DEPARTMENT
    if db.get(models.Department, fields["department"]) is None:
        raise HTTPException(422, f"未知部门：{fields['department']}")
    db.close()
    data, created = create_ticket(state.sessions, fields, state.sla)
    if not created:
        response.status_code = 200  # the same request again: the same ticket
    if data["kind"] == TicketKind.HANDOFF:
        with state.sessions() as session:
            ticket = session.execute(select(models.Ticket).where(models.Ticket.number == data["number"])).scalar_one()
            data.update(handoff_queue(session, ticket, state.sla))
    return data


class ContactIn(BaseModel):
    conversation_id: str = Field(..., min_length=1, max_length=200)
    contact_phone: Optional[str] = Field(None, max_length=40)
    region: Optional[str] = Field(None, max_length=100)
    # The citizen's answer, after filing, to "may staff read this conversation?" (None: not asked).
    consent: Optional[bool] = None
    # More of the story told after filing ("等下地点说错了，是在杭州东站上的车"): added to the description.
    note: Optional[str] = Field(None, max_length=2000)

    _phone = validator("contact_phone", allow_reuse=True)(checked_phone)


@router.post("/tickets/{number}/contact", response_model=TicketOut,
             responses={404: {"description": "本会话没有这张工单"}, 409: {"description": "工单已办结"}})
def add_contact(number: str, body: ContactIn, db: Session = Depends(get_db), _: Caller = Depends(service_only)):
    """群众在工单提交后补充的回电号码或地区（如差评先登记、再留电话），或对“是否同意工作人员查看本次对话记录”的答复；
    只接受提交该工单的会话。"""
    try:
        ticket = citizen_contact(db, number.strip().upper()[:40], body.conversation_id, body.contact_phone,
                                 body.region, body.consent, body.note)
    except TicketError as exc:
        raise HTTPException(exc.status, exc.reason)
    return ticket_json(db, ticket)


@router.get("/tickets", response_model=TicketList)
def list_tickets(
    conversation_id: Optional[str] = Query(None, max_length=200),
    status: Optional[Status] = None,
    department: Optional[str] = Query(None, max_length=40),
    kind: Optional[Kind] = None,
    limit: int = Query(200, ge=1, le=1000),
    db: Session = Depends(get_db),
    who: Caller = Depends(caller),
):
    stmt = select(models.Ticket)
    if who.user is not None and who.user.role == Role.STAFF:
        stmt = stmt.where(models.Ticket.department == who.user.department)
    if conversation_id:
        stmt = stmt.where(models.Ticket.conversation_id == conversation_id)
    if status:
        stmt = stmt.where(models.Ticket.status == status)
    if department:
        stmt = stmt.where(models.Ticket.department == department)
    if kind:
        stmt = stmt.where(models.Ticket.kind == kind)
    rows = db.execute(stmt.order_by(models.Ticket.created_at.desc()).limit(limit)).scalars()
    return {"items": [ticket_json(db, t) for t in rows]}


def get_visible(db: Session, number: str, who: Caller) -> models.Ticket:
    ticket = db.execute(select(models.Ticket).where(models.Ticket.number == number)).scalar_one_or_none()
    if ticket is None:
        raise HTTPException(404, f"没有编号为“{number[:30]}”的工单")
    if who.user is not None and not visible_to(who.user, ticket):
        raise HTTPException(403, "这张工单属于其他部门，您无权查看")
    return ticket


@router.get("/tickets/{number}", response_model=TicketOut)
def show(number: str, db: Session = Depends(get_db), who: Caller = Depends(caller)):
    return ticket_json(db, get_visible(db, number, who))


@router.post("/tickets/lookup", response_model=TicketList)
def lookup(body: LookupIn, db: Session = Depends(get_db), _: Caller = Depends(service_only)):
    """Only the citizen's own tickets: two of number/phone/conversation must agree."""
    number = (body.number or "").strip().upper() or None
    phone = normalize_phone(body.phone)
    conv = (body.conversation_id or "").strip() or None
    T = models.Ticket
    clauses = []
    if number and phone:
        clauses.append(and_(T.number == number, T.contact_phone == phone))
    if number and conv:
        clauses.append(and_(T.number == number, T.conversation_id == conv))
    if phone and conv:
        clauses.append(and_(T.contact_phone == phone, T.conversation_id == conv))
    if not clauses:
        raise HTTPException(422, "查询工单需要提供工单编号或手机号，并与本次会话或手机号相互印证")
    rows = db.execute(select(T).where(or_(*clauses)).order_by(T.created_at.desc()).limit(50)).scalars()
    return {"items": [ticket_json(db, t) for t in rows]}
