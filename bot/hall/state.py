"""What one running hall holds: settings, database, SLA rules, limiter, the event hub."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Optional

from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from bot.hall.auth import LoginLimiter, Signer
from bot.hall.sla import SlaConfig
from bot.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class HallState:
    settings: Settings
    engine: Engine
    sessions: sessionmaker
    sla: SlaConfig
    signer: Signer
    limiter: LoginLimiter = field(default_factory=LoginLimiter)
    hub: Any = None  # bot.hall.events.EventHub
    follower: Any = None  # bot.hall.stats.ConversationFollower (the figures)
    _catalogue: Any = None
    _matcher: Any = None

    def catalogue(self) -> Optional[Any]:
        """The catalogue as files (for the matcher); None when it does not load."""
        if self._catalogue is None:
            from bot.catalogue import CatalogueError, load_catalogue

            try:
                self._catalogue = load_catalogue(self.settings.catalogue_path)
            except (CatalogueError, OSError) as exc:
                log.warning("catalogue for the matcher did not load: %s", str(exc)[:200])
                self._catalogue = False
        return self._catalogue or None
