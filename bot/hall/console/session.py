"""Console sessions: a signed HttpOnly cookie holding the username and the CSRF token."""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from typing import Optional

from fastapi import Depends, HTTPException, Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session

from bot.hall import models
from bot.hall.deps import get_db, get_state, load_user
from bot.hall.state import HallState
from bot.privacy import mask_text
from bot.hall.tickets import iso
from bot.vocabulary import ALL_DEPARTMENT_ROLES, Channel, Role, TicketKind, TicketStatus

COOKIE = "hall_session"
LOGIN_CSRF_COOKIE = "hall_login_csrf"

_env = Environment(
    loader=FileSystemLoader(str(Path(__file__).resolve().parents[1] / "templates")),
    autoescape=select_autoescape(["html", "xml"], default=True),  # citizens' text is never markup
)
_env.globals.update(KIND_NAMES=TicketKind.labels(), STATUS_NAMES=TicketStatus.labels(),
                    ROLE_NAMES=Role.labels(), CHANNEL_NAMES=Channel.labels())
_env.filters["local"] = lambda v: (iso(v) or "")[:16].replace("T", " ")
# Phone and ID numbers citizens typed stay masked in staff views until revealed (and audited).
_env.filters["masked"] = lambda v: mask_text(v or "")
templates = Jinja2Templates(env=_env)


class Viewer:
    """The logged-in staff member and their CSRF token."""

    def __init__(self, user: models.User, csrf: str):
        self.user, self.csrf = user, csrf

    @property
    def sees_all(self) -> bool:
        return self.user.role in ALL_DEPARTMENT_ROLES


def set_session(response, state: HallState, username: str) -> None:
    csrf = secrets.token_urlsafe(24)
    response.set_cookie(COOKIE, state.signer.session(username, csrf), httponly=True, samesite="lax",
                        path="/", max_age=12 * 3600)


def optional_viewer(request: Request, state: HallState = Depends(get_state),
                    db: Session = Depends(get_db)) -> Optional[Viewer]:
    cookie = request.cookies.get(COOKIE)
    data = state.signer.read_session(cookie) if cookie else None
    if not data:
        return None
    user = load_user(db, data[0])
    return Viewer(user, data[1]) if user else None


def viewer(found: Optional[Viewer] = Depends(optional_viewer)) -> Viewer:
    if found is None:
        raise HTTPException(303, "请先登录", headers={"Location": "/console/login"})
    return found


def admin_viewer(who: Viewer = Depends(viewer)) -> Viewer:
    if who.user.role != Role.ADMIN:
        raise HTTPException(403, "仅管理员可以访问此页面")
    return who


def check_csrf(who: Viewer, token: Optional[str]) -> None:
    if not token or not hmac.compare_digest(token.encode(), who.csrf.encode()):
        raise HTTPException(403, "表单已失效（CSRF校验失败），请刷新页面后重试")
