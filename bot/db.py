"""One SQLAlchemy engine factory for every database OneTrip opens: the hall's, the WeChat
channel's store, the events the hall follows and Rasa's tracker store on SQLite.

SQLite (the embedded default) gets the same settings everywhere: WAL, so readers never wait for
the writer; a 30 s busy timeout, so a writer waits for a lock instead of failing; the parent
folder created. Other databases (PostgreSQL) get a pre-pinged pool.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Sequence

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine

SQLITE_PRAGMAS = ("journal_mode=WAL", "busy_timeout=30000", "foreign_keys=ON")


def pragmas_on_connect(engine: Engine, *pragmas: str) -> None:
    """Run `PRAGMA <p>` for each of `pragmas` on every new connection of `engine`."""

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001
        cursor = dbapi_connection.cursor()
        for pragma in pragmas:
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()


def is_sqlite(url: str) -> bool:
    return str(url).startswith("sqlite")


def make_engine(url: str, *, pool_size: int = 10, max_overflow: int = 20,
                pragmas: Sequence[str] = SQLITE_PRAGMAS, **kwargs: Any) -> Engine:
    """An engine for `url` with OneTrip's settings (see the module's doc)."""
    if is_sqlite(url):
        path = str(url).split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # check_same_thread off: a pool hands a connection to one user at a time, and work may
        # move to a worker thread (sqlite3 is built thread-safe).
        connect_args: Dict[str, Any] = {"check_same_thread": False, "timeout": 30}
        engine = create_engine(url, future=True, connect_args=connect_args, **kwargs)
        if pragmas:
            pragmas_on_connect(engine, *pragmas)
        return engine
    return create_engine(url, future=True, pool_pre_ping=True, pool_size=pool_size, max_overflow=max_overflow,
                         **kwargs)
