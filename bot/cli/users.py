"""``onetrip users add``: staff accounts of the service hall console."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Optional

from bot.vocabulary import Role


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("users", help="管理服务大厅工作人员账号")
    sub = p.add_subparsers(dest="users_command", metavar="ACTION")
    add = sub.add_parser("add", help="新增工作人员账号")
    add.add_argument("name", help="用户名")
    add.add_argument("--role", choices=Role.values(), default=Role.STAFF.value,
                     help="staff=窗口工作人员（只看本部门），supervisor=主管，admin=管理员")
    add.add_argument("--department", default=None, help="所属部门编码，如 gongan（staff 必填）")
    # Never the password itself on the command line (other users see it in `ps` and the shell history).
    given = add.add_mutually_exclusive_group()
    given.add_argument("--password", action="store_true",
                       help="自己设定密码：在终端提示输入（不回显）；标准输入不是终端时读取其第一行。"
                            "不加此项则自动生成密码并显示一次")
    given.add_argument("--password-file", metavar="PATH",
                       help="从文件第一行读取密码（文件权限须为 0600，只有本人可读）")
    add.add_argument("--display-name", default=None,
                     help="群众看到的称呼，如“王警官”（不填则显示“某部门工作人员”，从不显示用户名）")
    add.set_defaults(func=run_add)
    p.set_defaults(func=lambda args: (p.print_help(), 0)[1])


class PasswordInputError(ValueError):
    """The password could not be read; the message is Chinese."""


def read_password(args: argparse.Namespace) -> Optional[str]:
    """The password chosen by the operator, or None to generate one. Never from argv."""
    if getattr(args, "password_file", None):
        path = Path(args.password_file)
        try:
            mode = path.stat().st_mode
            if mode & 0o077:
                raise PasswordInputError(f"密码文件 {path} 的权限是 {oct(mode & 0o777)}，"
                                         f"其他用户可读；请先执行 chmod 600 {path}")
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise PasswordInputError(f"无法读取密码文件 {path}（{exc.strerror or exc}）")
        return lines[0] if lines else ""
    if not getattr(args, "password", False):
        return None
    if sys.stdin is not None and sys.stdin.isatty():
        first = getpass.getpass("新密码（至少10位）：")
        if getpass.getpass("再输入一次：") != first:
            raise PasswordInputError("两次输入的密码不一致")
        return first
    line = sys.stdin.readline() if sys.stdin is not None else ""
    return line.rstrip("\r\n")


def run_add(args: argparse.Namespace) -> int:
    from bot.hall.db import make_engine, make_sessionmaker, upgrade
    from bot.hall.tickets import audit
    from bot.hall.users import UserError, add_user
    from bot.settings import get_settings

    try:
        chosen = read_password(args)
    except PasswordInputError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    settings = get_settings()
    engine = make_engine(settings.database_url)
    try:
        upgrade(engine)
        session = make_sessionmaker(engine)()
        try:
            user, password = add_user(session, args.name, args.role, args.department, chosen,
                                      display_name=getattr(args, "display_name", None))
            audit(session, None, "user_add", user.username, f"命令行创建，角色 {user.role}")
            session.commit()
        except UserError as exc:
            session.rollback()
            print(f"错误：{exc}", file=sys.stderr)
            return 2
        finally:
            session.close()
    finally:
        engine.dispose()
    where = f"，部门 {user.department}" if user.department else ""
    print(f"已创建用户 {user.username}（{user.role}{where}）")
    if chosen is None:
        print(f"初始密码：{password}（只显示这一次，请妥善转交）")
    return 0
