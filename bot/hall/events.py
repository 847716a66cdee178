"""Live updates: reads Rasa's SQL event broker table and pushes messages to open ticket pages.

Rasa (endpoints.yml, event_broker type SQL) writes every event to the ``events`` table of
ONETRIP_EVENTS_URL (columns id, sender_id, data as JSON text). One background task polls it from
the last id and fans user/bot events of conversations with open tickets out to Server-Sent
Event subscribers. This is the only module that knows where events come from, so a RabbitMQ
consumer can replace ``poll_once`` later.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from typing import Any, Dict, List, Optional, Set

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)


class EventHub:
    def __init__(self, state, interval: float = 1.0):
        self.state = state
        self.interval = interval
        self.last_id: Optional[int] = None
        self._engine: Optional[Engine] = None
        self._subscribers: Dict[str, Set[asyncio.Queue]] = defaultdict(set)

    # --- subscribers (one per open ticket page) ---
    def subscribe(self, conversation_id: str) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue(maxsize=200)
        self._subscribers[conversation_id].add(queue)
        return queue

    def unsubscribe(self, conversation_id: str, queue: asyncio.Queue) -> None:
        self._subscribers[conversation_id].discard(queue)
        if not self._subscribers[conversation_id]:
            del self._subscribers[conversation_id]

    def publish(self, conversation_id: str, message: Dict[str, Any]) -> None:
        for queue in list(self._subscribers.get(conversation_id, ())):
            if not queue.full():  # a stalled browser loses updates, not the server's memory
                queue.put_nowait(message)

    # --- the source: Rasa's SQL event broker ---
    def _source(self) -> Engine:
        if self._engine is None:
            url = self.state.settings.events_url
            args = {"check_same_thread": False} if url.startswith("sqlite") else {}
            self._engine = create_engine(url, future=True, connect_args=args)
        return self._engine

    def _open_conversations(self) -> Set[str]:
        from sqlalchemy import select

        from bot.hall import models

        with self.state.sessions() as session:
            rows = session.execute(
                select(models.Ticket.conversation_id).where(models.Ticket.status != "resolved")
            ).scalars()
            return set(rows)

    def poll_once(self) -> List[Dict[str, Any]]:
        """New user/bot events since the last id, for conversations with open tickets."""
        engine = self._source()
        with engine.connect() as conn:
            if self.last_id is None:  # start at the end: history comes from the tracker
                self.last_id = conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM events")).scalar() or 0
                return []
            rows = conn.execute(
                text("SELECT id, sender_id, data FROM events WHERE id > :last ORDER BY id LIMIT 500"),
                {"last": self.last_id},
            ).fetchall()
        if not rows:
            return []
        self.last_id = rows[-1][0]
        wanted = self._open_conversations()
        out = []
        for _id, sender, data in rows:
            if sender not in wanted:
                continue
            try:
                event = json.loads(data)
            except (TypeError, ValueError):
                continue
            if event.get("event") in ("user", "bot"):
                out.append({"conversation_id": sender, "who": event["event"],
                            "text": event.get("text") or "", "timestamp": event.get("timestamp")})
        return out

    async def run(self) -> None:
        warned = False
        while True:
            try:
                for message in await asyncio.to_thread(self.poll_once):
                    self.publish(message["conversation_id"], message)
                warned = False
            except SQLAlchemyError as exc:  # Rasa has not created the table yet, or is down
                if not warned:
                    log.info("event broker table not readable yet: %s", str(exc).splitlines()[0][:160])
                    warned = True
            except Exception:
                log.exception("event consumer error")
            await asyncio.sleep(self.interval)
