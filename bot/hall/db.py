"""Engine, sessions and migrations. SQLite in var/ by default, PostgreSQL by DATABASE_URL."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.db import make_engine as _make_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
MIGRATION_LOCK = 0x6F6E_6574_7269_70  # pg_advisory_xact_lock key of the hall's migrations ("onetrip")


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
            if connection.dialect.name == "postgresql":
                # Replicas starting together on a fresh database: one migrates, the others wait
                # here, then find head already reached. Transaction-scoped: released on commit,
                # rollback or a dropped connection, never left behind.
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
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


def migration_head() -> str:
    """The newest migration revision of this code."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def at_head(engine: Engine) -> bool:
    """Whether the database has every migration of this code (the release's Job has run)."""
    try:
        with engine.connect() as connection:
            current = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    except Exception:  # noqa: BLE001 - no table yet, or the database not reachable yet
        return False
    return migration_head() in current


def wait_for_head(url: str, timeout: float = 600.0, interval: float = 2.0) -> None:
    """Block until the migration Job of this release has brought the database to head (the hall
    pods' initContainer, deploy/k8s/hall.yaml); SystemExit(1) after `timeout` seconds."""
    import sys
    import time

    engine = _make_engine(url)
    deadline = time.monotonic() + timeout
    try:
        while not at_head(engine):
            if time.monotonic() > deadline:
                print(f"hall: database not at migration {migration_head()} after {timeout:.0f} s; "
                      "has this release's onetrip-hall-prepare Job run?", file=sys.stderr, flush=True)
                raise SystemExit(1)
            time.sleep(interval)
    finally:
        engine.dispose()
    print(f"hall: database at migration {migration_head()}", flush=True)
