"""FastAPI dependencies: the hall state, a database session, who is calling, the ticket a route names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Optional

from fastapi import Depends, HTTPException, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.hall import models, ticket_service
from bot.hall.auth import current_session, same_secret
from bot.hall.state import HallState
from bot.hall.ticket_service import Actor, TicketError


def get_state(request: Request) -> HallState:
    return request.app.state.hall


def get_db(state: HallState = Depends(get_state)) -> Iterator[Session]:
    session = state.sessions()
    try:
        yield session
    finally:
        session.close()


@dataclass
class Caller:
    service: bool
    user: Optional[models.User] = None

    @property
    def name(self) -> str:
        return "service" if self.service else self.user.username


def client_ip(request: Request) -> str:
    """The peer address; behind a configured proxy, the address it forwarded (app.py)."""
    return request.client.host if request.client else ""


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def load_user(session: Session, username: str) -> Optional[models.User]:
    user = session.execute(select(models.User).where(models.User.username == username)).scalar_one_or_none()
    return user if user and user.active else None


def caller(request: Request, state: HallState = Depends(get_state), db: Session = Depends(get_db)) -> Caller:
    """The service token (the action server) or a staff member's bearer token."""
    token = _bearer(request)
    if not token:
        raise HTTPException(401, "需要登录或服务令牌", headers={"WWW-Authenticate": "Bearer"})
    if same_secret(token, state.settings.hall_service_token):
        return Caller(service=True)
    found = state.signer.read_token(token)
    user = load_user(db, found[0]) if found else None
    if user is None or not current_session(user, found[1]):  # logged out or password reset since
        raise HTTPException(401, "令牌无效或已过期，请重新登录", headers={"WWW-Authenticate": "Bearer"})
    return Caller(service=False, user=user)


def messenger(state: HallState):
    """How the hall reaches citizens: Rasa's HTTP API (a test may put its own client on the state)."""
    from bot.hall.rasa_client import RasaClient

    return getattr(state, "rasa", None) or RasaClient(state.settings.rasa_url, state.settings.rasa_token)


def staff_only(who: Caller = Depends(caller)) -> Caller:
    """A staff member's bearer token (from POST /api/auth/login); the bot's service token is not staff."""
    if who.user is None:
        raise HTTPException(403, "此接口仅供工作人员使用，请用工作人员账号登录获取令牌")
    return who


def service_only(who: Caller = Depends(caller)) -> Caller:
    if not who.service:
        raise HTTPException(403, "此接口仅供机器人服务调用")
    return who


# --- the ticket a staff route names (the JSON API and the console alike) ---------------------
# `who` is a staff Caller (bot.hall.api) or a console Viewer: both name the staff member as `user`.

def actor_of(request: Request, who: Any) -> Actor:
    """Who acts, from where: the audit record names both."""
    return Actor(who.user, client_ip(request))


def load_ticket(db: Session, number: str, who: Any) -> models.Ticket:
    """The ticket, if the staff member's department may see it; else the service's refusal as HTTP."""
    try:
        return ticket_service.load(db, number, Actor(who.user))
    except TicketError as exc:
        raise HTTPException(exc.status, exc.reason)
