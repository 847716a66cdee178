"""Staff accounts, shared by the CLI and the admin page."""

from __future__ import annotations

from typing import Optional, Tuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.hall import models
from bot.hall.auth import generate_password, hash_password, password_problem, text_is_valid
from bot.hall.db import utcnow
from bot.vocabulary import Role


class UserError(ValueError):
    """A user cannot be created or changed; the message is Chinese."""


def add_user(
    session: Session, username: str, role: str, department: Optional[str], password: Optional[str] = None,
    display_name: Optional[str] = None,
) -> Tuple[models.User, str]:
    """Create a user; returns it with its password (generated when none is given). Caller commits."""
    username = (username or "").strip()
    if not username or len(username) > 80 or any(ch.isspace() for ch in username):
        raise UserError("用户名不能为空、不能含空格，最长80个字符")
    if not text_is_valid(username) or not username.isprintable():
        raise UserError("用户名含有无效字符")
    if role not in Role.values():
        raise UserError(f"角色只能是 {' / '.join(Role.values())}")
    if role == Role.STAFF and not department:
        raise UserError("窗口工作人员（staff）必须指定所属部门 --department")
    if department and session.get(models.Department, department) is None:
        raise UserError(f"未知部门：{department}（请先导入事项库，或检查部门编码）")
    if session.execute(select(models.User).where(models.User.username == username)).scalar_one_or_none():
        raise UserError(f"用户 {username} 已存在")
    problem = password_problem(password, username) if password is not None else None
    if problem:
        raise UserError(problem)
    display_name = (display_name or "").strip() or None
    if display_name and len(display_name) > 80:
        raise UserError("显示名称最长80个字符")
    password = password or generate_password()
    user = models.User(username=username, password_hash=hash_password(password), role=role,
                       department=department or None, active=True, created_at=utcnow(),
                       display_name=display_name)
    session.add(user)
    session.flush()
    return user, password
