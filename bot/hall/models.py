"""Database tables of the hall. Times are naive UTC (see db.utcnow)."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Integer,
    LargeBinary,
    String,
    Text,
    Index,
)
from sqlalchemy.orm import declarative_base
from sqlalchemy.types import TypeDecorator

from bot.vocabulary import QuestionKind, TicketStatus

Base = declarative_base()


class _Storable(TypeDecorator):
    """Text as every database stores it: a NUL character (PostgreSQL refuses it; no one types it on
    purpose) becomes U+FFFD, so a message or ticket holding one is kept, never a 500."""

    cache_ok = True

    def process_bind_param(self, value, dialect):
        return value.replace("\x00", "\ufffd") if isinstance(value, str) else value


class StorableText(_Storable):
    impl = Text
    cache_ok = True  # SQLAlchemy reads it from each class's own namespace, not from the base


class StorableString(_Storable):
    impl = String
    cache_ok = True


class Department(Base):
    __tablename__ = "departments"
    code = Column(StorableString(40), primary_key=True)
    name = Column(StorableString(200), nullable=False)
    note = Column(StorableText, nullable=False, default="")
    phone = Column(StorableString(80), nullable=False, default="")


class Matter(Base):
    """One guide of the catalogue (matter or bundle); ``data`` is the whole guide as JSON."""

    __tablename__ = "matters"
    code = Column(StorableString(100), primary_key=True)
    name = Column(StorableString(300), nullable=False)
    department = Column(StorableString(40), nullable=False, index=True)
    kind = Column(StorableString(20), nullable=False)
    summary = Column(StorableText, nullable=False, default="")
    visits = Column(Integer, nullable=False, default=1)
    search_text = Column(StorableText, nullable=False, default="")  # name, aliases, keywords for substring search
    data = Column(StorableText, nullable=False)


class Meta(Base):
    """Small key/value facts, e.g. the fingerprint of the imported catalogue."""

    __tablename__ = "hall_meta"
    key = Column(StorableString(60), primary_key=True)
    value = Column(StorableText, nullable=False)


class User(Base):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    username = Column(StorableString(80), nullable=False, unique=True)
    password_hash = Column(StorableString(300), nullable=False)
    role = Column(StorableString(20), nullable=False)
    department = Column(StorableString(40), nullable=True)
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(DateTime, nullable=False)
    # The name a citizen reads when this person answers ("王警官"); never the login name.
    display_name = Column(StorableString(80), nullable=True)
    # Sessions end server-side: every token and cookie carries the generation it was issued in;
    # logout and a password reset increment it (bot.hall.auth).
    session_gen = Column(Integer, nullable=False, default=0, server_default="0")
    last_login_at = Column(DateTime, nullable=True)
    # Shown to the owner once, on the next console page (failed logins since the last one).
    login_notice = Column(StorableText, nullable=True)


class LoginFailure(Base):
    """One failed login, counted per account and per address by every replica (bot.hall.auth)."""

    __tablename__ = "login_failures"
    id = Column(Integer, primary_key=True)
    at = Column(DateTime, nullable=False, index=True)
    username = Column(StorableString(80), nullable=False, index=True)  # as typed, lower-cased
    ip = Column(StorableString(80), nullable=False, index=True)


class TicketCounter(Base):
    """The last ticket number of each day; the row lock makes numbering race-safe."""

    __tablename__ = "ticket_counters"
    day = Column(StorableString(8), primary_key=True)
    last = Column(Integer, nullable=False)


class Ticket(Base):
    __tablename__ = "tickets"
    id = Column(Integer, primary_key=True)
    number = Column(StorableString(20), nullable=False, unique=True)
    idempotency_key = Column(StorableString(200), nullable=False, unique=True)
    kind = Column(StorableString(20), nullable=False, index=True)
    status = Column(StorableString(20), nullable=False, default=TicketStatus.OPEN.value, index=True)
    department = Column(StorableString(40), nullable=False, index=True)
    matter = Column(StorableString(100), nullable=True)
    # 兜底 and 好差评 tickets are filed under the 政务服务办's own matters (zwfw.fallback,
    # zwfw.feedback); the matter they are about (the one not done, the one rated) is kept here.
    about_matter = Column(StorableString(100), nullable=True)
    conversation_id = Column(StorableString(200), nullable=False, index=True)
    channel = Column(StorableString(60), nullable=False, default="")
    description = Column(StorableText, nullable=False, default="")
    region = Column(StorableString(100), nullable=True)
    contact_phone = Column(StorableString(40), nullable=True)
    consent = Column(Boolean, nullable=False, default=False)
    rating = Column(Integer, nullable=True)
    reason = Column(StorableText, nullable=True)
    created_at = Column(DateTime, nullable=False, index=True)
    due_at = Column(DateTime, nullable=True)
    promised_response = Column(StorableText, nullable=False, default="")
    first_response_at = Column(DateTime, nullable=True)
    resolved_at = Column(DateTime, nullable=True)
    resolution = Column(StorableText, nullable=True)
    # Human mode: who answers the citizen now (a display name), since when; None: the bot does.
    human_by = Column(StorableString(80), nullable=True)
    human_since = Column(DateTime, nullable=True)
    # Handoff queue: the place last told to the citizen and when (None: not waiting for a place,
    # e.g. a call back out of hours). In the database so that any hall replica tells each move once.
    last_told_position = Column(Integer, nullable=True)
    last_told_at = Column(DateTime, nullable=True)


class StaffReply(Base):
    """A staff message to a citizen; kept when Rasa is unreachable so it can be retried."""

    __tablename__ = "staff_replies"
    id = Column(Integer, primary_key=True)
    ticket_number = Column(StorableString(20), nullable=False, index=True)
    author = Column(StorableString(80), nullable=False)
    text = Column(StorableText, nullable=False)
    status = Column(StorableString(20), nullable=False, default="pending")  # pending | sent | failed
    error = Column(StorableText, nullable=True)
    created_at = Column(DateTime, nullable=False)
    sent_at = Column(DateTime, nullable=True)


class Attachment(Base):
    """A photo or PDF of a ticket, from the citizen (widget, WeChat) or staff. Kept in the database,
    served only to staff of the ticket's department, never from a public URL."""

    __tablename__ = "attachments"
    id = Column(Integer, primary_key=True)
    ticket_number = Column(StorableString(20), nullable=False, index=True)
    name = Column(StorableString(200), nullable=False)
    content_type = Column(StorableString(60), nullable=False)
    size = Column(Integer, nullable=False)
    data = Column(LargeBinary, nullable=True)  # None: only a remote reference (a WeChat PicUrl)
    source_url = Column(StorableText, nullable=True)
    uploaded_by = Column(StorableString(20), nullable=False)  # citizen | staff
    author = Column(StorableString(80), nullable=True)  # the staff member's login, for staff uploads
    created_at = Column(DateTime, nullable=False)


class Rating(Base):
    __tablename__ = "ratings"
    id = Column(Integer, primary_key=True)
    idempotency_key = Column(StorableString(200), nullable=False, unique=True)
    conversation_id = Column(StorableString(200), nullable=False, index=True)
    level = Column(Integer, nullable=False)
    matter = Column(StorableString(100), nullable=True)
    ticket = Column(StorableString(20), nullable=True)
    channel = Column(StorableString(60), nullable=False, default="")
    created_at = Column(DateTime, nullable=False)


class Unmatched(Base):
    """A question the bot could not place (kind unmatched) or placed wrongly (kind wrong: a 差评 or a
    "不是这个" right after a matched answer; ``matter`` is what it was matched to). ``review`` is
    what a supervisor did with it (bot.vocabulary.ReviewOutcome, with the target after a colon)."""

    __tablename__ = "unmatched"
    id = Column(Integer, primary_key=True)
    conversation_id = Column(StorableString(200), nullable=False, index=True)
    text = Column(StorableText, nullable=False)
    channel = Column(StorableString(60), nullable=False, default="")
    created_at = Column(DateTime, nullable=False, index=True)
    kind = Column(StorableString(20), nullable=False, default=QuestionKind.UNMATCHED.value)
    matter = Column(StorableString(100), nullable=True)
    review = Column(StorableString(160), nullable=True)
    reviewed_at = Column(DateTime, nullable=True)


class ConversationStat(Base):
    """One citizen conversation (a Rasa sender id), filled by the hall's event follower
    (bot.hall.stats). The figures are counted from these rows, so deleting a transcript from the
    tracker store (retention, a citizen's erasure) changes no figure: the row stays, with its
    conversation id replaced by an anonymous token and the remembered question cleared."""

    __tablename__ = "conversation_stats"
    conversation_id = Column(StorableString(200), primary_key=True)
    day = Column(StorableString(10), nullable=False, index=True)  # local (Asia/Shanghai) date of the first message
    department = Column(StorableString(40), nullable=True, index=True)  # of the first matter the bot placed
    channel = Column(StorableString(60), nullable=False, default="")
    first_at = Column(DateTime, nullable=False)
    last_at = Column(DateTime, nullable=False, index=True)
    user_messages = Column(Integer, nullable=False, default=0)
    handed = Column(Boolean, nullable=False, default=False)  # paused for a person (human mode)
    last_question = Column(StorableText, nullable=True)  # the last matched question, for "不是这个" / 差评
    last_matter = Column(StorableString(100), nullable=True)


class ApprovedAnswer(Base):
    """A staff reply saved as the approved answer to a citizen's question; the bot serves it."""

    __tablename__ = "approved_answers"
    id = Column(Integer, primary_key=True)
    question = Column(StorableText, nullable=False)
    answer = Column(StorableText, nullable=False)
    department = Column(StorableString(40), nullable=False, index=True)
    ticket_number = Column(StorableString(20), nullable=True)
    author = Column(StorableString(80), nullable=False)
    created_at = Column(DateTime, nullable=False)
    withdrawn_at = Column(DateTime, nullable=True)
    withdrawn_by = Column(StorableString(80), nullable=True)


class Erasure(Base):
    """A citizen's request to delete their conversation. The hall deletes at once, and once more
    when the follower sees the end of that turn (Rasa saves the turn's events after the action)."""

    __tablename__ = "erasures"
    id = Column(Integer, primary_key=True)
    conversation_id = Column(StorableString(200), nullable=True, index=True)  # cleared when done
    requested_at = Column(DateTime, nullable=False)
    after_event_id = Column(Integer, nullable=False, default=0)
    done_at = Column(DateTime, nullable=True)


class AuditEntry(Base):
    __tablename__ = "audit_log"
    id = Column(Integer, primary_key=True)
    at = Column(DateTime, nullable=False, index=True)
    username = Column(StorableString(80), nullable=True)
    action = Column(StorableString(40), nullable=False)
    target = Column(StorableString(200), nullable=True)
    detail = Column(StorableText, nullable=True)
    ip = Column(StorableString(80), nullable=True)


Index("ix_tickets_status_department", Ticket.status, Ticket.department)
