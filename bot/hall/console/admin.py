"""Admin pages: user management and the audit log."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.hall import models
from bot.hall.auth import end_sessions, generate_password, hash_password
from bot.hall.deps import client_ip, get_db
from bot.hall.tickets import audit
from bot.hall.users import UserError, add_user
from bot.hall.console.session import Viewer, admin_viewer, check_csrf, templates

router = APIRouter()


def _users_page(request: Request, who: Viewer, db: Session, message: str = "", status: int = 200):
    users = db.execute(select(models.User).order_by(models.User.username)).scalars().all()
    departments = db.execute(select(models.Department).order_by(models.Department.code)).scalars().all()
    return templates.TemplateResponse(request, "users.html", {
        "who": who, "users": users, "departments": departments, "message": message,
    }, status_code=status)


def _user(db: Session, username: str) -> models.User:
    """The account an admin action names, active or not."""
    user = db.execute(select(models.User).where(models.User.username == username)).scalar_one_or_none()
    if user is None:
        raise HTTPException(404, "没有这个用户")
    return user


@router.get("/users", response_class=HTMLResponse)
def users(request: Request, who: Viewer = Depends(admin_viewer), db: Session = Depends(get_db)):
    return _users_page(request, who, db)


@router.post("/users", response_class=HTMLResponse)
def create_user(request: Request, username: str = Form(..., max_length=80), role: str = Form(...),
                department: str = Form(""), csrf: str = Form(""), who: Viewer = Depends(admin_viewer),
                db: Session = Depends(get_db)):
    check_csrf(who, csrf)
    try:
        user, password = add_user(db, username, role, department or None)
    except UserError as exc:
        db.rollback()
        return _users_page(request, who, db, str(exc), status=422)
    audit(db, who.user.username, "user_add", user.username, f"角色 {role} 部门 {department or '—'}",
          ip=client_ip(request))
    db.commit()
    return _users_page(request, who, db, f"已创建用户 {user.username}，初始密码：{password}（只显示这一次）")


@router.post("/users/{username}/toggle", response_class=HTMLResponse)
def toggle_user(request: Request, username: str, csrf: str = Form(""), who: Viewer = Depends(admin_viewer),
                db: Session = Depends(get_db)):
    check_csrf(who, csrf)
    user = _user(db, username)
    if user.id == who.user.id:
        return _users_page(request, who, db, "不能停用自己的账号", status=422)
    user.active = not user.active
    if not user.active:
        end_sessions(user)
    audit(db, who.user.username, "user_enable" if user.active else "user_disable", username, ip=client_ip(request))
    db.commit()
    return _users_page(request, who, db, f"用户 {username} 已{'启用' if user.active else '停用'}")


@router.post("/users/{username}/reset", response_class=HTMLResponse)
def reset_password(request: Request, username: str, csrf: str = Form(""), who: Viewer = Depends(admin_viewer),
                   db: Session = Depends(get_db)):
    check_csrf(who, csrf)
    user = _user(db, username)
    password = generate_password()
    user.password_hash = hash_password(password)
    end_sessions(user)  # whoever held the old password (or a copied cookie or token) is out
    audit(db, who.user.username, "user_reset_password", username, ip=client_ip(request))
    db.commit()
    return _users_page(request, who, db, f"用户 {username} 的新密码：{password}（只显示这一次）")


@router.get("/audit", response_class=HTMLResponse)
def audit_log(request: Request, who: Viewer = Depends(admin_viewer), db: Session = Depends(get_db)):
    entries = db.execute(select(models.AuditEntry).order_by(models.AuditEntry.id.desc()).limit(500)).scalars().all()
    return templates.TemplateResponse(request, "audit.html", {"who": who, "entries": entries})
