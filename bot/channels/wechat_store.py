"""The WeChat channel's durable state: inbound de-duplication, the outbox, the shared access token.

One database (ONETRIP_WECHAT_DB; SQLite in var/wechat.db by default, PostgreSQL when several Rasa
servers share the work). Only portable SQL: INSERT that may hit the primary key, and conditional
UPDATEs whose row count says who won, so two servers never claim the same row.

All calls are blocking; the channel runs them in a worker thread (`asyncio.to_thread`).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from sqlalchemy import (
    Column, Float, Index, Integer, MetaData, String, Table, Text, delete,
    insert, select, update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, ProgrammingError

from bot import db

PROCESSING, PASSIVE, ASYNC = "processing", "passive", "async"
PENDING, SENT, FAILED = "pending", "sent", "failed"

metadata = MetaData()

inbound = Table(
    "wechat_inbound",
    metadata,
    Column("key", String(160), primary_key=True),  # msg:<MsgId> or evt:<openid>:<CreateTime>:<event>
    Column("openid", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # processing | passive | async
    Column("reply", Text, nullable=True),  # the passive reply's text, replayed to a retry
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)
Index("ix_wechat_inbound_created", inbound.c.created_at)

outbox = Table(
    "wechat_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("openid", String(64), nullable=False),
    Column("payload", Text, nullable=False),  # the JSON body of /cgi-bin/message/custom/send
    Column("status", String(16), nullable=False, default=PENDING),  # pending | sent | failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", Float, nullable=False),
    Column("locked_until", Float, nullable=True),  # a sender's claim; expires if it dies
    Column("last_error", Text, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("sent_at", Float, nullable=True),
)
Index("ix_wechat_outbox_due", outbox.c.status, outbox.c.id)

choices = Table(
    "wechat_choices",
    metadata,
    Column("openid", String(64), primary_key=True),
    Column("payloads", Text, nullable=False),  # JSON list: what "1", "2", … stand for
    Column("offered_at", Float, nullable=False),
)

# Signed requests seen (signature+timestamp+nonce, with a digest of the body): in plaintext mode
# the signature does not cover the body, so a captured URL could carry another body while its
# timestamp is fresh. The same triple is accepted again only with the same body (WeChat's retry).
nonces = Table(
    "wechat_nonces",
    metadata,
    Column("key", String(64), primary_key=True),  # sha256 of signature|timestamp|nonce
    Column("body", String(64), nullable=False),   # sha256 of the body
    Column("seen_at", Float, nullable=False),
)
Index("ix_wechat_nonces_seen", nonces.c.seen_at)

tokens = Table(
    "wechat_token",
    metadata,
    Column("app_id", String(64), primary_key=True),
    Column("access_token", Text, nullable=False),
    Column("expires_at", Float, nullable=False),
)


def default_db_url() -> str:
    from bot.settings import wechat_db_url

    return wechat_db_url()


def make_engine(url: str) -> Engine:
    return db.make_engine(url, pool_size=5, max_overflow=10, pragmas=("journal_mode=WAL", "busy_timeout=30000"))


@dataclass
class Inbound:
    key: str
    status: str
    reply: Optional[str]


@dataclass
class OutboxRow:
    id: int
    openid: str
    payload: Dict[str, Any]
    attempts: int
    created_at: float


def create_tables(engine, attempts: int = 5) -> None:
    """CREATE TABLE IF NOT EXISTS, safe when several Rasa servers start together on PostgreSQL:
    the loser of the race sees "already exists" and simply checks again."""
    for attempt in range(attempts):
        try:
            metadata.create_all(engine)
            return
        except (ProgrammingError, IntegrityError):
            if attempt == attempts - 1:
                raise
            time.sleep(0.2 * (attempt + 1))


class WeChatStore:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        create_tables(self.engine)

    # -- inbound de-duplication -------------------------------------------------------------

    def claim(self, key: str, openid: str) -> bool:
        """True for the first delivery of this key; False for WeChat's retries of it."""
        now = time.time()
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(inbound).values(
                    key=key, openid=openid, status=PROCESSING, reply=None, created_at=now, updated_at=now))
            return True
        except IntegrityError:
            return False

    def first_use(self, signed: str, body: str, keep_seconds: float) -> bool:
        """True when this signed request (digest `signed`) is new, or a retry with the same body
        digest; False for a replay with another body. Records older than `keep_seconds` go."""
        now = time.time()
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(nonces).values(key=signed, body=body, seen_at=now))
            if int(now) % 16 == 0:
                with self.engine.begin() as conn:
                    conn.execute(delete(nonces).where(nonces.c.seen_at < now - keep_seconds))
            return True
        except IntegrityError:
            with self.engine.connect() as conn:
                row = conn.execute(select(nonces.c.body, nonces.c.seen_at).where(nonces.c.key == signed)).first()
            if row is None:
                return True
            if row.seen_at < now - keep_seconds:  # an old record not yet pruned: take it over
                with self.engine.begin() as conn:
                    conn.execute(update(nonces).where(nonces.c.key == signed).values(body=body, seen_at=now))
                return True
            return row.body == body

    def finish(self, key: str, status: str, reply: Optional[str] = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(inbound).where(inbound.c.key == key).values(
                status=status, reply=reply, updated_at=time.time()))

    def inbound(self, key: str) -> Optional[Inbound]:
        with self.engine.connect() as conn:
            row = conn.execute(select(inbound.c.key, inbound.c.status, inbound.c.reply)
                               .where(inbound.c.key == key)).first()
        return Inbound(row.key, row.status, row.reply) if row else None

    def prune(self, inbound_days: float = 3, sent_days: float = 7) -> None:
        now = time.time()
        with self.engine.begin() as conn:
            conn.execute(delete(inbound).where(inbound.c.created_at < now - inbound_days * 86400))
            conn.execute(delete(outbox).where(outbox.c.status == SENT,
                                              outbox.c.created_at < now - sent_days * 86400))

    # -- outbox ---------------------------------------------------------------------------------

    def enqueue(self, openid: str, payloads: List[Dict[str, Any]]) -> List[int]:
        """Add messages in order, in one transaction; their ids."""
        now = time.time()
        ids = []
        with self.engine.begin() as conn:
            for payload in payloads:
                result = conn.execute(insert(outbox).values(
                    openid=openid, payload=json.dumps(payload, ensure_ascii=False), status=PENDING,
                    attempts=0, next_attempt_at=now, locked_until=None, last_error=None,
                    created_at=now, sent_at=None))
                ids.append(int(result.inserted_primary_key[0]))
        return ids

    def claim_due(self, lease: float = 60.0, limit: int = 200) -> List[OutboxRow]:
        """The oldest pending message of each citizen, if due and not claimed by another sender.

        Later messages of a citizen wait for the earlier ones, so they arrive in order.
        """
        now = time.time()
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(outbox).where(outbox.c.status == PENDING).order_by(outbox.c.id).limit(limit)
            ).fetchall()
        first: Dict[str, Any] = {}
        for row in rows:
            first.setdefault(row.openid, row)
        claimed: List[OutboxRow] = []
        for row in first.values():
            if row.next_attempt_at > now or (row.locked_until and row.locked_until > now):
                continue
            with self.engine.begin() as conn:
                won = conn.execute(
                    update(outbox)
                    .where(outbox.c.id == row.id, outbox.c.status == PENDING,
                           outbox.c.attempts == row.attempts)
                    .values(locked_until=now + lease)
                ).rowcount
            if won == 1:
                claimed.append(OutboxRow(row.id, row.openid, json.loads(row.payload), row.attempts, row.created_at))
        return claimed

    def mark_sent(self, row_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(outbox).where(outbox.c.id == row_id).values(
                status=SENT, sent_at=time.time(), locked_until=None, last_error=None))

    def mark_retry(self, row_id: int, attempts: int, delay: float, error: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(outbox).where(outbox.c.id == row_id).values(
                attempts=attempts, next_attempt_at=time.time() + delay, locked_until=None,
                last_error=error[:500]))

    def mark_failed(self, row_id: int, attempts: int, error: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(outbox).where(outbox.c.id == row_id).values(
                status=FAILED, attempts=attempts, locked_until=None, last_error=error[:500]))

    def outbox_counts(self) -> Dict[str, int]:
        from sqlalchemy import func

        with self.engine.connect() as conn:
            rows = conn.execute(select(outbox.c.status, func.count()).group_by(outbox.c.status)).fetchall()
        return {status: count for status, count in rows}

    def next_due_in(self) -> Optional[float]:
        from sqlalchemy import func

        with self.engine.connect() as conn:
            due = conn.execute(select(func.min(outbox.c.next_attempt_at)).where(outbox.c.status == PENDING)).scalar()
        return None if due is None else max(0.0, due - time.time())

    # -- numbered choices (buttons rendered as "回复序号") ------------------------------------------

    def offer_choices(self, openid: str, payloads: List[str]) -> None:
        self._upsert(choices.c.openid, openid,
                     dict(payloads=json.dumps(payloads, ensure_ascii=False), offered_at=time.time()))

    def take_choice(self, openid: str, number: Optional[int], max_age: float) -> Optional[str]:
        """The payload behind the number the citizen sent; any message ends the offer."""
        with self.engine.begin() as conn:
            row = conn.execute(select(choices.c.payloads, choices.c.offered_at)
                               .where(choices.c.openid == openid)).first()
            if row is None:
                return None
            conn.execute(delete(choices).where(choices.c.openid == openid))
        if number is None or time.time() - row.offered_at > max_age:
            return None
        payloads = json.loads(row.payloads)
        return payloads[number - 1] if 1 <= number <= len(payloads) else None

    # -- the access token, shared by every server of this account --------------------------------

    def stored_token(self, app_id: str) -> Optional[tuple]:
        with self.engine.connect() as conn:
            row = conn.execute(select(tokens.c.access_token, tokens.c.expires_at)
                               .where(tokens.c.app_id == app_id)).first()
        return (row.access_token, row.expires_at) if row else None

    def store_token(self, app_id: str, token: str, expires_at: float) -> None:
        self._upsert(tokens.c.app_id, app_id, dict(access_token=token, expires_at=expires_at))

    def forget_token(self, app_id: str, token: str) -> None:
        """Drop the stored token if it is still the one that WeChat refused."""
        with self.engine.begin() as conn:
            conn.execute(delete(tokens).where(tokens.c.app_id == app_id, tokens.c.access_token == token))

    def _upsert(self, key: Column, value: str, values: Dict[str, Any]) -> None:
        """Set `values` on the row whose `key` is `value`, creating it if there is none (portable:
        SQLite and PostgreSQL alike)."""
        table = key.table
        with self.engine.begin() as conn:
            if conn.execute(update(table).where(key == value).values(**values)).rowcount:
                return
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(table).values({key.name: value, **values}))
        except IntegrityError:  # another server created it meanwhile; ours is newer
            with self.engine.begin() as conn:
                conn.execute(update(table).where(key == value).values(**values))

    def close(self) -> None:
        self.engine.dispose()
