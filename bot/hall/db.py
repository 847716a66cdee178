"""Engine, sessions and migrations. SQLite in var/ by default, PostgreSQL by DATABASE_URL."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.db import make_engine as _make_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def utcnow() -> datetime:
    """Naive UTC: stored the same way on SQLite and PostgreSQL."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def make_engine(url: str) -> Engine:
    """The hall's engine (bot.db: WAL lets the console read while the bot writes)."""
    return _make_engine(url)


def make_sessionmaker(engine: Engine) -> sessionmaker:
    return sessionmaker(bind=engine, future=True, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker) -> Iterator[Session]:
    session = factory()
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


def upgrade(engine: Engine) -> None:
    """alembic upgrade head, programmatically, on the given engine."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    migrating = _transactional_sqlite(engine) if engine.dialect.name == "sqlite" else engine
    try:
        with migrating.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        if migrating is not engine:
            migrating.dispose()


def _transactional_sqlite(engine: Engine) -> Engine:
    """An engine whose transactions include DDL: pysqlite commits before CREATE/ALTER on its own,
    so a migration stopped half-way (a full disk) would leave tables without alembic_version and
    every later start would fail on "table already exists". SQLAlchemy's documented recipe:
    no implicit transactions from the driver, an explicit BEGIN from SQLAlchemy."""
    migrating = _make_engine(str(engine.url), pragmas=("busy_timeout=30000", "foreign_keys=ON"))

    @event.listens_for(migrating, "connect")
    def _connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None

    @event.listens_for(migrating, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return migrating
