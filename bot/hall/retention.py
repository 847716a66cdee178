"""Retention (issue #17): personal data is kept no longer than needed, and figures survive.

A conversation is *due* when none of its tickets is open and

* it has tickets: the last one closed more than ONETRIP_RETENTION_TICKET_DAYS ago (default 180)
  and its last message is more than ONETRIP_RETENTION_CONVERSATION_DAYS old (default 30);
* it has none: its last message (or rating, or unmatched question) is more than
  ONETRIP_RETENTION_CONVERSATION_DAYS old.

For a due conversation the hall

* deletes its transcript: every row of the tracker store's ``events`` table (SQL, the tracker
  URL and the events URL when it is another SQL database);
* deletes the staff replies of its tickets (they are part of the transcript);
* anonymises its tickets: description, contact phone, reason and resolution cleared; kind,
  department, matter, region, channel, times, SLA and rating kept;
* replaces the conversation id everywhere (tickets, ratings, unmatched questions, the
  ``conversation_stats`` row) with one random token, so every figure is counted as before;
* keeps unmatched and wrongly matched questions masked (bot.privacy) for review;
* keeps the audit log (who revealed which contact when), and adds a ``retention`` record.

A citizen's own request ("删除我的记录", ``erase``) does the same at once for their conversation,
unless a ticket of it is still open; then nothing is deleted and the answer says when it will go.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import secrets
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot import settings as env
from bot.db import is_sqlite
from bot.hall import models
from bot.hall.db import utcnow
from bot.hall.rasa_events import events_engine, is_amqp
from bot.hall.tickets import audit, iso
from bot.privacy import mask_text
from bot.vocabulary import TicketStatus

log = logging.getLogger(__name__)

ANON_PREFIX = "anon-"
CHUNK = 500


def _chunks(items: Sequence[str], size: int = CHUNK) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def token() -> str:
    return ANON_PREFIX + secrets.token_hex(12)


# --- the tracker store -----------------------------------------------------------------------

def _event_urls(settings) -> List[str]:
    urls = [settings.tracker_url]
    if not is_amqp(settings.events_url) and settings.events_url != settings.tracker_url:
        urls.append(settings.events_url)
    return [u for u in urls if u.startswith(("sqlite", "postgresql", "mysql"))]


# SQLite gives a new row max(id) + 1 (Rasa's table has no AUTOINCREMENT): deleting the newest rows
# would hand their ids out again, and whoever follows the table by id (the hall's event hub and
# figures) would miss the new rows. The newest row is kept as an empty tombstone instead.
TOMBSTONE_SENDER = "_erased"


def _keep_last_id(conn, where: str, params: dict) -> None:
    newest = conn.execute(text("SELECT MAX(id) FROM events")).scalar()
    if newest is not None and conn.execute(text(f"SELECT COUNT(*) FROM events WHERE id = :newest AND {where}"),
                                           {**params, "newest": newest}).scalar():
        conn.execute(text("UPDATE events SET sender_id = :tomb, data = '{}' WHERE id = :newest"),
                     {"tomb": TOMBSTONE_SENDER, "newest": newest})


def _on_events(settings, statement: str, params: dict, where: str = "") -> int:
    total = 0
    for url in _event_urls(settings):
        engine = events_engine(url, pool_size=1)  # pool_size: PostgreSQL only
        try:
            with engine.begin() as conn:
                if where and is_sqlite(url):
                    _keep_last_id(conn, where, params)
                result = conn.execute(text(statement), params)
                total += result.rowcount if statement.lstrip().upper().startswith("DELETE") else int(result.scalar() or 0)
        except SQLAlchemyError as exc:  # no events table there (yet)
            log.info("retention: events at %s not reachable: %s", url.split("@")[-1],
                     str(exc).splitlines()[0][:160])
        finally:
            engine.dispose()
    return total


def delete_events(settings, conversation_ids: Sequence[str], up_to: Optional[int] = None) -> int:
    """Delete the conversations' rows from the tracker store (all, or those with id <= up_to)."""
    deleted = 0
    for chunk in _chunks([c for c in conversation_ids if c]):
        names = {f"c{i}": c for i, c in enumerate(chunk)}
        where = f"sender_id IN ({', '.join(':' + n for n in names)})"
        if up_to is not None:
            where += " AND id <= :up_to"
            names["up_to"] = up_to
        deleted += _on_events(settings, f"DELETE FROM events WHERE {where}", names, where=where)
    return deleted


def count_events(settings, conversation_ids: Sequence[str]) -> int:
    counted = 0
    for chunk in _chunks(list(conversation_ids)):
        names = {f"c{i}": c for i, c in enumerate(chunk)}
        counted += _on_events(settings, f"SELECT COUNT(*) FROM events WHERE sender_id IN "
                                        f"({', '.join(':' + n for n in names)})", names)
    return counted


def last_event_id(settings) -> int:
    return _on_events(settings, "SELECT COALESCE(MAX(id), 0) FROM events", {})


# --- what is due -----------------------------------------------------------------------------

@dataclass
class Plan:
    now: dt.datetime
    ticket_days: float
    conversation_days: float
    conversations: List[str] = field(default_factory=list)
    with_tickets: int = 0
    tickets: int = 0
    phones: int = 0
    replies: int = 0
    events: int = 0
    unmatched: int = 0

    def summary(self) -> str:
        return (f"保存期限：工单办结后 {self.ticket_days:g} 天，无工单的会话 {self.conversation_days:g} 天。\n"
                f"到期会话 {len(self.conversations)} 个（其中有工单的 {self.with_tickets} 个）：\n"
                f"  删除聊天记录事件 {self.events} 条、工作人员回复 {self.replies} 条；\n"
                f"  匿名化工单 {self.tickets} 张（清除联系电话 {self.phones} 个、诉求与处理结果文字）；\n"
                f"  未匹配提问 {self.unmatched} 条保留打码文字，会话编号换成匿名编号；\n"
                f"  统计数字不变，查看号码的审计记录保留。")


def _activity(db: Session, ids: Sequence[str]) -> Tuple[Dict[str, dt.datetime], Set[str], Dict[str, dt.datetime]]:
    """Per conversation: last activity, whether a ticket is open, when its last ticket closed."""
    last: Dict[str, dt.datetime] = {}
    open_: Set[str] = set()
    closed: Dict[str, dt.datetime] = {}

    def seen(conv: str, at: Optional[dt.datetime]) -> None:
        if at is not None and (conv not in last or at > last[conv]):
            last[conv] = at

    C, T, R, U = models.ConversationStat, models.Ticket, models.Rating, models.Unmatched
    for chunk in _chunks(list(ids)):
        for conv, at in db.execute(select(C.conversation_id, C.last_at).where(C.conversation_id.in_(chunk))):
            seen(conv, at)
        for conv, status, created, resolved in db.execute(
                select(T.conversation_id, T.status, T.created_at, T.resolved_at).where(T.conversation_id.in_(chunk))):
            seen(conv, resolved or created)
            if status != TicketStatus.RESOLVED or resolved is None:
                open_.add(conv)
            elif conv not in closed or resolved > closed[conv]:
                closed[conv] = resolved
        for model in (R, U):
            for conv, at in db.execute(select(model.conversation_id, func.max(model.created_at))
                                       .where(model.conversation_id.in_(chunk)).group_by(model.conversation_id)):
                seen(conv, at)
    return last, open_, closed


def due(db: Session, now: Optional[dt.datetime] = None) -> Plan:
    """What the retention job would remove now."""
    now = now or utcnow()
    ticket_days, conversation_days = env.retention_days()
    quiet = now - dt.timedelta(days=conversation_days)
    closed_before = now - dt.timedelta(days=ticket_days)
    C, T, R, U = models.ConversationStat, models.Ticket, models.Rating, models.Unmatched
    not_anon = lambda column: ~column.startswith(ANON_PREFIX)  # noqa: E731
    candidates: Set[str] = set()
    candidates.update(db.execute(select(C.conversation_id).where(C.last_at < quiet, not_anon(C.conversation_id))).scalars())
    candidates.update(db.execute(select(T.conversation_id).where(T.created_at < quiet, not_anon(T.conversation_id))).scalars())
    for model in (R, U):
        candidates.update(db.execute(select(model.conversation_id).where(
            model.created_at < quiet, not_anon(model.conversation_id))).scalars())
    last, open_, closed = _activity(db, sorted(candidates))
    plan = Plan(now=now, ticket_days=ticket_days, conversation_days=conversation_days)
    for conv in sorted(candidates):
        if conv in open_ or last.get(conv, now) >= quiet:
            continue
        if conv in closed and closed[conv] >= closed_before:
            continue
        plan.conversations.append(conv)
        plan.with_tickets += conv in closed
    _measure(db, plan)
    return plan


def _measure(db: Session, plan: Plan) -> None:
    T, U = models.Ticket, models.Unmatched
    for chunk in _chunks(plan.conversations):
        tickets = list(db.execute(select(T.number, T.contact_phone).where(T.conversation_id.in_(chunk))).all())
        plan.tickets += len(tickets)
        plan.phones += sum(1 for _, phone in tickets if phone)
        numbers = [n for n, _ in tickets]
        if numbers:
            plan.replies += db.execute(select(func.count()).select_from(models.StaffReply)
                                       .where(models.StaffReply.ticket_number.in_(numbers))).scalar_one()
        plan.unmatched += db.execute(select(func.count()).select_from(U).where(U.conversation_id.in_(chunk))).scalar_one()


# --- forgetting ------------------------------------------------------------------------------

def forget_rows(db: Session, conversation_ids: Sequence[str]) -> Dict[str, str]:
    """Anonymise the hall's rows of these conversations (no commit); returns id -> token."""
    T = models.Ticket
    tokens: Dict[str, str] = {}
    for conv in conversation_ids:
        new = tokens[conv] = token()
        numbers = list(db.execute(select(T.number).where(T.conversation_id == conv)).scalars())
        if numbers:
            db.execute(delete(models.StaffReply).where(models.StaffReply.ticket_number.in_(numbers)))
        db.execute(update(T).where(T.conversation_id == conv).values(
            conversation_id=new, description="", contact_phone=None, reason=None, resolution=None))
        db.execute(update(models.Rating).where(models.Rating.conversation_id == conv).values(conversation_id=new))
        for row in db.execute(select(models.Unmatched).where(models.Unmatched.conversation_id == conv)).scalars():
            row.conversation_id, row.text = new, mask_text(row.text or "")
        db.execute(update(models.ConversationStat).where(models.ConversationStat.conversation_id == conv)
                   .values(conversation_id=new, last_question=None, last_matter=None))
    return tokens


def run(sessions: sessionmaker, settings, dry_run: bool = False, now: Optional[dt.datetime] = None,
        actor: Optional[str] = None, catch_up: Optional[Callable[[], object]] = None) -> Plan:
    """Count what is due (dry run) or remove it. ``catch_up`` (the event follower's, bot.hall.stats)
    brings the figures up to date first, so no conversation is deleted before it is counted."""
    if catch_up is not None:
        try:
            catch_up()
        except SQLAlchemyError as exc:
            log.info("retention: events not followed: %s", str(exc).splitlines()[0][:160])
    with sessions() as db:
        plan = due(db, now)
        plan.events = count_events(settings, plan.conversations) if plan.conversations else 0
        if dry_run or not plan.conversations:
            return plan
        for chunk in _chunks(plan.conversations):
            forget_rows(db, chunk)
            db.commit()
            delete_events(settings, chunk)
        audit(db, actor, "retention", "", f"匿名化会话 {len(plan.conversations)} 个、工单 {plan.tickets} 张，"
                                          f"删除聊天记录事件 {plan.events} 条")
        db.commit()
    return plan


def erase(sessions: sessionmaker, settings, conversation_id: str) -> dict:
    """A citizen's request to delete their conversation now."""
    ticket_days, _ = env.retention_days()
    with sessions() as db:
        open_tickets = list(db.execute(select(models.Ticket).where(
            models.Ticket.conversation_id == conversation_id,
            models.Ticket.status != TicketStatus.RESOLVED.value)).scalars())
        if open_tickets:
            due_at = max((t.due_at for t in open_tickets if t.due_at), default=None)
            return {"erased": False, "open_tickets": [t.number for t in open_tickets],
                    "retention_days": ticket_days, "ticket_due_at": iso(due_at),
                    "message": f"您有工单尚未办结（{'、'.join(t.number for t in open_tickets)}），"
                               f"聊天记录和联系方式将在工单办结 {ticket_days:g} 天后自动删除。"}
        db.add(models.Erasure(conversation_id=conversation_id, requested_at=utcnow(),
                              after_event_id=last_event_id(settings)))
        tickets = db.execute(select(func.count()).select_from(models.Ticket)
                             .where(models.Ticket.conversation_id == conversation_id)).scalar_one()
        forget_rows(db, [conversation_id])
        audit(db, None, "erase", "", f"群众申请删除会话记录（涉及工单 {tickets} 张）")
        db.commit()
    events = delete_events(settings, [conversation_id])
    return {"erased": True, "open_tickets": [], "events_deleted": events, "tickets_anonymised": tickets,
            "message": "您的聊天记录和联系方式已删除。"}


def finish_erasure(db: Session, settings, erasure: models.Erasure, up_to: Optional[int]) -> None:
    """After the turn that asked for it: delete what that turn wrote (no commit)."""
    conv = erasure.conversation_id
    if conv:
        # The erasure's own turn, which the follower counted under the old id after the request
        # (the conversation itself is counted under its anonymous token): not a conversation.
        db.execute(delete(models.ConversationStat).where(models.ConversationStat.conversation_id == conv))
        forget_rows(db, [conv])
        delete_events(settings, [conv], up_to=up_to)
    erasure.done_at, erasure.conversation_id = utcnow(), None


async def daily(state) -> None:
    """The hall's background job: run retention every ONETRIP_RETENTION_INTERVAL_HOURS."""
    hours = env.retention_interval_hours()
    if not hours:
        return
    await asyncio.sleep(60)  # let the hall start serving first
    while True:
        try:
            follower = getattr(state, "follower", None)
            plan = await asyncio.to_thread(run, state.sessions, state.settings,
                                           catch_up=follower.catch_up if follower else None)
            if plan.conversations:
                log.info("retention: %d conversations anonymised", len(plan.conversations))
        except Exception:
            log.exception("retention job failed; retrying at the next interval")
        await asyncio.sleep(hours * 3600)
