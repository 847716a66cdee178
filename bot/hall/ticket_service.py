"""What staff and the bot do to a ticket: reply, retry, release, transfer, resolve, reveal, rate,
read the transcript, attach files.

Consent has one meaning: it covers staff reading the conversation (`transcript`, `summary`,
the live stream). A phone left for a call back is used for that call back whatever the consent
(`reveal`, audited). Without consent staff see what the citizen wrote for the ticket (its
description and region), never the transcript.

Human mode: from a staff reply until release or resolution the ticket names who answers
(`human_by`) and the bot is paused in that conversation (bot.hall.rasa_client).

Each operation checks what it must, writes the ticket, its audit record and its SLA times in one
place and commits. The console's pages and the JSON API are thin routes over these functions: a
route parses, calls the service, renders. Problems come back as `TicketError` with an HTTP status
and a reason in Chinese; a route shows it its own way (a notice on the page, a JSON error).
"""

from __future__ import annotations

import asyncio
import bisect
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List, Optional, Protocol

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import settings
from bot.hall import attachments as files
from bot.hall import models, sla
from bot.hall import transcript as readable
from bot.hall.db import utcnow
from bot.hall.tickets import audit, deadline_for, visible_to
from bot.privacy import mask_text
from bot.vocabulary import TicketKind, TicketStatus

log = logging.getLogger(__name__)

NO_CONSENT = "群众未同意工作人员查看对话记录，只能查看其填写的诉求描述和地区；如留了电话，可按工单回电"
NO_OPEN_TICKET = "当前会话没有正在处理的工单，无法上传附件。请先说明您的问题，提交工单后再发送图片或文件"


class TicketError(Exception):
    """A request the service refuses: `status` is the HTTP status a route answers with."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class Messenger(Protocol):
    """How the hall reaches a citizen's conversation (Rasa's HTTP API, bot.hall.rasa_client)."""

    async def send_staff_message(self, conversation_id: str, text: str, staff_name: str,
                                 department_name: str) -> None: ...

    async def release(self, conversation_id: str) -> None: ...

    async def resolved(self, conversation_id: str, number: str) -> None: ...

    async def transferred(self, conversation_id: str, number: str) -> None: ...

    async def queue_moved(self, conversation_id: str, ahead: int, wait_minutes: int) -> None: ...


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


def department_name(db: Session, code: Optional[str]) -> str:
    dept = db.get(models.Department, code) if code else None
    return dept.name if dept else (code or "")


def display_name(db: Session, user: models.User) -> str:
    """What a citizen reads as the name of who answers: the display name, else "<部门>工作人员";
    never the login name."""
    if user.display_name:
        return user.display_name
    dept = department_name(db, user.department) if user.department else "政务服务"
    return f"{dept}工作人员"


def author_names(db: Session, usernames) -> Dict[str, str]:
    """login → display name, for lists of staff replies and attachments."""
    names = {n for n in usernames if n}
    if not names:
        return {}
    users = db.execute(select(models.User).where(models.User.username.in_(names))).scalars()
    return {u.username: display_name(db, u) for u in users}


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


def citizen_contact(db: Session, number: str, conversation_id: str, phone: Optional[str],
                    region: Optional[str], consent: Optional[bool] = None,
                    note: Optional[str] = None) -> models.Ticket:
    """A phone (and place) the citizen gives, or corrects, after their ticket was filed (a 差评 is
    filed as soon as its reason is told; the call-back number may follow), or their answer to
    "may staff read this conversation?", asked once the ticket is filed, or more of the story
    (appended to the description, marked as told later). Only from the conversation that filed
    the ticket, only while it is open; the same call again changes nothing."""
    ticket = db.execute(select(models.Ticket).where(models.Ticket.number == number)).scalar_one_or_none()
    if ticket is None or ticket.conversation_id != conversation_id:
        # Another conversation's ticket is no business of this one: the same answer as none at all.
        raise TicketError(404, f"本会话没有编号为“{number[:30]}”的工单")
    if ticket.status == TicketStatus.RESOLVED:
        raise TicketError(409, "这张工单已经办结，不能再补充联系方式")
    changed = []
    if phone and ticket.contact_phone != phone:
        ticket.contact_phone, changed = phone, changed + ["联系电话"]
    if region and ticket.region != region[:100]:  # told after filing, or corrected ("刚才地方讲错了")
        ticket.region, changed = region[:100], changed + ["地区"]
    told = (note or "").strip()
    if told and told not in (ticket.description or ""):
        ticket.description, changed = f"{ticket.description or ''}\n【群众补充】{told}", changed + ["情况"]
    if consent is not None and bool(ticket.consent) != consent:
        ticket.consent, changed = consent, changed + ["同意查看对话记录" if consent else "不同意查看对话记录"]
    if changed:
        audit(db, None, "citizen_contact", ticket.number, "群众补充了" + "、".join(changed))
        db.commit()
    return ticket


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
    author = db.execute(select(models.User).where(models.User.username == reply.author)).scalar_one_or_none()
    name = display_name(db, author) if author else "工作人员"
    try:
        await messenger.send_staff_message(ticket.conversation_id, reply.text, name,
                                           department_name(db, ticket.department))
    except Unreachable as exc:
        reply.status, reply.error = "failed", str(exc)
        db.commit()
        return f"{exc}。回复已保存，可稍后点击“重新发送”。"
    now = utcnow()
    reply.status, reply.error, reply.sent_at = "sent", None, now
    ticket.human_by = name  # human mode: the bot stays silent until release or resolution
    ticket.human_since = ticket.human_since or now
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


def last_reply(db: Session, ticket: models.Ticket) -> models.StaffReply:
    return db.execute(select(models.StaffReply).where(models.StaffReply.ticket_number == ticket.number)
                      .order_by(models.StaffReply.id.desc()).limit(1)).scalar_one()


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
    ticket.human_by = ticket.human_since = None
    audit(db, actor.name, "release", ticket.number, ip=actor.ip)
    db.commit()


def citizen_released(db: Session, conversation_id: str) -> List[str]:
    """The citizen said "结束人工" (the bot resumed itself): the conversation's tickets leave human
    mode. Returns their numbers."""
    rows = db.execute(select(models.Ticket).where(models.Ticket.conversation_id == conversation_id,
                                                  models.Ticket.human_by.is_not(None))).scalars().all()
    for ticket in rows:
        ticket.human_by = ticket.human_since = None
        audit(db, "citizen", "release", ticket.number, "群众结束人工服务")
    # A citizen who stopped waiting is not told their place any more (their ticket stays queued).
    db.execute(update(models.Ticket).where(models.Ticket.conversation_id == conversation_id,
                                           models.Ticket.last_told_position.is_not(None))
               .values(last_told_position=None).execution_options(synchronize_session=False))
    db.commit()
    return [t.number for t in rows]


async def transfer(db: Session, ticket: models.Ticket, actor: Actor, department: str, reason: str,
                   messenger: Messenger, config: sla.SlaConfig, now: Optional[dt.datetime] = None) -> Optional[str]:
    """Send the ticket to another department, which starts it afresh: its matter (kept only when it
    is the new department's), SLA and promised time follow the new department; the citizen is told
    in their channel. Returns a problem to show (the citizen could not be told), or None."""
    department = (department or "").strip()
    if not department:
        raise TicketError(422, "请选择转办的部门")
    if db.get(models.Department, department) is None:
        raise TicketError(422, f"未知部门：{department[:40]}")
    if not reason.strip():
        raise TicketError(422, "转办必须填写原因")
    if ticket.status == TicketStatus.RESOLVED:
        raise TicketError(409, "已办结的工单不能转办")
    if department == ticket.department:
        raise TicketError(409, "工单已在该部门，无需转办")
    old = ticket.department
    matter = db.get(models.Matter, ticket.matter) if ticket.matter else None
    if matter is not None and matter.department != department:
        ticket.matter = None  # another department's matter would promise the old department's time
    moment = now or utcnow()
    local = (moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)).astimezone(sla.TZ)
    deadline = deadline_for(db, ticket.kind, ticket.matter, local, config, rating=ticket.rating)
    ticket.department, ticket.status = department, TicketStatus.OPEN.value
    ticket.due_at = deadline.due_at.astimezone(dt.timezone.utc).replace(tzinfo=None)
    ticket.promised_response = deadline.promised_response
    ticket.human_by = ticket.human_since = None  # the new department has not answered yet
    audit(db, actor.name, "transfer", ticket.number, f"{old} → {department}：{reason.strip()}", ip=actor.ip)
    db.commit()
    return await _tell(messenger.transferred(ticket.conversation_id, ticket.number), "已转办")


async def resolve(db: Session, ticket: models.Ticket, actor: Actor, resolution: str, messenger: Messenger) -> Optional[str]:
    """Close the ticket with its result, then tell the citizen (and ask for a 好差评)."""
    if not resolution.strip():
        raise TicketError(422, "办结必须填写处理结果")
    if ticket.status == TicketStatus.RESOLVED:
        raise TicketError(409, "该工单已办结")
    now = utcnow()
    ticket.status, ticket.resolution, ticket.resolved_at = TicketStatus.RESOLVED.value, resolution.strip(), now
    ticket.human_by = ticket.human_since = None
    if ticket.first_response_at is None:
        ticket.first_response_at = now
    audit(db, actor.name, "resolve", ticket.number, resolution.strip()[:200], ip=actor.ip)
    db.commit()
    return await _tell(messenger.resolved(ticket.conversation_id, ticket.number), "工单已办结")


async def _tell(notice: Awaitable[None], done: str) -> Optional[str]:
    """Tell the citizen of a change already committed: an unreachable conversation undoes nothing,
    it becomes the problem the route shows."""
    try:
        await notice
    except Unreachable as exc:
        return f"{done}，但通知群众失败：{exc}"
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
    # One rating per served conversation: per matter answered without a ticket; per ticket the
    # rating and one 追评 (the follow-up after a 差评 was handled). More is a replay: 409.
    same = select(models.Rating.id).where(models.Rating.conversation_id == fields["conversation_id"])
    if fields.get("ticket"):
        same, allowed = same.where(models.Rating.ticket == fields["ticket"]), 2
    else:
        same, allowed = same.where(models.Rating.ticket.is_(None)), 1
        same = same.where(models.Rating.matter == fields["matter"]) if fields.get("matter") \
            else same.where(models.Rating.matter.is_(None))
    if len(db.execute(same.limit(allowed)).all()) >= allowed:
        raise TicketError(409, "本次服务已经评价过了，感谢您的评价")
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


# --- reading the conversation (consent) -------------------------------------------------------

def may_read_conversation(ticket: models.Ticket) -> bool:
    return bool(ticket.consent)


def require_consent(ticket: models.Ticket) -> None:
    if not may_read_conversation(ticket):
        raise TicketError(403, NO_CONSENT)


def transcript(db: Session, ticket: models.Ticket, actor: Actor, tracker: Optional[Dict[str, Any]],
               show_numbers: bool = False) -> List[Dict[str, Any]]:
    """The readable conversation of a ticket (bot.hall.transcript), with its attachments; numbers
    masked unless `show_numbers` (audited). 403 when the citizen did not consent."""
    require_consent(ticket)
    items = readable.items_of((tracker or {}).get("events") or [])
    rows = list_attachments(db, ticket)
    names = author_names(db, [r.author for r in rows])
    items = readable.merged(items, readable.attachment_items(rows, ticket.number, names))
    audit(db, actor.name, "transcript", ticket.number, ip=actor.ip)
    if show_numbers:
        audit(db, actor.name, "reveal", ticket.number, "查看聊天记录中的号码", ip=actor.ip)
    db.commit()
    if not show_numbers:
        items = [{**i, "text": mask_text(i["text"])} for i in items]
    return items


def summary(db: Session, ticket: models.Ticket, tracker: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """The top of a ticket: the matter, what the bot already answered, what the citizen still asks.
    Without consent: only what the citizen wrote for the ticket."""
    matter = db.get(models.Matter, ticket.matter) if ticket.matter else None
    about = db.get(models.Matter, ticket.about_matter) if ticket.about_matter else None
    name = f"{matter.name}（关于：{about.name}）" if matter and about else (matter.name if matter else None)
    base = {"matter": name, "description": mask_text(ticket.description or ""),
            "answered": [], "asks": [], "matters": []}
    if not may_read_conversation(ticket):
        return base
    events = (tracker or {}).get("events") or []
    codes = {(e.get("data") or {}).get("custom", {}).get("matter") for e in events
             if e.get("event") == "bot" and isinstance((e.get("data") or {}).get("custom"), dict)}
    codes = {c for c in codes if isinstance(c, str)}
    names = {m.code: m.name for m in db.execute(select(models.Matter).where(models.Matter.code.in_(codes))).scalars()} \
        if codes else {}
    found = readable.summary(events, names)
    base.update(answered=found["answered"], asks=[mask_text(a) for a in found["asks"]], matters=found["matters"])
    if not base["matter"] and found["matters"]:
        base["matter"] = found["matters"][-1]
    return base


# --- the handoff queue ------------------------------------------------------------------------

DEFAULT_MINUTES_PER_TICKET = 5
# A waiting citizen hears of a move at most this often (staff answering a burst of tickets must
# not become a burst of messages); a move held back is told by a later sweep. The default of
# ONETRIP_QUEUE_UPDATE_SECONDS (bot.settings.queue_update_seconds).
TELL_AT_MOST_EVERY = dt.timedelta(seconds=60)
QUEUE_SWEEP_SECONDS = 5.0


def _waiting(T=models.Ticket) -> tuple:
    """The department queue: handoffs still open that no staff member has answered yet."""
    return (T.kind == TicketKind.HANDOFF, T.status == TicketStatus.OPEN, T.first_response_at.is_(None))


def _minutes_per_ticket(db: Session, department: str) -> float:
    """How fast this department answered its recent handoffs (median, 2-30 minutes)."""
    T = models.Ticket
    answered = db.execute(select(T.created_at, T.first_response_at).where(
        T.department == department, T.kind == TicketKind.HANDOFF, T.first_response_at.is_not(None),
    ).order_by(T.created_at.desc()).limit(20)).all()
    minutes = [max(1.0, (f - c).total_seconds() / 60) for c, f in answered if f >= c]
    per_ticket = sorted(minutes)[len(minutes) // 2] if minutes else DEFAULT_MINUTES_PER_TICKET
    return min(max(per_ticket, 2), 30)


def queue_info(db: Session, ticket: models.Ticket, config: sla.SlaConfig,
               now: Optional[dt.datetime] = None) -> Dict[str, Any]:
    """For a handoff: office hours now, the place in the department's queue of unanswered
    handoffs and the expected wait (from how fast this department answered recent ones)."""
    now = now or utcnow()
    hours = sla.office_hours(now, config)
    T = models.Ticket
    waiting = db.execute(select(T.id).where(T.department == ticket.department, *_waiting(T),
                                            T.created_at <= ticket.created_at)).scalars().all()
    position = max(1, len(waiting))
    return {
        "office_open": hours.open,
        "office_hours": sla.hours_text(config),
        "back_at": sla.iso_local(hours.back_at),
        "back_text": sla.when_text(hours.back_at, now),
        "queue_position": position,
        "expected_wait_minutes": int(round(position * _minutes_per_ticket(db, ticket.department))),
    }


def handoff_queue(db: Session, ticket: models.Ticket, config: sla.SlaConfig,
                  now: Optional[dt.datetime] = None) -> Dict[str, Any]:
    """`queue_info` for a handoff being made; within office hours the place the citizen is told is
    remembered, so that `tell_queue_moves` tells them when it moves."""
    now = now or utcnow()
    info = queue_info(db, ticket, config, now)
    if info["office_open"] and ticket.status == TicketStatus.OPEN and ticket.first_response_at is None:
        ticket.last_told_position, ticket.last_told_at = info["queue_position"], now
        db.commit()
    return info


async def tell_queue_moves(db: Session, messenger: Messenger, config: sla.SlaConfig,
                           now: Optional[dt.datetime] = None) -> int:
    """Within office hours, tell each citizen waiting on a handoff whose place in the department's
    queue moved (a ticket ahead was answered, resolved, transferred away; one transferred in) their
    new place and expected wait, in their channel. Only on change, at most once a minute a ticket
    (ONETRIP_QUEUE_UPDATE_SECONDS).

    Every hall replica may run this at once: the database row is the truth, and a conditional
    update claims each move, so exactly one replica tells it. Returns how many were told."""
    now = now or utcnow()
    if not sla.office_hours(now, config).open:
        return 0
    T = models.Ticket
    rows = db.execute(select(T.id, T.department, T.created_at, T.conversation_id, T.last_told_position,
                             T.last_told_at).where(*_waiting(T)).order_by(T.created_at, T.id)).all()
    queues: Dict[str, List[dt.datetime]] = {}
    for row in rows:
        queues.setdefault(row.department, []).append(row.created_at)
    cutoff = now - dt.timedelta(seconds=settings.queue_update_seconds(TELL_AT_MOST_EVERY.total_seconds()))
    per_ticket: Dict[str, float] = {}
    told = 0
    for row in rows:
        if row.last_told_position is None or (row.last_told_at is not None and row.last_told_at > cutoff):
            continue
        # Same count as queue_info: the department's waiting tickets made no later than this one.
        position = max(1, bisect.bisect_right(queues[row.department], row.created_at))
        if position == row.last_told_position:
            continue
        if row.department not in per_ticket:
            per_ticket[row.department] = _minutes_per_ticket(db, row.department)
        claim = db.execute(update(T).where(
            T.id == row.id, *_waiting(T), T.last_told_position == row.last_told_position,
            or_(T.last_told_at.is_(None), T.last_told_at <= cutoff),
        ).values(last_told_position=position, last_told_at=now).execution_options(synchronize_session=False))
        db.commit()
        if claim.rowcount != 1:
            continue  # another replica told it, or the ticket was answered meanwhile
        try:
            await messenger.queue_moved(row.conversation_id, position - 1,
                                        max(1, int(round(position * per_ticket[row.department]))))
        except Unreachable as exc:
            # Not told: the old place stays, so a sweep after the pause tells it again.
            db.execute(update(T).where(T.id == row.id, T.last_told_position == position, T.last_told_at == now)
                       .values(last_told_position=row.last_told_position)
                       .execution_options(synchronize_session=False))
            db.commit()
            log.warning("queue update not delivered: %s", exc)
            continue
        told += 1
    return told


async def queue_updates(sessions: Callable[[], Session], messenger_of: Callable[[], Messenger],
                        config: sla.SlaConfig, every: float = QUEUE_SWEEP_SECONDS) -> None:
    """The hall's background job: `tell_queue_moves` every few seconds."""
    while True:
        try:
            with sessions() as db:
                await tell_queue_moves(db, messenger_of(), config)
        except Exception:
            log.exception("queue updates failed; retrying at the next sweep")
        await asyncio.sleep(every)


# --- attachments ------------------------------------------------------------------------------

def list_attachments(db: Session, ticket: models.Ticket) -> List[models.Attachment]:
    return list(db.execute(select(models.Attachment).where(models.Attachment.ticket_number == ticket.number)
                           .order_by(models.Attachment.id)).scalars())


def _store(db: Session, ticket: models.Ticket, clean: files.CleanFile, uploaded_by: str,
           author: Optional[str]) -> models.Attachment:
    row = models.Attachment(ticket_number=ticket.number, name=clean.name, content_type=clean.content_type,
                            size=clean.size, data=clean.data, uploaded_by=uploaded_by, author=author,
                            created_at=utcnow())
    db.add(row)
    return row


def _clean(data: bytes, name: str) -> files.CleanFile:
    try:
        return files.clean(data, name)
    except files.AttachmentRefused as exc:
        raise TicketError(exc.status, exc.reason)


def attach(db: Session, ticket: models.Ticket, actor: Actor, data: bytes, name: str) -> models.Attachment:
    """A staff member attaches a photo or PDF to a ticket (413 too large, 415 not a supported type)."""
    clean = _clean(data, name)
    row = _store(db, ticket, clean, readable.STAFF, actor.name)
    audit(db, actor.name, "attach", ticket.number, clean.name, ip=actor.ip)
    db.commit()
    return row


def open_ticket_of(db: Session, conversation_id: str) -> Optional[models.Ticket]:
    """The conversation's most recent ticket that is not resolved."""
    T = models.Ticket
    return db.execute(select(T).where(T.conversation_id == conversation_id, T.status != TicketStatus.RESOLVED)
                      .order_by(T.created_at.desc(), T.id.desc()).limit(1)).scalar_one_or_none()


def citizen_attach(db: Session, conversation_id: str, data: bytes, name: str,
                   source_url: Optional[str] = None) -> models.Attachment:
    """A citizen's photo or file goes into their own conversation's open ticket (409 without one).
    `data` may be empty with a `source_url` (a WeChat image whose media could not be fetched)."""
    ticket = open_ticket_of(db, conversation_id)
    if ticket is None:
        raise TicketError(409, NO_OPEN_TICKET)
    if data:
        row = _store(db, ticket, _clean(data, name), readable.CITIZEN, None)
        row.source_url = source_url
    else:
        if not source_url:
            raise TicketError(422, "附件内容为空")
        row = models.Attachment(ticket_number=ticket.number, name=(name or "图片")[:200], content_type="image/jpeg",
                                size=0, data=None, source_url=source_url[:2000], uploaded_by=readable.CITIZEN,
                                created_at=utcnow())
        db.add(row)
    audit(db, "citizen", "attach", ticket.number, row.name)
    db.commit()
    return row


def attachment(db: Session, ticket: models.Ticket, attachment_id: int, actor: Actor) -> models.Attachment:
    """One attachment of this ticket (404 when the id is another ticket's); the download is audited."""
    row = db.get(models.Attachment, attachment_id)
    if row is None or row.ticket_number != ticket.number:
        raise TicketError(404, "该工单没有这个附件")
    audit(db, actor.name, "attachment_download", ticket.number, row.name, ip=actor.ip)
    db.commit()
    return row
