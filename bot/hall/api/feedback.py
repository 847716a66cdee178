"""好差评 ratings and unmatched citizen messages (for the dashboard)."""

from __future__ import annotations

from typing import Optional

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from bot.hall import models, ticket_service
from bot.hall.db import utcnow
from bot.hall.deps import Caller, get_db, service_only
from bot.hall.tickets import iso
from bot.vocabulary import RATING_LEVELS

router = APIRouter(tags=["好差评"])

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
            "level_name": RATING_LEVELS[r.level], "matter": r.matter, "ticket": r.ticket,
            "channel": r.channel, "created_at": iso(r.created_at)}


@router.post("/ratings", status_code=201)
def rate(body: RatingIn, response: Response, db: Session = Depends(get_db), _: Caller = Depends(service_only)):
    row, created = ticket_service.rate(db, body.dict())
    if not created:
        response.status_code = 200  # the same request again: the same rating
    return _rating_json(row)


@router.post("/unmatched", status_code=201)
def unmatched(body: UnmatchedIn, db: Session = Depends(get_db), _: Caller = Depends(service_only)):
    row = models.Unmatched(created_at=utcnow(), **body.dict())
    db.add(row)
    db.commit()
    return {"id": row.id, "created_at": iso(row.created_at)}
