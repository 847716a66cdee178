"""The hall's Prometheus /metrics: tickets by kind, SLA breaches, the staff-reply outbox."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import update

from bot.hall import models
from bot.hall.db import session_scope
from tests.hall.conftest import SERVICE, ticket_body


def scrape(client) -> dict:
    values = {}
    for line in client.get("/metrics").text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            values[name] = float(value)
    return values


def test_hall_metrics(app, sessions, monkeypatch):
    with TestClient(app) as client:
        for kind in ("complaint", "complaint", "fallback"):
            assert client.post("/api/tickets", json=ticket_body(kind=kind), headers=SERVICE).status_code == 201
        with session_scope(sessions) as db:
            db.execute(update(models.Ticket).where(models.Ticket.kind == "fallback")
                       .values(due_at=dt.datetime(2020, 1, 1)))
            db.add(models.StaffReply(ticket_number="ZJ20270105-K7QM3X", author="li", text="您好", status="failed",
                                     created_at=dt.datetime(2026, 12, 1)))
        values = scrape(client)
        assert values['onetrip_hall_tickets_created_total{kind="complaint"}'] == 2
        assert values['onetrip_hall_tickets_open{kind="fallback"}'] == 1
        assert values['onetrip_hall_sla_breaches{state="overdue"}'] == 1
        assert values['onetrip_hall_outbox_depth{status="failed"}'] == 1
        assert values['onetrip_hall_outbox_depth{status="pending"}'] == 0
        assert "13812345678" not in client.get("/metrics").text  # figures only
        monkeypatch.setenv("ONETRIP_METRICS", "off")
        assert client.get("/metrics").status_code == 404
