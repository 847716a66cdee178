"""``onetrip catalogue validate|import PATH``: check a 事项库 directory, load it into the hall."""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("catalogue", help="校验或导入事项库")
    sub = p.add_subparsers(dest="catalogue_command", metavar="ACTION")
    validate = sub.add_parser("validate", help="校验事项库目录，列出所有问题")
    validate.add_argument("path", help="事项库目录，如 data/catalogue")
    validate.set_defaults(func=run_validate)
    load = sub.add_parser("import", help="校验后导入服务大厅数据库（按编码更新，可重复执行）")
    load.add_argument("path", help="事项库目录，如 data/catalogue")
    load.set_defaults(func=run_import)
    p.set_defaults(func=lambda args: (p.print_help(), 0)[1])


def _load(path: str):
    from bot.catalogue import CatalogueError, load_catalogue

    try:
        return load_catalogue(path)
    except CatalogueError as exc:
        print(f"事项库校验未通过，共 {len(exc.problems)} 个问题：", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        return None


def _summary(catalogue) -> str:
    kinds = {}
    for matter in catalogue.matters.values():
        kinds[matter.kind] = kinds.get(matter.kind, 0) + 1
    detail = "，".join(f"{k} {v} 个" for k, v in sorted(kinds.items()))
    return (f"{len(catalogue.matters)} 个事项（{detail}），{len(catalogue.bundles)} 个一件事，"
            f"{len(catalogue.departments)} 个部门")


def run_validate(args: argparse.Namespace) -> int:
    catalogue = _load(args.path)
    if catalogue is None:
        return 1
    print(f"校验通过：{_summary(catalogue)}")
    return 0


def run_import(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from bot.hall.catalogue_store import import_catalogue
    from bot.hall.db import make_engine, make_sessionmaker, session_scope, upgrade
    from bot.settings import get_settings

    catalogue = _load(args.path)
    if catalogue is None:
        return 1
    engine = make_engine(get_settings().database_url)
    try:
        upgrade(engine)
        with session_scope(make_sessionmaker(engine)) as session:
            count = import_catalogue(session, catalogue,
                                     progress=lambda codes: tqdm(codes, desc="导入事项", unit="项"))
    finally:
        engine.dispose()
    print(f"导入完成：{_summary(catalogue)}（共写入 {count} 条办事指南）")
    return 0
