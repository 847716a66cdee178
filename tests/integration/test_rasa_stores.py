"""bot/rasa/: the caching tracker store returns what Rasa's own SQLTrackerStore returns, on real
SQLite and PostgreSQL, with one or two servers (stores) writing to one database."""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path
from typing import Iterator, List

import pytest
import sqlalchemy as sa
from rasa.core.brokers.sql import SQLEventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa.tracker_store import CachingSQLTrackerStore

ROOT = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get("ONETRIP_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


def _pg_reachable() -> bool:
    try:
        sa.create_engine(PG_URL).connect().close()
        return True
    except Exception:
        return False


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'rasa.db'}"
        return
    if not _pg_reachable():
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL at {PG_URL} is not reachable in CI")
        pytest.skip(f"PostgreSQL at {PG_URL} is not reachable")
    name = f"onetrip_store_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield str(sa.engine.make_url(PG_URL).set(database=name))
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _events(sender: str, turns: int, start: float) -> List[Event]:
    """A conversation as Rasa writes it: a session start, then `turns` question/answer turns.
    (Rasa logs `action_session_start` after running it, so it is stamped after SessionStarted.)"""
    events: List[Event] = [
        ActionExecuted("action_session_start", timestamp=start + 0.001),
        SessionStarted(timestamp=start),
        ActionExecuted("action_listen", timestamp=start + 0.002),
    ]
    t = start + 0.01
    for i in range(turns):
        events += [
            UserUttered(f"身份证过期了怎么办 {i}", {"name": "ask_matter", "confidence": 0.9}, timestamp=t),
            ActionExecuted("action_answer_matter", timestamp=t + 0.001),
            BotUttered(f"第{i}次回答：请带上身份证。", timestamp=t + 0.002),
            SlotSet("current_matter", "gongan.id_card_renew", timestamp=t + 0.003),
            ActionExecuted("action_listen", timestamp=t + 0.004),
        ]
        t += 0.01
    return events


def _dump(tracker: DialogueStateTracker) -> list:
    return [e.as_dict() for e in tracker.events]


async def test_same_tracker_as_rasa_after_each_save(domain, db_url):
    ours = CachingSQLTrackerStore(domain=domain, host=db_url)
    rasa = SQLTrackerStore(domain=domain, host=db_url)
    tracker = DialogueStateTracker("citizen-1", domain.slots)
    for event in _events("citizen-1", 4, time.time()):
        tracker.update(event)
        await ours.save(tracker)
        stock = await rasa.retrieve("citizen-1")
        mine = await ours.retrieve("citizen-1")
        assert _dump(mine) == _dump(stock) == _dump(tracker)
    assert mine.get_slot("current_matter") == "gongan.id_card_renew"
    # Saving the same tracker again writes nothing more.
    await ours.save(tracker)
    with ours.session_scope() as session:
        assert session.query(ours.SQLEvent).filter_by(sender_id="citizen-1").count() == len(tracker.events)


async def test_latest_session_only_like_rasa(domain, db_url):
    """A new session in a later message: both stores return only the new session."""
    ours = CachingSQLTrackerStore(domain=domain, host=db_url)
    rasa = SQLTrackerStore(domain=domain, host=db_url)
    start = time.time()
    tracker = DialogueStateTracker("citizen-2", domain.slots)
    for event in _events("citizen-2", 2, start):
        tracker.update(event)
    await ours.save(tracker)
    await ours.retrieve("citizen-2")  # now cached
    # The next day's message starts a new session on the same tracker object, as Rasa does.
    for event in _events("citizen-2", 1, start + 86400):
        tracker.update(event)
    await ours.save(tracker)
    mine, stock = await ours.retrieve("citizen-2"), await rasa.retrieve("citizen-2")
    assert _dump(mine) == _dump(stock)
    assert len(mine.events) == 3 + 5  # the new session only
    # A full-history read still has both sessions.
    assert len((await ours.retrieve_full_tracker("citizen-2")).events) == 2 * 3 + 3 * 5


async def test_two_servers_on_one_database(domain, db_url):
    """Server A has the conversation cached; server B handles the next message; A sees it."""
    a = CachingSQLTrackerStore(domain=domain, host=db_url)
    b = CachingSQLTrackerStore(domain=domain, host=db_url)
    events = _events("citizen-3", 3, time.time())
    tracker = DialogueStateTracker("citizen-3", domain.slots)
    for event in events[:8]:
        tracker.update(event)
    await a.save(tracker)
    assert len((await a.retrieve("citizen-3")).events) == 8

    on_b = await b.retrieve("citizen-3")
    for event in events[8:]:
        on_b.update(event)
    await b.save(on_b)

    on_a = await a.retrieve("citizen-3")
    assert _dump(on_a) == _dump(on_b)
    # A's next save adds only its own new event, after B's.
    on_a.update(UserUttered("谢谢", {"name": "thank", "confidence": 1.0}, timestamp=time.time() + 1))
    await a.save(on_a)
    assert _dump(await SQLTrackerStore(domain=domain, host=db_url).retrieve("citizen-3")) == _dump(on_a)


async def test_small_cache_evicts_and_stays_right(domain, db_url):
    ours = CachingSQLTrackerStore(domain=domain, host=db_url, cache_mb=0.01)
    rasa = SQLTrackerStore(domain=domain, host=db_url)
    trackers = {}
    for n in range(6):
        sender = f"citizen-evict-{n}"
        trackers[sender] = DialogueStateTracker(sender, domain.slots)
        for event in _events(sender, 3, time.time()):
            trackers[sender].update(event)
        await ours.save(trackers[sender])
    assert ours._cache_bytes <= ours._cache_limit
    for sender, tracker in trackers.items():
        tracker.update(UserUttered("还有呢", {"name": "ask_more", "confidence": 1.0}, timestamp=time.time()))
        await ours.save(tracker)
        assert _dump(await ours.retrieve(sender)) == _dump(await rasa.retrieve(sender)) == _dump(tracker)


async def _store_with_broker_and_first_save(domain, tmp_path, sender: str):
    """A caching store publishing to Rasa's SQL broker, and a tracker whose first 5 events it saved."""
    broker = SQLEventBroker(host=f"sqlite:///{tmp_path / 'events.db'}")
    ours = CachingSQLTrackerStore(domain=domain, host=f"sqlite:///{tmp_path / 'rasa.db'}", event_broker=broker)
    tracker = DialogueStateTracker(sender, domain.slots)
    events = _events(sender, 2, time.time())
    for event in events[:5]:
        tracker.update(event)
    await ours.save(tracker)
    return ours, tracker, events


def _published(tmp_path) -> list:
    reader = SQLEventBroker(host=f"sqlite:///{tmp_path / 'events.db'}")
    with reader.session_scope() as session:
        return [json.loads(row.data) for row in session.query(reader.SQLBrokerEvent).order_by("id")]


async def test_events_published_once_after_the_commit(domain, tmp_path):
    ours, tracker, events = await _store_with_broker_and_first_save(domain, tmp_path, "citizen-4")
    await ours.save(tracker)  # nothing new: nothing published
    for event in events[5:]:
        tracker.update(event)
    await ours.save(tracker)
    published = _published(tmp_path)
    assert [p["sender_id"] for p in published] == ["citizen-4"] * len(events)
    assert [{k: v for k, v in p.items() if k != "sender_id"} for p in published] == _dump(tracker)


async def test_failed_write_publishes_nothing_and_loses_no_state(domain, tmp_path):
    ours, tracker, events = await _store_with_broker_and_first_save(domain, tmp_path, "citizen-5")
    db = tmp_path / "rasa.db"
    # Another process locks the database for writing: our save fails after its busy timeout.
    locker = sa.create_engine(f"sqlite:///{db}")
    conn = locker.raw_connection()
    conn.execute("BEGIN IMMEDIATE")
    for event in events[5:]:
        tracker.update(event)
    try:
        with pytest.raises(sa.exc.OperationalError):
            await _save_with_short_timeout(ours, tracker)
    finally:
        conn.rollback()
        conn.close()
    assert len(_published(tmp_path)) == 5  # the first save only
    # Once the database is free again the same tracker saves whole, nothing doubled.
    ours2 = CachingSQLTrackerStore(domain=domain, host=f"sqlite:///{db}")
    await ours.save(tracker)
    assert _dump(await ours2.retrieve("citizen-5")) == _dump(tracker)


async def _save_with_short_timeout(store: CachingSQLTrackerStore, tracker: DialogueStateTracker) -> None:
    @sa.event.listens_for(store.engine, "connect")
    def _short(dbapi_connection, _record):  # noqa: ANN001
        dbapi_connection.execute("PRAGMA busy_timeout=50")

    store.engine.dispose()
    await store.save(tracker)
