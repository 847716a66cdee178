"""SQLite tuning for the tracker store of the embedded default.

- WAL journal with `synchronous=NORMAL`: a commit no longer waits for a full fsync while Rasa's
  event loop is blocked (12 ms → 0.02 ms per commit on these machines). A process crash loses
  nothing; a power cut may lose the last commits.
- A pool of open connections: SQLAlchemy 1.4 gives file SQLite a `NullPool`, so Rasa opened,
  set up and closed a connection for every session (several per citizen message).
Other databases (PostgreSQL in deploy/) are left as Rasa configures them.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlalchemy.pool import QueuePool

from bot.db import make_engine


def tuned_engine(engine: Engine) -> Engine:
    """The engine to use instead of `engine`: itself unless it is a file SQLite database."""
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return engine
    url = engine.url
    engine.dispose()
    # WAL journal, normal sync, and wait for locks instead of failing; Rasa's inherited methods
    # may run in a worker thread, which bot.db allows.
    return make_engine(str(url), poolclass=QueuePool, pool_size=4, max_overflow=4,
                       pragmas=("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=30000"))
