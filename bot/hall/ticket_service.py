"""What staff and the bot do to a ticket: reply, retry, release, transfer, resolve, reveal, rate.

Each operation checks what it must, writes the ticket, its audit record and its SLA times in one
place and commits. The console's pages and the JSON API are thin routes over these functions: a
route parses, calls the service, renders. Problems come back as `TicketError` with an HTTP status
and a reason in Chinese; a route shows it its own way (a notice on the page, a JSON error).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.hall import models
from bot.hall.db import utcnow
from bot.hall.tickets import audit, visible_to
from bot.vocabulary import TicketStatus


class TicketError(Exception):
    """A request the service refuses: `status` is the HTTP status a route answers with."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class Messenger(Protocol):
    """How the hall reaches a citizen's conversation (Rasa's HTTP API, bot.hall.rasa_client)."""

    async def send_staff_message(self, conversation_id: str, text: str) -> None: ...

    async def release(self, conversation_id: str) -> None: ...

    async def resolved(self, conversation_id: str, number: str) -> None: ...


class Unreachable(Exception):
    """The messenger could not reach the conversation (raised by the route's messenger)."""


@dataclass(frozen=True)
class Actor:
    """Who acts, from where: the audit record names both."""

    user: models.User
    ip: str = ""

    @property
    def name(self) -> str:
        return self.user.username


def load(db: Session, number: str, actor: Actor) -> models.Ticket:
    """The ticket with this number, if the actor's department may see it."""
    ticket = db.execute(select(models.Ticket).where(models.Ticket.number == number)).scalar_one_or_none()
    if ticket is None:
        raise TicketError(404, f"没有编号为“{number[:30]}”的工单")
    if not visible_to(actor.user, ticket):
        raise TicketError(403, "这张工单属于其他部门，您无权查看")
    return ticket


def is_overdue(ticket: models.Ticket, now=None) -> bool:
    now = now or utcnow()
    return ticket.status != TicketStatus.RESOLVED and ticket.due_at is not None and ticket.due_at < now


def viewed(db: Session, ticket: models.Ticket, actor: Actor, numbers_shown: bool = False) -> None:
    """A staff member opened the ticket (and perhaps unmasked the numbers in its transcript)."""
    audit(db, actor.name, "view", ticket.number, ip=actor.ip)
    if numbers_shown:
        audit(db, actor.name, "reveal", ticket.number, "查看聊天记录中的号码", ip=actor.ip)
    db.commit()


def reveal(db: Session, ticket: models.Ticket, actor: Actor) -> str:
    """The citizen's contact phone, in clear; every reveal is audited."""
    audit(db, actor.name, "reveal", ticket.number, "查看联系电话", ip=actor.ip)
    db.commit()
    return ticket.contact_phone or ""


async def _deliver(db: Session, ticket: models.Ticket, reply: models.StaffReply, messenger: Messenger) -> Optional[str]:
    """Relay one staff reply; keep it as failed (with the reason) when the conversation is out of reach."""
    try:
        await messenger.send_staff_message(ticket.conversation_id, reply.text)
    except Unreachable as exc:
        reply.status, reply.error = "failed", str(exc)
        db.commit()
        return f"{exc}。回复已保存，可稍后点击“重新发送”。"
    now = utcnow()
    reply.status, reply.error, reply.sent_at = "sent", None, now
    if ticket.first_response_at is None:
        ticket.first_response_at = now
    if ticket.status == TicketStatus.OPEN:
        ticket.status = TicketStatus.IN_PROGRESS.value
    db.commit()
    return None


async def reply(db: Session, ticket: models.Ticket, actor: Actor, text: str, messenger: Messenger) -> Optional[str]:
    """Save a staff reply, then send it. Returns a problem to show, or None when it was sent."""
    text = text.strip()
    if not text:
        raise TicketError(422, "回复内容不能为空")
    row = models.StaffReply(ticket_number=ticket.number, author=actor.name, text=text,
                            status="pending", created_at=utcnow())
    db.add(row)
    audit(db, actor.name, "reply", ticket.number, ip=actor.ip)
    db.commit()  # saved before sending: an outage never loses the reply
    return await _deliver(db, ticket, row, messenger)


async def retry(db: Session, ticket: models.Ticket, actor: Actor, reply_id: int, messenger: Messenger) -> Optional[str]:
    row = db.get(models.StaffReply, reply_id)
    if row is None or row.ticket_number != ticket.number or row.status == "sent":
        raise TicketError(409, "该回复无需重新发送")
    audit(db, actor.name, "reply_retry", ticket.number, ip=actor.ip)
    db.commit()
    return await _deliver(db, ticket, row, messenger)


async def release(db: Session, ticket: models.Ticket, actor: Actor, messenger: Messenger) -> None:
    """Hand the conversation back to the bot."""
    try:
        await messenger.release(ticket.conversation_id)
    except Unreachable as exc:
        raise TicketError(503, f"{exc}。未能释放给机器人，请稍后重试。")
    audit(db, actor.name, "release", ticket.number, ip=actor.ip)
    db.commit()


def transfer(db: Session, ticket: models.Ticket, actor: Actor, department: str, reason: str) -> None:
    """Send the ticket to another department, which starts it afresh."""
    if db.get(models.Department, department) is None:
        raise TicketError(422, f"未知部门：{department[:40]}")
    if not reason.strip():
        raise TicketError(422, "转办必须填写原因")
    if ticket.status == TicketStatus.RESOLVED:
        raise TicketError(409, "已办结的工单不能转办")
    old = ticket.department
    ticket.department, ticket.status = department, TicketStatus.OPEN.value
    audit(db, actor.name, "transfer", ticket.number, f"{old} → {department}：{reason.strip()}", ip=actor.ip)
    db.commit()


async def resolve(db: Session, ticket: models.Ticket, actor: Actor, resolution: str, messenger: Messenger) -> Optional[str]:
    """Close the ticket with its result, then tell the citizen (and ask for a 好差评)."""
    if not resolution.strip():
        raise TicketError(422, "办结必须填写处理结果")
    if ticket.status == TicketStatus.RESOLVED:
        raise TicketError(409, "该工单已办结")
    now = utcnow()
    ticket.status, ticket.resolution, ticket.resolved_at = TicketStatus.RESOLVED.value, resolution.strip(), now
    if ticket.first_response_at is None:
        ticket.first_response_at = now
    audit(db, actor.name, "resolve", ticket.number, resolution.strip()[:200], ip=actor.ip)
    db.commit()
    try:
        await messenger.resolved(ticket.conversation_id, ticket.number)
    except Unreachable as exc:
        return f"工单已办结，但通知群众失败：{exc}"
    return None


def rate(db: Session, fields: dict) -> tuple:
    """Record a 好差评 once per idempotency key; a rating of a resolved ticket is kept on it.

    Returns (rating row, created)."""
    def by_key() -> Optional[models.Rating]:
        return db.execute(select(models.Rating).where(models.Rating.idempotency_key == fields["idempotency_key"])
                          ).scalar_one_or_none()

    existing = by_key()
    if existing is not None:
        return existing, False
    row = models.Rating(created_at=utcnow(), **fields)
    db.add(row)
    try:
        db.commit()
    except IntegrityError:  # a concurrent retry won
        db.rollback()
        return by_key(), False
    if fields.get("ticket"):  # the citizen rated a resolved ticket
        ticket = db.execute(select(models.Ticket).where(models.Ticket.number == fields["ticket"])).scalar_one_or_none()
        if ticket is not None and ticket.rating is None:
            ticket.rating = fields["level"]
            db.commit()
    return row, True
