"""Live updates: reads Rasa's event stream and pushes messages to open ticket pages.

Two sources, one interface (``EventHub.run`` fans user/bot events out to Server-Sent Event
subscribers, whatever the source):

* SQL (the embedded default, ONETRIP_EVENTS_URL=sqlite:///… or postgresql://…, by default the
  tracker store's URL): Rasa's SQL tracker store keeps every event in its ``events`` table
  (columns id, sender_id, data as JSON text; Rasa's SQL event broker writes a table of the same
  shape, which works too). ``poll_once`` reads it from the last id (bot.hall.rasa_events, the
  reader the figures share), for conversations with open tickets. Rows are only ever appended, so
  following the ids misses nothing.
* RabbitMQ (ONETRIP_EVENTS_URL=amqp://…, deploy/endpoints.scale.yml): Rasa's Pika broker publishes
  every event to the fanout exchange ONETRIP_EVENTS_EXCHANGE. Each hall instance declares its own
  exclusive, auto-deleted queue bound to that exchange, so every instance gets every event of
  every Rasa server and no instance takes messages meant for another instance's SSE clients (a
  shared queue would deal them out round-robin). Events of conversations nobody watches on this
  instance are dropped on arrival.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections import defaultdict
from typing import Any, Dict, List, Optional, Set
from urllib.parse import quote, urlsplit, urlunsplit

from bot import settings
from bot.hall.rasa_events import EventsTable, decode, is_amqp, poll_forever
from bot.privacy import mask_text
from bot.vocabulary import TicketStatus

log = logging.getLogger(__name__)

DEFAULT_EXCHANGE = "onetrip-events"
QUEUE_MAX_LENGTH = 10000  # per hall instance; a stalled hall drops the oldest, Rasa is not slowed
SQL_BATCH = 500


def amqp_url(url: str) -> str:
    """ONETRIP_EVENTS_URL with ONETRIP_RABBITMQ_USER/PASSWORD, as Rasa's Pika broker combines them.

    The credentials stay out of the URL so that Rasa's log line "RabbitMQ connection to '<url>'
    was established" does not print the password.
    """
    user, password = settings.rabbitmq_credentials()
    parts = urlsplit(url)
    if user and "@" not in parts.netloc:
        secret = quote(password, safe="")
        url = urlunsplit(parts._replace(netloc=f"{quote(user, safe='')}:{secret}@{parts.netloc}"))
    return url


def message_of(sender: Optional[str], event: Any) -> Optional[Dict[str, Any]]:
    """The SSE message for one Rasa event, or None when it is not a user/bot message."""
    if not isinstance(event, dict) or event.get("event") not in ("user", "bot") or not sender:
        return None
    from bot.hall.transcript import STAFF, readable_payload, staff_of

    text = event.get("text") or ""
    who, author = event["event"], "群众" if event["event"] == "user" else "机器人"
    if who == "user" and text.startswith("/"):
        text = readable_payload(text, {})  # a button's payload: its meaning, never "/affirm"
    elif who == "bot":
        human = staff_of(event)
        if human is not None:
            who, author = STAFF, human.get("staff_name") or "工作人员"
            text = text.split("】", 1)[-1] if text.startswith("【") else text
        elif not text:
            return None
    return {"conversation_id": sender, "who": who, "author": author,
            "text": mask_text(text), "timestamp": event.get("timestamp")}


class EventHub:
    def __init__(self, state, interval: float = 1.0):
        self.state = state
        self.interval = interval
        self.last_id: Optional[int] = None
        self._table: Optional[EventsTable] = None
        self._subscribers: Dict[str, Set[asyncio.Queue]] = defaultdict(set)
        self.queue_name: Optional[str] = None  # the instance's RabbitMQ queue, once declared
        self.consumed = 0  # events received from the source (RabbitMQ), for tests and metrics

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

    async def run(self) -> None:
        """Consume the configured source until cancelled."""
        if is_amqp(self.state.settings.events_url):
            await self.run_amqp()
        else:
            await self.run_sql()

    # --- source 1: Rasa's SQL event broker (embedded default) ---
    def _source(self) -> EventsTable:
        if self._table is None:
            self._table = EventsTable(self.state.settings.events_url)
        return self._table

    def _open_conversations(self) -> Set[str]:
        from sqlalchemy import select

        from bot.hall import models

        with self.state.sessions() as session:
            rows = session.execute(
                select(models.Ticket.conversation_id).where(models.Ticket.status != TicketStatus.RESOLVED)
            ).scalars()
            return set(rows)

    def poll_once(self) -> List[Dict[str, Any]]:
        """New user/bot events since the last id, for conversations with open tickets."""
        table = self._source()
        if self.last_id is None:  # start at the end: history comes from the tracker
            self.last_id = table.last_id()
            return []
        # Live updates, at most once: the id moves on before the rows are published.
        rows = table.rows_after(self.last_id, SQL_BATCH)
        if not rows:
            return []
        self.last_id = rows[-1][0]
        wanted = self._open_conversations()
        out = []
        for _id, sender, data in rows:
            if sender not in wanted:
                continue
            message = message_of(sender, decode(data))
            if message:
                out.append(message)
        return out

    async def _sql_step(self) -> None:
        # The read in a thread; publishing on the loop (asyncio queues are not thread-safe).
        for message in await asyncio.to_thread(self.poll_once):
            self.publish(message["conversation_id"], message)

    async def run_sql(self) -> None:
        # self.interval is read at each step: a test may shorten it on a running hub.
        await poll_forever(self._sql_step, lambda: self.interval, "live updates")

    # --- source 2: Rasa's Pika event broker (RabbitMQ, scale-out) ---
    def handle_body(self, body: bytes) -> Optional[Dict[str, Any]]:
        """One message from RabbitMQ (a serialised Rasa event): publish it to local subscribers."""
        self.consumed += 1
        event = decode(body)
        sender = event.get("sender_id") if event else None
        if sender not in self._subscribers:  # nobody watches this conversation here
            return None
        message = message_of(sender, event)
        if message:
            self.publish(sender, message)
        return message

    async def run_amqp(self) -> None:
        import aio_pika

        url = amqp_url(self.state.settings.events_url)
        exchange_name = settings.events_exchange(DEFAULT_EXCHANGE)
        # A name of our own (not server-named): a robust connection re-declares it after a reconnect.
        name = f"onetrip-hall.{socket.gethostname()}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
        while True:
            try:
                connection = await aio_pika.connect_robust(url)
                break
            except Exception as exc:  # RabbitMQ not up yet: keep the hall serving, retry
                log.warning("RabbitMQ not reachable yet (%s); retrying", type(exc).__name__)
                await asyncio.sleep(max(self.interval, 2.0))
        try:
            channel = await connection.channel()
            # Same declaration as Rasa's PikaEventBroker (fanout, not durable): whoever starts
            # first creates it.
            exchange = await channel.declare_exchange(exchange_name, type=aio_pika.ExchangeType.FANOUT)
            queue = await channel.declare_queue(
                name, exclusive=True, auto_delete=True,
                arguments={"x-max-length": QUEUE_MAX_LENGTH, "x-overflow": "drop-head"},
            )
            await queue.bind(exchange, "")
            self.queue_name = name
            log.info("consuming Rasa events from exchange %r through queue %r", exchange_name, name)
            async with queue.iterator(no_ack=True) as messages:  # live updates: at most once
                async for message in messages:
                    try:
                        self.handle_body(message.body)
                    except Exception:
                        log.exception("event consumer error")
        finally:
            await connection.close()
