"""审核答复 API: save a staff reply as an approved answer, withdraw it, find one for a question."""

from __future__ import annotations

from typing import Optional

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from bot.hall import approved
from bot.hall.deps import Caller, caller, client_ip, get_db, service_only
from bot.hall.ticket_service import Actor, TicketError
from bot.vocabulary import ALL_DEPARTMENT_ROLES

router = APIRouter(tags=["审核答复"])


class ApprovedIn(BaseModel):
    ticket: str = Field(..., min_length=1, max_length=20)
    reply_id: Optional[int] = None
    question: str = Field("", max_length=2000)
    answer: str = Field("", max_length=4000)


def _staff(who: Caller, request: Request) -> Actor:
    if who.user is None:
        raise HTTPException(403, "此操作需要工作人员登录")
    return Actor(who.user, client_ip(request))


@router.post("/approved-answers", status_code=201)
def create(body: ApprovedIn, request: Request, db: Session = Depends(get_db), who: Caller = Depends(caller)):
    try:
        row = approved.create(db, _staff(who, request), body.ticket.strip().upper(), body.reply_id,
                              body.question, body.answer)
    except TicketError as exc:
        raise HTTPException(exc.status, exc.reason)
    return approved.as_json(db, row)


@router.get("/approved-answers")
def listing(db: Session = Depends(get_db), who: Caller = Depends(caller)):
    mine = None if who.service or who.user.role in ALL_DEPARTMENT_ROLES else who.user.department
    return {"items": [approved.as_json(db, r) for r in approved.active(db, mine)]}


@router.get("/approved-answers/match")
def match(q: str = Query(..., min_length=1, max_length=2000), db: Session = Depends(get_db),
          _: Caller = Depends(service_only)):
    found = approved.match(db, q)
    if found is None:
        raise HTTPException(404, "没有与该问题相符的审核答复")
    return approved.as_json(db, found[0], found[1])


@router.post("/approved-answers/{answer_id}/withdraw")
def withdraw(answer_id: int, request: Request, db: Session = Depends(get_db), who: Caller = Depends(caller)):
    try:
        row = approved.withdraw(db, _staff(who, request), answer_id)
    except TicketError as exc:
        raise HTTPException(exc.status, exc.reason)
    return approved.as_json(db, row)
