"""``onetrip users add``: staff accounts of the service hall console."""

from __future__ import annotations

import argparse
import sys

from bot.vocabulary import Role


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("users", help="管理服务大厅工作人员账号")
    sub = p.add_subparsers(dest="users_command", metavar="ACTION")
    add = sub.add_parser("add", help="新增工作人员账号")
    add.add_argument("name", help="用户名")
    add.add_argument("--role", choices=Role.values(), default=Role.STAFF.value,
                     help="staff=窗口工作人员（只看本部门），supervisor=主管，admin=管理员")
    add.add_argument("--department", default=None, help="所属部门编码，如 gongan（staff 必填）")
    add.add_argument("--password", default=None, help="密码（不填则自动生成并显示一次）")
    add.set_defaults(func=run_add)
    p.set_defaults(func=lambda args: (p.print_help(), 0)[1])


def run_add(args: argparse.Namespace) -> int:
    from bot.hall.db import make_engine, make_sessionmaker, upgrade
    from bot.hall.tickets import audit
    from bot.hall.users import UserError, add_user
    from bot.settings import get_settings

    settings = get_settings()
    engine = make_engine(settings.database_url)
    try:
        upgrade(engine)
        session = make_sessionmaker(engine)()
        try:
            user, password = add_user(session, args.name, args.role, args.department, args.password)
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
    if args.password is None:
        print(f"初始密码：{password}（只显示这一次，请妥善转交）")
    return 0
