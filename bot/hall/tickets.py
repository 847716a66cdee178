"""Tickets (工单): race-safe numbering, idempotent creation, JSON shape, visibility."""

from __future__ import annotations

import datetime as dt
import json
from typing import Optional, Tuple

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.hall import models, sla
from bot.hall.db import utcnow
from bot.privacy import mask_phone, mask_text
from bot.vocabulary import ALL_DEPARTMENT_ROLES, TicketStatus



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
    return {
        "number": ticket.number,
        "kind": ticket.kind,
        "status": ticket.status,
        "department": ticket.department,
        "department_name": dept.name if dept else ticket.department,
        "matter": ticket.matter,
        "matter_name": matter.name if matter else None,
        "conversation_id": ticket.conversation_id,
        "channel": ticket.channel,
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
        "reason": ticket.reason,
    }


def _next_number(session: Session, created_local: dt.datetime) -> str:
    """Increment today's counter. The UPDATE comes first so the transaction takes the write
    lock before reading (SQLite: no read-to-write upgrade deadlock; PostgreSQL: row lock)."""
    day = created_local.strftime("%Y%m%d")
    result = session.execute(
        update(models.TicketCounter)
        .where(models.TicketCounter.day == day)
        .values(last=models.TicketCounter.last + 1)
    )
    if result.rowcount == 0:
        # First ticket of the day; a concurrent first insert fails on the primary key and retries.
        with session.begin_nested():
            session.add(models.TicketCounter(day=day, last=1))
        return f"ZJ{day}-0001"
    last = session.execute(
        select(models.TicketCounter.last).where(models.TicketCounter.day == day)
    ).scalar_one()
    return f"ZJ{day}-{last:04d}"


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
            matter_hours = matter_response = None
            if fields.get("matter"):
                row = session.get(models.Matter, fields["matter"])
                info = json.loads(row.data).get("ticket") if row else None
                if info:
                    matter_hours, matter_response = info.get("response_hours"), info.get("response")
            deadline = sla.deadline(
                fields["kind"], local, config, rating=fields.get("rating"),
                matter_hours=matter_hours, matter_response=matter_response,
            )
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
            # Duplicate key (answered from the winner on the next loop) or a counter race.
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
