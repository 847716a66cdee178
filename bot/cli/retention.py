"""``onetrip retention [--dry-run]``: delete or anonymise personal data past its retention period."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("retention", help="按保存期限删除聊天记录、匿名化工单（统计数字保留）")
    p.add_argument("--dry-run", action="store_true", help="只列出将被删除或匿名化的内容，不做改动")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from types import SimpleNamespace

    from bot.hall import retention
    from bot.hall.db import make_engine, make_sessionmaker, upgrade
    from bot.hall.stats import ConversationFollower
    from bot.settings import get_settings

    settings = get_settings()
    engine = make_engine(settings.database_url)
    try:
        upgrade(engine)
        sessions = make_sessionmaker(engine)
        follower = ConversationFollower(SimpleNamespace(sessions=sessions, settings=settings))
        try:
            plan = retention.run(sessions, settings, dry_run=args.dry_run, catch_up=follower.catch_up)
        finally:
            follower.close()
    finally:
        engine.dispose()
    print(("【演练，未做任何改动】\n" if args.dry_run else "") + plan.summary())
    return 0
