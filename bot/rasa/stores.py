"""The tracker store and event broker of the embedded default (SQLite in var/), made to keep up.

- `WALSQLTrackerStore`: Rasa's SQLTrackerStore with SQLite in WAL mode (`synchronous=NORMAL`):
  a commit no longer waits for a full fsync while Rasa's event loop is blocked (12 ms → 0.02 ms
  per commit on this machine). A process crash loses nothing; a power cut may lose the last
  commits. Other databases (PostgreSQL in deploy/) are left as they are.
- `BatchedSQLEventBroker`: Rasa's SQLEventBroker commits one transaction per event on the event
  loop (about ten per citizen message). This one writes the events of one tracker save in one
  transaction on a single writer thread, in order. The events feed the staff console's live
  view; the tracker store, not the broker, is the record of the conversation.

Configured in endpoints.yml (`type: bot.rasa.stores.…`); importing this module also installs the
cached action-response validation (bot.rasa.validation).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
from typing import Any, Dict, List, Text

from rasa.core.brokers.sql import SQLEventBroker
from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Engine

from bot.rasa import validation

logger = logging.getLogger(__name__)
validation.install()


def use_wal(engine: Engine) -> None:
    """SQLite only: WAL journal, normal sync, and wait for locks instead of failing."""
    if engine.dialect.name != "sqlite":
        return

    @sa_event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    engine.dispose()  # connections opened before the listener reconnect with the pragmas


class WALSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        use_wal(self.engine)


class BatchedSQLEventBroker(SQLEventBroker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        use_wal(self.engine)
        self._pending: List[Dict[str, Any]] = []
        self._scheduled = False
        self._writer = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="event-writer")

    def publish(self, event: Dict[Text, Any]) -> None:
        self._pending.append(event)
        if self._scheduled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._flush()
            return
        self._scheduled = True
        loop.call_soon(self._flush)  # after the rest of this tracker save's publish() calls

    def _flush(self) -> None:
        batch, self._pending, self._scheduled = self._pending, [], False
        if batch:
            self._writer.submit(self._write, batch)

    def _write(self, batch: List[Dict[str, Any]]) -> None:
        try:
            with self.session_scope() as session:
                session.add_all(
                    [self.SQLBrokerEvent(sender_id=e.get("sender_id"), data=json.dumps(e)) for e in batch]
                )
                session.commit()
        except Exception:  # the console misses a live update; the tracker has the events
            logger.exception("event broker: could not write %d events", len(batch))

    async def close(self) -> None:
        self._flush()
        self._writer.shutdown(wait=True)
