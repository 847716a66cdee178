"""好差评 ratings and unmatched citizen messages (for the dashboard)."""

from __future__ import annotations

from typing import Optional

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.hall import models
from bot.hall.db import utcnow
from bot.hall.deps import Caller, get_db, service_only
from bot.hall.tickets import iso

router = APIRouter(tags=["好差评"])

LEVEL_NAMES = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}


class RatingIn(BaseModel):
    conversation_id: str = Field(..., min_length=1, max_length=200)
    level: int = Field(..., ge=1, le=5)
    matter: Optional[str] = Field(None, max_length=100)
    ticket: Optional[str] = Field(None, max_length=20)
    channel: str = Field("", max_length=60)
    idempotency_key: str = Field(..., min_length=1, max_length=200)


class UnmatchedIn(BaseModel):
    conversation_id: str = Field(..., min_length=1, max_length=200)
    text: str = Field(..., min_length=1, max_length=4000)
    channel: str = Field("", max_length=60)


def _rating_json(r: models.Rating) -> dict:
    return {"id": r.id, "conversation_id": r.conversation_id, "level": r.level,
            "level_name": LEVEL_NAMES[r.level], "matter": r.matter, "ticket": r.ticket,
            "channel": r.channel, "created_at": iso(r.created_at)}


def _by_key(db: Session, key: str) -> Optional[models.Rating]:
    return db.execute(select(models.Rating).where(models.Rating.idempotency_key == key)).scalar_one_or_none()


@router.post("/ratings", status_code=201)
def rate(body: RatingIn, response: Response, db: Session = Depends(get_db), _: Caller = Depends(service_only)):
    existing = _by_key(db, body.idempotency_key)
    if existing is None:
        row = models.Rating(created_at=utcnow(), **body.dict())
        db.add(row)
        try:
            db.commit()
            if body.ticket:  # the citizen rated a resolved ticket
                ticket = db.execute(
                    select(models.Ticket).where(models.Ticket.number == body.ticket)
                ).scalar_one_or_none()
                if ticket is not None and ticket.rating is None:
                    ticket.rating = body.level
                    db.commit()
            return _rating_json(row)
        except IntegrityError:  # a concurrent retry won
            db.rollback()
            existing = _by_key(db, body.idempotency_key)
    response.status_code = 200
    return _rating_json(existing)


@router.post("/unmatched", status_code=201)
def unmatched(body: UnmatchedIn, db: Session = Depends(get_db), _: Caller = Depends(service_only)):
    row = models.Unmatched(created_at=utcnow(), **body.dict())
    db.add(row)
    db.commit()
    return {"id": row.id, "created_at": iso(row.created_at)}
