"""One reader of Rasa's SQL ``events`` table, for the hall's two followers of it.

Rasa's SQL tracker store keeps every event in ``events`` (columns id, sender_id, data as JSON
text); Rasa's SQL event broker writes a table of the same shape. Rows are only ever appended (and
bot.hall.retention keeps the newest id as a tombstone), so reading after the last id seen misses
nothing. Two followers read it, each with its own cursor semantics:

* live updates (bot.hall.events.EventHub): an in-memory id from the end of the table, at most once;
* the figures (bot.hall.stats.ConversationFollower): a durable cursor in ``hall_meta`` under a
  row lock, so two halls on one database never count an event twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.db import make_engine

log = logging.getLogger(__name__)

# Reading beside the tracker store's WAL writer: wait for its locks, never fail on them.
READ_BESIDE_WRITER = ("busy_timeout=30000",)

Row = Tuple[int, str, str]  # id, sender_id, data


def is_amqp(url: str) -> bool:
    return url.startswith(("amqp://", "amqps://"))


def sql_events_url(settings) -> str:
    """The SQL table of Rasa's events: ONETRIP_EVENTS_URL, or the tracker store's when events go
    to RabbitMQ."""
    return settings.tracker_url if is_amqp(settings.events_url) else settings.events_url


def events_engine(url: str, **kwargs: Any) -> Engine:
    """An engine on a database holding Rasa's events (the pragmas apply to SQLite only)."""
    return make_engine(url, pragmas=READ_BESIDE_WRITER, **kwargs)


def decode(data: Any) -> Optional[Dict[str, Any]]:
    """One row's event, or None when its data is not a JSON object."""
    try:
        event = json.loads(data)
    except (TypeError, ValueError):
        return None
    return event if isinstance(event, dict) else None


class EventsTable:
    """Rasa's events table at one URL, its engine opened on first use."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: Optional[Engine] = None

    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = events_engine(self.url)
        return self._engine

    def last_id(self) -> int:
        """The newest row's id (0 when empty): where a follower that wants no history starts."""
        with self.engine().connect() as conn:
            return conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM events")).scalar() or 0

    def rows_after(self, last_id: int, limit: int) -> List[Row]:
        """At most `limit` rows with an id above `last_id`, oldest first."""
        with self.engine().connect() as conn:
            return conn.execute(
                text("SELECT id, sender_id, data FROM events WHERE id > :last ORDER BY id LIMIT :n"),
                {"last": last_id, "n": limit},
            ).fetchall()

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


async def poll_forever(step: Callable[[], Awaitable[Any]], interval: Callable[[], float], what: str) -> None:
    """Run `step` every `interval()` seconds until cancelled. While Rasa has not created the table
    yet (or its database is down) that is said once, not at every step; other errors are logged
    and the loop goes on."""
    warned = False
    while True:
        try:
            await step()
            warned = False
        except SQLAlchemyError as exc:
            if not warned:
                log.info("%s: events table not readable yet: %s", what, str(exc).splitlines()[0][:160])
                warned = True
        except Exception:
            log.exception("%s: event follower error", what)
        await asyncio.sleep(interval())
