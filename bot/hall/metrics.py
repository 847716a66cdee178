"""GET /metrics of the service hall (Prometheus text format), read from the database at each scrape
so every replica reports the same figures (Prometheus should scrape one, or use max()):

  onetrip_hall_tickets_created_total{kind}       tickets ever created, by kind
  onetrip_hall_tickets_open{kind}                tickets not resolved
  onetrip_hall_sla_breaches{state}               unanswered past their deadline (overdue), or answered
                                                 after it (late)
  onetrip_hall_outbox_depth{status}              staff replies not delivered yet (pending, failed)

On by default, ONETRIP_METRICS=off hides it (404). Loopback-only by convention: deploy/ exposes
it on the cluster network, not through the ingress.

Included by bot/hall/app.py.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from bot import settings
from bot.hall import models
from bot.hall.db import utcnow
from bot.hall.deps import get_db
from bot.vocabulary import TicketStatus

router = APIRouter(include_in_schema=False)


class HallCollector:
    def __init__(self, db: Session) -> None:
        self.db = db

    def collect(self):
        db, now = self.db, utcnow()
        created = CounterMetricFamily("onetrip_hall_tickets_created", "Tickets created, by kind", labels=["kind"])
        for kind, count in db.execute(select(models.Ticket.kind, func.count()).group_by(models.Ticket.kind)):
            created.add_metric([kind], count)
        yield created
        still_open = GaugeMetricFamily("onetrip_hall_tickets_open", "Tickets not resolved, by kind", labels=["kind"])
        unresolved = models.Ticket.status != TicketStatus.RESOLVED.value
        for kind, count in db.execute(select(models.Ticket.kind, func.count()).where(unresolved)
                                      .group_by(models.Ticket.kind)):
            still_open.add_metric([kind], count)
        yield still_open
        breaches = GaugeMetricFamily("onetrip_hall_sla_breaches", "Tickets past their SLA deadline", labels=["state"])
        answered = func.coalesce(models.Ticket.first_response_at, models.Ticket.resolved_at)
        overdue = db.execute(select(func.count()).where(and_(
            answered.is_(None), models.Ticket.due_at < now))).scalar() or 0
        late = db.execute(select(func.count()).where(and_(
            answered.is_not(None), answered > models.Ticket.due_at))).scalar() or 0
        breaches.add_metric(["overdue"], overdue)
        breaches.add_metric(["late"], late)
        yield breaches
        outbox = GaugeMetricFamily("onetrip_hall_outbox_depth", "Staff replies not delivered", labels=["status"])
        depth = dict(db.execute(select(models.StaffReply.status, func.count())
                                .where(or_(models.StaffReply.status == "pending", models.StaffReply.status == "failed"))
                                .group_by(models.StaffReply.status)).all())
        for status in ("pending", "failed"):
            outbox.add_metric([status], depth.get(status, 0))
        yield outbox


@router.get("/metrics")
def metrics(db: Session = Depends(get_db)) -> Response:
    if not settings.metrics_enabled():
        raise HTTPException(404)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(HallCollector(db))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
