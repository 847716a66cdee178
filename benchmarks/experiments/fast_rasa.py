"""EXPERIMENT, for `onetrip bench --endpoints benchmarks/experiments/endpoints.fast.yml` only.

Measures what the two fixes proposed in docs/bench.md would gain, without touching product code
(bot/, actions/, endpoints.yml belong to others). Rasa imports this module in its own process
when it creates the event broker below, which also applies fix 1.

1. Rasa validates every action-server response with `jsonschema.validate(result, schema)`
   (rasa/core/actions/action.py, RemoteAction._validate_action_result), which re-checks the
   large events schema and builds a new validator on every call: ~25× slower than a validator
   built once. Patched here to build it once (same schema, same errors).
2. Rasa's SQLEventBroker commits one transaction per event, synchronously on the event loop
   (rasa/core/brokers/sql.py publish), so one message costs ~10 SQLite commits (fsyncs) during
   which no other conversation progresses. BatchedSQLEventBroker writes the events of one
   tracker save in one transaction, on a single writer thread (order kept), with WAL and
   synchronous=NORMAL on SQLite.
3. (endpoints.fast-wal.yml only) the tracker store on SQLite with WAL and synchronous=NORMAL:
   Rasa's SQLTrackerStore commits each save (rollback journal, full fsync) on the event loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import json
import logging
from typing import Any, Dict, List, Optional, Text

import jsonschema
from rasa.core.actions.action import RemoteAction
from rasa.core.brokers.sql import SQLEventBroker
from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy import event as sa_event

logger = logging.getLogger(__name__)


@functools.lru_cache(maxsize=1)
def _response_validator():
    schema = RemoteAction.action_response_format_spec()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _validate_action_result(self, result: Dict[Text, Any]) -> bool:
    try:
        _response_validator().validate(result)
        return True
    except jsonschema.ValidationError as e:
        e.message += (
            ". Failed to validate Action server response from API, make sure your response from "
            "the Action endpoint is valid."
        )
        raise e


RemoteAction._validate_action_result = _validate_action_result


def _wal(engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @sa_event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record):
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    engine.dispose()  # reconnect with the pragmas


class WALSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _wal(self.engine)


class BatchedSQLEventBroker(SQLEventBroker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _wal(self.engine)
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
        loop.call_soon(self._flush)  # after the current save's loop of publish() calls

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
        except Exception:  # pragma: no cover - experiment
            logger.exception("event broker: could not write %d events", len(batch))

    async def close(self) -> None:
        self._flush()
        self._writer.shutdown(wait=True)
