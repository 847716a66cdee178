"""Tickets (工单): race-safe numbering, idempotent creation, JSON shape, visibility."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from typing import Optional, Tuple

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.hall import models, sla
from bot.hall.db import utcnow
from bot.privacy import mask_phone, mask_text
from bot.vocabulary import ALL_DEPARTMENT_ROLES, Channel, TicketStatus



def iso(moment: Optional[dt.datetime]) -> Optional[str]:
    """Stored naive UTC -> ISO 8601 in Asia/Shanghai."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(sla.TZ).isoformat(timespec="seconds")


def to_utc_naive(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None)


def ticket_json(session: Session, ticket: models.Ticket) -> dict:
    dept = session.get(models.Department, ticket.department)
    matter = session.get(models.Matter, ticket.matter) if ticket.matter else None
    about = session.get(models.Matter, ticket.about_matter) if ticket.about_matter else None
    return {
        "number": ticket.number,
        "kind": ticket.kind,
        "status": ticket.status,
        "department": ticket.department,
        "department_name": dept.name if dept else ticket.department,
        "matter": ticket.matter,
        "matter_name": matter.name if matter else None,
        "about_matter": ticket.about_matter,
        "about_matter_name": about.name if about else None,
        "conversation_id": ticket.conversation_id,
        "channel": ticket.channel,
        "channel_name": Channel.label_of(ticket.channel),
        "human_by": ticket.human_by,
        "description": mask_text(ticket.description or ""),
        "region": ticket.region,
        "contact_phone_masked": mask_phone(ticket.contact_phone) if ticket.contact_phone else None,
        "consent": ticket.consent,
        "created_at": iso(ticket.created_at),
        "due_at": iso(ticket.due_at),
        "promised_response": ticket.promised_response,
        "first_response_at": iso(ticket.first_response_at),
        "resolved_at": iso(ticket.resolved_at),
        "resolution": ticket.resolution,
        "rating": ticket.rating,
        "reason": mask_text(ticket.reason) if ticket.reason else ticket.reason,
    }


# The suffix of a ticket number: 6 characters without the ambiguous 0/O, 1/I/L, 2/Z, 5/S, 8/B.
NUMBER_ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"
NUMBER_SUFFIX_LENGTH = 6


def _next_number(session: Session, created_local: dt.datetime) -> str:
    """ZJYYYYMMDD-XXXXXX with a random suffix: the number says the day, not how many tickets the
    day had (25^6 = 244 million a day, so guessing one is hopeless and the look-ups are rate
    limited). Unique by the tickets' unique constraint on `number`: `create_ticket` retries a
    collision with a new number (IntegrityError), and one in 244 million per pair is rare."""
    day = created_local.strftime("%Y%m%d")
    for _ in range(5):
        suffix = "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(NUMBER_SUFFIX_LENGTH))
        number = f"ZJ{day}-{suffix}"
        taken = session.execute(select(models.Ticket.id).where(models.Ticket.number == number)).first()
        if taken is None:
            return number
    raise IntegrityError("ticket number", None, Exception("five random numbers taken"))


def deadline_for(session: Session, kind: str, matter: Optional[str], moment: dt.datetime,
                 config: sla.SlaConfig, rating: Optional[int] = None) -> sla.Deadline:
    """The deadline of a ticket of this kind (and matter, whose department may promise its own)."""
    matter_hours = matter_response = None
    if matter:
        row = session.get(models.Matter, matter)
        info = json.loads(row.data).get("ticket") if row else None
        if info:
            matter_hours, matter_response = info.get("response_hours"), info.get("response")
    return sla.deadline(kind, moment, config, rating=rating, matter_hours=matter_hours,
                        matter_response=matter_response)


def find_by_key(session: Session, key: str) -> Optional[models.Ticket]:
    return session.execute(
        select(models.Ticket).where(models.Ticket.idempotency_key == key)
    ).scalar_one_or_none()


def create_ticket(
    factory: sessionmaker, fields: dict, config: sla.SlaConfig, now: Optional[dt.datetime] = None
) -> Tuple[dict, bool]:
    """Create a ticket, or return the one already made for this idempotency key.

    Returns (ticket JSON, created). The unique constraint on idempotency_key is the guard; a
    concurrent duplicate loses the insert, rolls back and returns the winner's ticket.
    """
    key = fields["idempotency_key"]
    for attempt in range(8):
        session = factory()
        try:
            existing = find_by_key(session, key)
            if existing is not None:
                return ticket_json(session, existing), False
            created = now or utcnow()
            local = (created if created.tzinfo else created.replace(tzinfo=dt.timezone.utc)).astimezone(sla.TZ)
            deadline = deadline_for(session, fields["kind"], fields.get("matter"), local, config,
                                    rating=fields.get("rating"))
            number = _next_number(session, local)
            ticket = models.Ticket(
                number=number,
                status=TicketStatus.OPEN.value,
                created_at=to_utc_naive(local),
                due_at=to_utc_naive(deadline.due_at),
                promised_response=deadline.promised_response,
                **fields,
            )
            session.add(ticket)
            session.flush()
            session.commit()
            return ticket_json(session, ticket), True
        except (IntegrityError, OperationalError):
            # Duplicate key (answered from the winner on the next loop) or a number collision.
            session.rollback()
            if attempt == 7:
                raise
        finally:
            session.close()
    raise RuntimeError("unreachable")


def visible_to(user: models.User, ticket: models.Ticket) -> bool:
    return user.role in ALL_DEPARTMENT_ROLES or user.department == ticket.department


def audit(
    session: Session, username: Optional[str], action: str, target: str = "", detail: str = "", ip: str = ""
) -> None:
    session.add(
        models.AuditEntry(at=utcnow(), username=username, action=action, target=target, detail=detail, ip=ip)
    )
