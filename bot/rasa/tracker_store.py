"""Rasa's SQL tracker store without re-reading the whole conversation several times per message.

For every citizen message Rasa's `SQLTrackerStore` reads the conversation's latest session from
the database and replays it (`retrieve`), and on `save` reads and replays it again to find the
events to publish (`stream_events`), then counts the stored events to find the ones to insert.
That was about half of the Rasa server's CPU under load (docs/bench.md).

`CachingSQLTrackerStore` keeps, per conversation, the events of its latest session that it has
already read or written (an LRU bounded by the size of their JSON) and asks the database only for
rows it has not seen (`id > last seen id`, one indexed query, SQLAlchemy Core). It returns exactly what Rasa's query returns:
the same rows in the same order with the same session filter (`timestamp >=` the latest
`session_started`), a fresh tracker every time. (The trackers share the event objects, as Rasa's
own `tracker.copy()` does: events are values that Rasa never changes once created.) Rows are never updated or deleted by Rasa, and
while one server handles a conversation the lock store keeps every other server from writing
to it, so rows written by another server are always behind `last seen id`: the cache is safe
with several Rasa servers on one PostgreSQL (deploy/endpoints.scale.yml).

`save` computes the new events once, inserts them in one transaction and publishes them to the
event broker after the commit (Rasa publishes before writing, so a failed write left events in
the broker that the tracker never had).
"""

from __future__ import annotations

import itertools
import json
import logging
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Text

import sqlalchemy as sa
import sqlalchemy.orm
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.engine import Connection

from bot.rasa.sqlite import tuned_engine

logger = logging.getLogger(__name__)

DEFAULT_CACHE_MB = 16


@dataclass
class _Tail:
    """The stored events of one conversation's latest session, as Rasa's query would return them."""

    last_id: int = 0  # highest row id seen for the conversation, in any session
    session_start: Optional[float] = None  # timestamp of the latest `session_started` row
    events: List[Event] = field(default_factory=list)
    sizes: List[int] = field(default_factory=list)  # length of each event's JSON
    size: int = 0

    def add(self, row_id: int, type_name: str, timestamp: Optional[float], data: str, event: Optional[Event] = None) -> None:
        self.last_id = max(self.last_id, row_id)
        if type_name == SessionStarted.type_name and timestamp is not None:
            if self.session_start is None or timestamp > self.session_start:
                self.session_start = timestamp
                kept = [(e, n) for e, n in zip(self.events, self.sizes) if e.timestamp is not None and e.timestamp >= timestamp]
                self.events, self.sizes = [e for e, _ in kept], [n for _, n in kept]
                self.size = sum(self.sizes)
        if self.session_start is None or (timestamp is not None and timestamp >= self.session_start):
            event = event if event is not None else Event.from_parameters(json.loads(data))
            if event is None:  # a retired event type Rasa skips too (`deserialise_events`)
                return
            self.events.append(event)
            self.sizes.append(len(data))
            self.size += len(data)


class CachingSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, cache_mb: float = DEFAULT_CACHE_MB, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.engine = tuned_engine(self.engine)
        self.sessionmaker = sqlalchemy.orm.session.sessionmaker(bind=self.engine)
        self._cache: "OrderedDict[str, _Tail]" = OrderedDict()
        self._cache_bytes = 0
        self._cache_limit = int(float(cache_mb) * 1024 * 1024)
        # The tracker last returned for each conversation. Rasa retrieves, processes and saves
        # a conversation under its lock store's lock, so nothing else writes to it in between:
        # saving that very tracker needs no second look at the database.
        self._handed_out: "weakref.WeakValueDictionary[str, DialogueStateTracker]" = weakref.WeakValueDictionary()
        t = self.SQLEvent.__table__
        columns = (t.c.id, t.c.type_name, t.c.timestamp, t.c.data)
        sender = t.c.sender_id == sa.bindparam("sender")
        # Statements built once; SQLAlchemy caches their compiled form.
        self._newer_rows = sa.select(*columns).where(sender, t.c.id > sa.bindparam("last")).order_by(t.c.id)
        session_start = (
            sa.select(sa.func.max(t.c.timestamp))
            .where(sender, t.c.type_name == SessionStarted.type_name)
            .scalar_subquery()
        )
        # Rasa's `_event_query(..., fetch_events_from_all_sessions=False)` in Core.
        self._latest_session_rows = (
            sa.select(*columns)
            .where(sender, sa.or_(t.c.timestamp >= session_start, session_start.is_(None)))
            .order_by(t.c.id)
        )
        self._last_id = sa.select(sa.func.max(t.c.id)).where(sender)
        self._insert = t.insert()

    # -- reading -----------------------------------------------------------------------------

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        """The tracker of the conversation's latest session, as `SQLTrackerStore.retrieve`."""
        with self.engine.connect() as conn:
            tail = self._tail(conn, sender_id)
        if not (self.domain and tail.events):
            return None
        tracker = DialogueStateTracker.from_events(sender_id, list(tail.events), self.domain.slots)
        self._handed_out[sender_id] = tracker
        return tracker

    def _tail(self, conn: Connection, sender_id: Text) -> _Tail:
        """The conversation's latest-session events, brought up to date with the database."""
        tail = self._take(sender_id)
        if tail is not None:
            rows = conn.execute(self._newer_rows, {"sender": sender_id, "last": tail.last_id})
        else:
            tail = _Tail()
            rows = conn.execute(self._latest_session_rows, {"sender": sender_id})
        for row_id, type_name, timestamp, data in rows:
            tail.add(row_id, type_name, timestamp, data)
        self._remember(sender_id, tail)
        return tail

    def _remember(self, sender_id: Text, tail: _Tail) -> None:
        if tail.size > self._cache_limit // 4:
            return  # a huge conversation would push out everyone else; it is read as Rasa does
        self._cache[sender_id] = tail
        self._cache_bytes += tail.size
        while self._cache_bytes > self._cache_limit and self._cache:
            _, old = self._cache.popitem(last=False)
            self._cache_bytes -= old.size

    def _take(self, sender_id: Text) -> Optional[_Tail]:
        """The conversation's cached tail, out of the cache (put it back with `_remember`)."""
        tail = self._cache.pop(sender_id, None)
        if tail is not None:
            self._cache_bytes -= tail.size
        return tail

    # -- writing -----------------------------------------------------------------------------

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Insert the events not stored yet in one transaction, then publish them."""
        sender_id = tracker.sender_id
        try:
            with self.engine.begin() as conn:
                handed_out = self._handed_out.pop(sender_id, None)
                cached = self._cache.get(sender_id)
                tail = cached if cached is not None and handed_out is tracker else self._tail(conn, sender_id)
                stored = len(tail.events)
                new_events = list(itertools.islice(tracker.events, stored, len(tracker.events)))
                if not new_events:
                    return
                dumped = [event.as_dict() for event in new_events]
                rows = [self._row(sender_id, event, data) for event, data in zip(new_events, dumped)]
                conn.execute(self._insert, rows)
                last_id = conn.execute(self._last_id, {"sender": sender_id}).scalar()
        except Exception:
            self._take(sender_id)  # whatever happened, read the database next time
            raise
        tail = self._take(sender_id)
        if tail is not None:  # not cached (too big or pushed out): the next read loads it whole
            for event, row in zip(new_events, rows):
                tail.add(0, row["type_name"], row["timestamp"], row["data"], event)
            tail.last_id = max(tail.last_id, last_id or 0)
            self._remember(sender_id, tail)
        logger.debug("Tracker with sender_id '%s' stored to database", sender_id)
        if self.event_broker is not None:
            for data in dumped:
                self.event_broker.publish({"sender_id": sender_id, **data})

    @staticmethod
    def _row(sender_id: Text, event: Event, data: Dict[str, Any]) -> Dict[str, Any]:
        return {
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get("name"),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }
