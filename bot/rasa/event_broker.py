"""The event broker of the embedded default: Rasa's SQL broker, one transaction per tracker save.

Rasa's `SQLEventBroker` commits one transaction per event on the event loop (about ten per
citizen message). `BatchedSQLEventBroker` writes the events of one tracker save in one
transaction on a single writer thread, in order. The events feed the staff console's live view
(bot/hall/events.py); the tracker store, not the broker, is the record of the conversation.
Configured in endpoints.yml (`type: bot.rasa.event_broker.BatchedSQLEventBroker`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
from typing import Any, Dict, List, Text

import sqlalchemy.orm
from rasa.core.brokers.sql import SQLEventBroker

from bot.rasa.sqlite import tuned_engine

logger = logging.getLogger(__name__)


class BatchedSQLEventBroker(SQLEventBroker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.engine = tuned_engine(self.engine)
        self.sessionmaker = sqlalchemy.orm.sessionmaker(bind=self.engine)
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
