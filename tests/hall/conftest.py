"""The hall against a real database: SQLite in tmp_path, or PostgreSQL when DATABASE_URL is set
(a random database on that server, created for the session and dropped afterwards)."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path
from typing import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.hall import models, ticket_service, tickets
from bot.hall.app import create_app
from bot.hall.bootstrap import prepare
from bot.hall.db import make_engine, make_sessionmaker, session_scope
from bot.hall.users import add_user
from bot.settings import load_settings

CATALOGUE = Path(__file__).parent / "catalogue"
SERVICE_TOKEN = "test-service-token"
PASSWORD = "correct-horse-1"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this session, or "" for SQLite."""
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgresql"):
        yield ""
        return
    name = "hall_test_" + secrets.token_hex(4)
    admin = create_engine(base, isolation_level="AUTOCOMMIT", future=True)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _truncate(url: str) -> None:
    engine = create_engine(url, future=True)
    with engine.begin() as conn:
        tables = ", ".join(t.name for t in models.Base.metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def settings(tmp_path, monkeypatch, postgres_url):
    var = tmp_path / "var"
    var.mkdir()
    env = {
        "ONETRIP_VAR": str(var),
        "ONETRIP_CATALOGUE": str(CATALOGUE),
        "DATABASE_URL": postgres_url or f"sqlite:///{var / 'hall.db'}",
        "ONETRIP_EVENTS_URL": f"sqlite:///{var / 'events.db'}",
        "HALL_SERVICE_TOKEN": SERVICE_TOKEN,
        "HALL_SECRET_KEY": "test-secret-key",
        "RASA_TOKEN": "rasa-secret",
        "RASA_URL": "http://127.0.0.1:9",  # nothing listens: Rasa unreachable unless a test stubs it
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("ONETRIP_SLA_FILE", raising=False)
    if postgres_url:
        _truncate_if_migrated(postgres_url)
    return load_settings()


def _truncate_if_migrated(url: str) -> None:
    engine = create_engine(url, future=True)
    with engine.connect() as conn:
        exists = conn.execute(text("SELECT to_regclass('public.tickets')")).scalar()
    engine.dispose()
    if exists:
        _truncate(url)


@pytest.fixture
def admin_password(settings) -> str:
    return prepare(settings)


@pytest.fixture
def app(settings, admin_password):
    return create_app(settings, run_events=False)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture
def sessions(settings):
    engine = make_engine(settings.database_url)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def make_user(sessions):
    def make(name: str, role: str = "staff", department: str = "gongan") -> str:
        with session_scope(sessions) as s:
            add_user(s, name, role, department if role == "staff" else department, PASSWORD)
        return name

    return make


SERVICE = {"Authorization": f"Bearer {SERVICE_TOKEN}"}


def login_token(client: TestClient, username: str) -> dict:
    r = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def ticket_body(**over) -> dict:
    body = {
        "kind": "complaint", "department": "scjg", "matter": "scjg.consumer_complaint",
        "conversation_id": "conv-1", "channel": "rest", "description": "商家不给退款",
        "region": "杭州市西湖区", "contact_phone": "13812345678", "consent": True,
        "idempotency_key": secrets.token_hex(8), "rating": None, "reason": None,
    }
    body.update(over)
    return body


class HallClock:
    """The moment the hall takes as now when it dates a ticket and computes its SLA due time."""

    def __init__(self) -> None:
        self.now: dt.datetime = dt.datetime.now(dt.timezone.utc)

    def set(self, moment: dt.datetime) -> None:
        assert moment.tzinfo is not None, "an aware moment: the SLA's working hours are Asia/Shanghai"
        self.now = moment

    def utcnow(self) -> dt.datetime:
        return self.now.astimezone(dt.timezone.utc).replace(tzinfo=None)  # as bot.hall.db.utcnow


@pytest.fixture
def hall_clock(monkeypatch) -> HallClock:
    """Pins "now" for ticket creation and transfer (the API routes pass no `now`), so due times do
    not depend on the hour the test runs: a working day's 17:00 or a weekend makes SLAs coincide.
    Only these two modules: logins, tokens and the console keep the real clock."""
    clock = HallClock()
    monkeypatch.setattr(tickets, "utcnow", clock.utcnow)
    monkeypatch.setattr(ticket_service, "utcnow", clock.utcnow)
    return clock
