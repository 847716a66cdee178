"""Start-up of the hall, used by `onetrip up` and by the app: migrate, import the catalogue, first admin."""

from __future__ import annotations

import logging
from typing import Optional

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot.hall import models
from bot.hall.auth import generate_password, hash_password
from bot.hall.catalogue_store import import_catalogue, stored_fingerprint
from bot.hall.db import make_engine, make_sessionmaker, session_scope, upgrade, utcnow
from bot.settings import Settings
from bot.vocabulary import Role

log = logging.getLogger(__name__)


def sync_catalogue(engine: Engine, settings: Settings) -> bool:
    """Import the catalogue unless its fingerprint is already stored. True when imported."""
    from bot.catalogue import catalogue_fingerprint, load_catalogue

    sessions = make_sessionmaker(engine)
    with session_scope(sessions) as session:
        if stored_fingerprint(session) == catalogue_fingerprint(settings.catalogue_path):
            return False  # unchanged: skip the parse
    catalogue = load_catalogue(settings.catalogue_path)  # CatalogueError lists every problem
    with session_scope(sessions) as session:
        import_catalogue(session, catalogue)
    log.info("catalogue imported: %d matters, %d bundles", len(catalogue.matters), len(catalogue.bundles))
    return True


def ensure_admin(engine: Engine) -> Optional[str]:
    """Create "admin" with a random password when there is no user at all; return the password."""
    with session_scope(make_sessionmaker(engine)) as session:
        if session.execute(select(func.count(models.User.id))).scalar_one():
            return None
        password = generate_password()
        session.add(models.User(username=Role.ADMIN.value, password_hash=hash_password(password), role=Role.ADMIN.value,
                                department=None, active=True, created_at=utcnow()))
        return password


def prepare(settings: Settings) -> Optional[str]:
    """Migrations, catalogue import (idempotent), first admin. Returns the new admin password once."""
    engine = make_engine(settings.database_url)
    try:
        upgrade(engine)
        sync_catalogue(engine, settings)
        return ensure_admin(engine)
    finally:
        engine.dispose()
