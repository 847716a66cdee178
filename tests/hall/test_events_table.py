"""The one reader of Rasa's events table shared by the live updates and the figures (bot.hall.rasa_events)."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from bot.hall.rasa_events import EventsTable, decode, poll_forever


def test_rows_after_an_id_oldest_first_and_the_last_id(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'events.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, data TEXT)"))
        for i in range(5):
            conn.execute(text("INSERT INTO events (sender_id, data) VALUES ('c', :d)"), {"d": json.dumps({"n": i})})
    engine.dispose()
    table = EventsTable(url)
    try:
        assert table.last_id() == 5
        rows = table.rows_after(2, 2)
        assert [r[0] for r in rows] == [3, 4] and decode(rows[0][2]) == {"n": 2}
        assert table.rows_after(5, 10) == []
    finally:
        table.close()


@pytest.mark.parametrize("data", [None, "", "not json", "[1, 2]", "3"])
def test_only_a_json_object_is_an_event(data) -> None:
    assert decode(data) is None


def test_poll_forever_says_an_unreadable_table_once_and_goes_on(caplog) -> None:
    outcomes = ["missing", "missing", "ok", "missing", "boom", "ok"]
    done = []

    async def step() -> None:
        outcome = outcomes[len(done)]
        done.append(outcome)
        if outcome == "missing":
            raise OperationalError("SELECT", {}, Exception("no such table: events"))
        if outcome == "boom":
            raise RuntimeError("boom")

    async def scenario() -> None:
        task = asyncio.create_task(poll_forever(step, lambda: 0, "test"))
        while len(done) < len(outcomes):
            await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    with caplog.at_level(logging.INFO, logger="bot.hall.rasa_events"):
        asyncio.run(scenario())
    unreadable = [r for r in caplog.records if "not readable yet" in r.getMessage()]
    assert len(unreadable) == 2  # once while missing, once more after it had been readable
    assert any(r.levelno == logging.ERROR and "event follower error" in r.getMessage() for r in caplog.records)
