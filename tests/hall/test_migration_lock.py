"""Hall migrations on PostgreSQL take an advisory lock: replicas starting together on a fresh
database do not race (one migrates, the others wait and find head)."""

from __future__ import annotations

import os
import secrets
import threading
import time

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from bot.hall.db import MIGRATION_LOCK, make_engine, upgrade

BASE = os.environ.get("ONETRIP_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
def fresh_pg():
    try:
        admin = create_engine(BASE, isolation_level="AUTOCOMMIT", future=True)
        admin.connect().close()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"PostgreSQL at {BASE} not reachable: {exc}")
    name = "onetrip_lock_" + secrets.token_hex(4)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(BASE).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_a_replica_waits_for_the_lock_holder(fresh_pg):
    holder = create_engine(fresh_pg, future=True)
    engine = make_engine(fresh_pg)
    errors = []
    with holder.connect() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})  # another replica migrating
        worker = threading.Thread(target=lambda: _run(upgrade, engine, errors))
        worker.start()
        time.sleep(1.5)
        assert worker.is_alive(), "the migration did not wait for the lock"
        assert "alembic_version" not in inspect(create_engine(fresh_pg)).get_table_names()
        conn.rollback()  # the other replica is done
    worker.join(60)
    assert not worker.is_alive() and not errors, errors
    assert "tickets" in inspect(engine).get_table_names()
    holder.dispose()
    engine.dispose()


def test_replicas_starting_together_all_succeed(fresh_pg):
    engines = [make_engine(fresh_pg) for _ in range(4)]
    errors: list = []
    threads = [threading.Thread(target=lambda e=e: _run(upgrade, e, errors)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    with engines[0].connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    for e in engines:
        e.dispose()


def _run(fn, engine, errors) -> None:
    try:
        fn(engine)
    except Exception as exc:  # noqa: BLE001
        errors.append(repr(exc))


def test_hall_pods_wait_for_the_release_migration(fresh_pg):
    from bot.hall.db import at_head, wait_for_head

    engine = make_engine(fresh_pg)
    assert not at_head(engine)
    with pytest.raises(SystemExit):
        wait_for_head(fresh_pg, timeout=0.5, interval=0.1)
    upgrade(engine)
    assert at_head(engine)
    wait_for_head(fresh_pg, timeout=5)
    engine.dispose()
