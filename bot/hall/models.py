"""Database tables of the hall. Times are naive UTC (see db.utcnow)."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Index,
)
from sqlalchemy.orm import declarative_base

from bot.vocabulary import TicketStatus

Base = declarative_base()


class Department(Base):
    __tablename__ = "departments"
    code = Column(String(40), primary_key=True)
    name = Column(String(200), nullable=False)
    note = Column(Text, nullable=False, default="")
    phone = Column(String(80), nullable=False, default="")


class Matter(Base):
    """One guide of the catalogue (matter or bundle); ``data`` is the whole guide as JSON."""

    __tablename__ = "matters"
    code = Column(String(100), primary_key=True)
    name = Column(String(300), nullable=False)
    department = Column(String(40), nullable=False, index=True)
    kind = Column(String(20), nullable=False)
    summary = Column(Text, nullable=False, default="")
    visits = Column(Integer, nullable=False, default=1)
    search_text = Column(Text, nullable=False, default="")  # name, aliases, keywords for substring search
    data = Column(Text, nullable=False)


class Meta(Base):
    """Small key/value facts, e.g. the fingerprint of the imported catalogue."""

    __tablename__ = "hall_meta"
    key = Column(String(60), primary_key=True)
    value = Column(Text, nullable=False)


class User(Base):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    username = Column(String(80), nullable=False, unique=True)
    password_hash = Column(String(300), nullable=False)
    role = Column(String(20), nullable=False)
    department = Column(String(40), nullable=True)
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(DateTime, nullable=False)


class TicketCounter(Base):
    """The last ticket number of each day; the row lock makes numbering race-safe."""

    __tablename__ = "ticket_counters"
    day = Column(String(8), primary_key=True)
    last = Column(Integer, nullable=False)


class Ticket(Base):
    __tablename__ = "tickets"
    id = Column(Integer, primary_key=True)
    number = Column(String(20), nullable=False, unique=True)
    idempotency_key = Column(String(200), nullable=False, unique=True)
    kind = Column(String(20), nullable=False, index=True)
    status = Column(String(20), nullable=False, default=TicketStatus.OPEN.value, index=True)
    department = Column(String(40), nullable=False, index=True)
    matter = Column(String(100), nullable=True)
    conversation_id = Column(String(200), nullable=False, index=True)
    channel = Column(String(60), nullable=False, default="")
    description = Column(Text, nullable=False, default="")
    region = Column(String(100), nullable=True)
    contact_phone = Column(String(40), nullable=True)
    consent = Column(Boolean, nullable=False, default=False)
    rating = Column(Integer, nullable=True)
    reason = Column(Text, nullable=True)
    created_at = Column(DateTime, nullable=False, index=True)
    due_at = Column(DateTime, nullable=True)
    promised_response = Column(Text, nullable=False, default="")
    first_response_at = Column(DateTime, nullable=True)
    resolved_at = Column(DateTime, nullable=True)
    resolution = Column(Text, nullable=True)


class StaffReply(Base):
    """A staff message to a citizen; kept when Rasa is unreachable so it can be retried."""

    __tablename__ = "staff_replies"
    id = Column(Integer, primary_key=True)
    ticket_number = Column(String(20), nullable=False, index=True)
    author = Column(String(80), nullable=False)
    text = Column(Text, nullable=False)
    status = Column(String(20), nullable=False, default="pending")  # pending | sent | failed
    error = Column(Text, nullable=True)
    created_at = Column(DateTime, nullable=False)
    sent_at = Column(DateTime, nullable=True)


class Rating(Base):
    __tablename__ = "ratings"
    id = Column(Integer, primary_key=True)
    idempotency_key = Column(String(200), nullable=False, unique=True)
    conversation_id = Column(String(200), nullable=False, index=True)
    level = Column(Integer, nullable=False)
    matter = Column(String(100), nullable=True)
    ticket = Column(String(20), nullable=True)
    channel = Column(String(60), nullable=False, default="")
    created_at = Column(DateTime, nullable=False)


class Unmatched(Base):
    __tablename__ = "unmatched"
    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(200), nullable=False)
    text = Column(Text, nullable=False)
    channel = Column(String(60), nullable=False, default="")
    created_at = Column(DateTime, nullable=False, index=True)


class AuditEntry(Base):
    __tablename__ = "audit_log"
    id = Column(Integer, primary_key=True)
    at = Column(DateTime, nullable=False, index=True)
    username = Column(String(80), nullable=True)
    action = Column(String(40), nullable=False)
    target = Column(String(200), nullable=True)
    detail = Column(Text, nullable=True)
    ip = Column(String(80), nullable=True)


Index("ix_tickets_status_department", Ticket.status, Ticket.department)
