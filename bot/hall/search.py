"""Matter search for GET /api/matters?q=: the project's matcher, or substring search without it."""

from __future__ import annotations

import logging
from typing import List, Optional

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.hall import models

log = logging.getLogger(__name__)


def _matcher(state) -> Optional[object]:
    if state._matcher is None:
        state._matcher = False
        catalogue = state.catalogue()
        from bot.matching import Matcher  # on the first search: the hall starts without numpy's weight

        if catalogue is not None:
            try:
                state._matcher = Matcher.from_catalogue(catalogue)
            except Exception:  # a broken matcher must not break the catalogue API
                log.exception("matcher unavailable; using substring search")
    return state._matcher or None


def _code_of(value) -> Optional[str]:
    return value if isinstance(value, str) else getattr(value, "code", None)


def search_codes(state, session: Session, q: str, limit: int) -> List[str]:
    """Matter codes for the query, best first."""
    matcher = _matcher(state)
    if matcher is not None:
        try:
            result = matcher.match(q, limit)
            if not getattr(result, "abstain", False):
                matches = list(getattr(result, "matches", []))
                # the matcher scores every matter; a search lists only the plausible ones
                floor = max(0.01, 0.05 * max((float(getattr(m, "score", 0) or 0) for m in matches), default=0))
                codes = [_code_of(m.matter) for m in matches if float(getattr(m, "score", 0) or 0) >= floor]
                codes = [c for c in codes if c]
                if codes:
                    return codes
        except Exception:
            log.exception("matcher failed for a query; using substring search")
    words = [w for w in q.lower().split() if w] or [q.lower()]
    stmt = select(models.Matter.code).where(
        or_(*[models.Matter.search_text.contains(w, autoescape=True) for w in words])
    )
    return list(session.execute(stmt.order_by(models.Matter.code)).scalars())
