"""The hall's ASGI app. uvicorn: `uvicorn --factory bot.hall.app:create_app`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from pathlib import Path
from typing import Optional

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from bot.hall import errors
from bot.hall.auth import Signer
from bot.hall.db import make_engine, make_sessionmaker, upgrade
from bot.hall.security import HallSecurity
from bot.hall.sla import load_config
from bot.hall.state import HallState
from bot.privacy import install_log_masking
from bot.settings import Settings, get_settings, load_settings

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent


def _with_secrets(settings: Settings) -> Settings:
    """A hall started by hand (not by `onetrip up`) still gets its generated secrets."""
    if settings.hall_secret_key and settings.hall_service_token:
        return settings
    return load_settings(create_secrets=True)


def _fingerprint(state: HallState) -> str:
    from bot.hall.catalogue_store import stored_fingerprint

    with state.sessions() as session:
        return stored_fingerprint(session) or ""


def create_app(settings: Optional[Settings] = None, run_events: bool = True) -> FastAPI:
    install_log_masking()  # uvicorn has configured its loggers by the time it calls the factory
    settings = _with_secrets(settings or get_settings())
    engine = make_engine(settings.database_url)
    upgrade(engine)  # idempotent; `onetrip up` has usually done it already
    state = HallState(
        settings=settings, engine=engine, sessions=make_sessionmaker(engine),
        sla=load_config(), signer=Signer(settings.hall_secret_key),
    )
    from bot.hall.events import EventHub

    from bot.hall.deps import messenger
    from bot.hall.retention import daily as retention_daily
    from bot.hall.stats import ConversationFollower
    from bot.hall.ticket_service import queue_updates

    state.hub = EventHub(state)
    state.follower = ConversationFollower(state)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        # Live updates, the figures' event follower, the daily retention job (issue #17), and the
        # waiting citizens' place in the handoff queue (issue #16).
        tasks = [asyncio.create_task(job) for job in
                 (state.hub.run(), state.follower.run(), retention_daily(state),
                  queue_updates(state.sessions, lambda: messenger(state), state.sla))] if run_events else []
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            state.follower.close()
            engine.dispose()

    app = FastAPI(
        title="OneTrip 服务大厅",
        description="事项库、工单与工作人员控制台（一次办）",
        version="0.1.0",
        lifespan=lifespan,
        # API documentation: a setting (ONETRIP_API_DOCS), off by default outside loopback.
        docs_url="/docs" if settings.api_docs else None,
        redoc_url="/redoc" if settings.api_docs else None,
        openapi_url="/openapi.json" if settings.api_docs else None,
    )
    app.state.hall = state
    errors.install(app)
    app.add_middleware(errors.BodyGuard)
    # Outermost: the client address behind a trusted proxy, and the security headers (security.py).
    app.add_middleware(HallSecurity, settings=settings)

    version = {"value": "", "at": 0.0}

    @app.middleware("http")
    async def catalogue_version(request, call_next):
        # The action server drops its cached guides when this header changes (a new import).
        response = await call_next(request)
        if request.url.path.startswith("/api/"):
            now = time.monotonic()
            if now - version["at"] > 5:
                version["value"], version["at"] = await asyncio.to_thread(_fingerprint, state), now
            if version["value"]:
                response.headers["X-Catalogue-Version"] = version["value"]
        return response

    @app.get("/healthz", tags=["运维"])
    def healthz():
        return {"status": "ok"}

    from bot.hall.api import router as api_router
    from bot.hall.console import router as console_router
    from bot.hall.metrics import router as metrics_router
    from bot.hall.widget_routes import router as widget_router
    from bot.hall.widget_upload import router as widget_upload_router

    app.include_router(api_router)
    app.include_router(console_router)
    app.include_router(widget_router)  # / (demo portal), /widget.js, /widget/*
    app.include_router(widget_upload_router)  # POST /widget/attachments (documented in OpenAPI)
    app.include_router(metrics_router)  # GET /metrics (Prometheus), off with ONETRIP_METRICS=off
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    return app
