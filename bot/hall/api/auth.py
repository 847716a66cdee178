"""POST /api/auth/login: a signed, expiring bearer token for staff."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from bot.hall.auth import burn_time, verify_password
from bot.hall.deps import client_ip, get_db, get_state, load_user
from bot.hall.state import HallState
from bot.hall.tickets import audit

router = APIRouter(tags=["登录"])


class LoginIn(BaseModel):
    username: str = Field(..., min_length=1, max_length=80)
    password: str = Field(..., min_length=1, max_length=200)


class TokenOut(BaseModel):
    token: str


def check_login(state: HallState, db: Session, username: str, password: str, ip: str):
    """The user, or an HTTPException (401, or 429 when rate-limited)."""
    if state.limiter.blocked(username, ip):
        raise HTTPException(429, "登录失败次数过多，请1分钟后再试")
    user = load_user(db, username)
    if user is None:
        burn_time(password)
    if user is None or not verify_password(password, user.password_hash):
        state.limiter.failed(username, ip)
        audit(db, username, "login_failed", ip=ip)
        db.commit()
        raise HTTPException(401, "用户名或密码错误")
    state.limiter.succeeded(username, ip)
    audit(db, user.username, "login", ip=ip)
    db.commit()
    return user


@router.post("/auth/login", response_model=TokenOut)
def login(body: LoginIn, request: Request, db: Session = Depends(get_db), state: HallState = Depends(get_state)):
    user = check_login(state, db, body.username, body.password, client_ip(request))
    return {"token": state.signer.token(user.username)}
