"""POST /api/auth/login: a signed, expiring bearer token for staff; POST /api/auth/logout ends it."""

from __future__ import annotations

from typing import Optional

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from bot.hall.auth import burn_time, end_sessions, hash_password, needs_rehash, text_is_valid, verify_password
from bot.hall.deps import Caller, caller, client_ip, get_db, get_state, load_user
from bot.hall.state import HallState
from bot.hall.tickets import audit

router = APIRouter(tags=["登录"])


class LoginIn(BaseModel):
    username: str = Field(..., min_length=1, max_length=80)
    password: str = Field(..., min_length=1, max_length=200)


class TokenOut(BaseModel):
    token: str
    notice: Optional[str] = Field(None, description="安全提示：上次登录以来的失败登录（只返回一次）")


def check_login(state: HallState, db: Session, username: str, password: str, ip: str):
    """The user, or an HTTPException (401; 422 for text no database can hold; 429 when limited)."""
    if not text_is_valid(username) or not text_is_valid(password):
        # A lone surrogate ("\ud800") or NUL: nothing to look up, and nothing to store in the audit.
        raise HTTPException(422, "用户名或密码含有无效字符")
    refused = state.limiter.blocked(db, username, ip)
    if refused:
        audit(db, username, "login_blocked", ip=ip)
        db.commit()
        raise HTTPException(429, refused)
    user = load_user(db, username)
    if user is None:
        burn_time(password)
    if user is None or not verify_password(password, user.password_hash):
        state.limiter.failed(db, username, ip)
        audit(db, username, "login_failed", ip=ip)
        db.commit()
        raise HTTPException(401, "用户名或密码错误")
    if needs_rehash(user.password_hash):  # e.g. a hash written by passlib
        user.password_hash = hash_password(password)
    state.limiter.succeeded(db, user)
    audit(db, user.username, "login", ip=ip)
    db.commit()
    return user


@router.post("/auth/login", response_model=TokenOut)
def login(body: LoginIn, request: Request, db: Session = Depends(get_db), state: HallState = Depends(get_state)):
    user = check_login(state, db, body.username, body.password, client_ip(request))
    notice, user.login_notice = user.login_notice, None
    db.commit()
    return {"token": state.signer.token(user.username, user.session_gen or 0), "notice": notice}


@router.post("/auth/logout", status_code=204, response_class=Response)
def logout(request: Request, who: Caller = Depends(caller), db: Session = Depends(get_db)):
    """Ends every token and console session of the caller (all devices)."""
    if who.service:
        raise HTTPException(400, "服务令牌不能退出登录")
    user = db.merge(who.user)
    end_sessions(user)
    audit(db, user.username, "logout", ip=client_ip(request))
    db.commit()
    return Response(status_code=204)
