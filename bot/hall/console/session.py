"""Console sessions: a signed HttpOnly cookie holding the username, the CSRF token and the user's
session generation (logout and a password reset end every session server-side, bot.hall.auth)."""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from typing import Optional

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session

from bot.hall import models
from bot.hall.auth import current_session, end_sessions
from bot.hall.deps import client_ip, get_db, get_state, load_user
from bot.hall.state import HallState
from bot.privacy import mask_text
from bot.hall.tickets import audit, iso
from bot.hall.transcript import REMOTE_IMAGE, web_link
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
# A remote attachment's link: only http(s) becomes a link (web_link); the label says it is not a file.
_env.filters["web_link"] = web_link
_env.globals["REMOTE_IMAGE"] = REMOTE_IMAGE
templates = Jinja2Templates(env=_env)


class Viewer:
    """The logged-in staff member and their CSRF token."""

    def __init__(self, user: models.User, csrf: str, notice: Optional[str] = None):
        self.user, self.csrf, self.notice = user, csrf, notice

    @property
    def sees_all(self) -> bool:
        return self.user.role in ALL_DEPARTMENT_ROLES


def set_session(response, state: HallState, username: str) -> None:
    """The session cookie of a user who has just logged in (Secure is added by app.py behind TLS)."""
    csrf = secrets.token_urlsafe(24)
    with state.sessions() as db:
        user = load_user(db, username)
        generation = (user.session_gen or 0) if user else -1
    response.set_cookie(COOKIE, state.signer.session(username, csrf, generation), httponly=True,
                        samesite="lax", path="/", max_age=12 * 3600)


def _takes_notice(request: Request) -> bool:
    """A page a person reads (not the live events stream, an export or a form post)."""
    return request.method == "GET" and not request.url.path.endswith(("/events", ".csv"))


def optional_viewer(request: Request, state: HallState = Depends(get_state),
                    db: Session = Depends(get_db)) -> Optional[Viewer]:
    cookie = request.cookies.get(COOKIE)
    data = state.signer.read_session(cookie) if cookie else None
    if not data:
        return None
    user = load_user(db, data[0])
    if not current_session(user, data[2]):  # logged out, or the password was reset, since
        return None
    notice = None
    if user.login_notice and _takes_notice(request):
        notice, user.login_notice = user.login_notice, None  # shown once
        db.commit()
    return Viewer(user, data[1], notice)


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


# Registered before the other console pages (console/__init__.py), so this is /console/logout.
router = APIRouter()


@router.post("/logout")
def logout(request: Request, csrf: str = Form(""), who: Viewer = Depends(viewer), db: Session = Depends(get_db)):
    """Ends this user's sessions server-side: the cookie (and any API token) no longer works,
    even if it was copied before."""
    check_csrf(who, csrf)
    end_sessions(who.user)
    audit(db, who.user.username, "logout", ip=client_ip(request))
    db.commit()
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response
