"""``onetrip catalogue validate|audit|import PATH``: check a 事项库 directory, audit its provenance,
load it into the hall."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("catalogue", help="校验或导入事项库")
    sub = p.add_subparsers(dest="catalogue_command", metavar="ACTION")
    validate = sub.add_parser("validate", help="校验事项库目录和词表（data/lexicon），列出所有问题")
    validate.add_argument("path", help="事项库目录，如 data/catalogue")
    validate.add_argument("--lexicon", default=None, help="词表目录（默认 data/lexicon）")
    _max_age_option(validate)
    validate.set_defaults(func=run_validate)
    audit = sub.add_parser("audit", help="列出每个事项无依据、未核实、核对过期、通用链接和引用旧版本的事实")
    audit.add_argument("path", help="事项库目录，如 data/catalogue")
    _max_age_option(audit)
    audit.add_argument("--baseline", default=None,
                       help="基线文件（默认 PATH/audit-baseline.yml）；新事项带来问题、或已有事项新增问题时退出码为 1")
    audit.add_argument("--laws", default=None, help="法规现行版本表（默认 PATH/laws.yml）")
    audit.add_argument("--write-baseline", action="store_true", help="把当前结果写成基线（核实后更新基线用）")
    audit.add_argument("--new", action="store_true", help="只列出基线之外新增的问题")
    audit.set_defaults(func=run_audit)
    load = sub.add_parser("import", help="校验后导入服务大厅数据库（按编码更新，可重复执行）")
    load.add_argument("path", help="事项库目录，如 data/catalogue")
    load.set_defaults(func=run_import)
    p.set_defaults(func=lambda args: (p.print_help(), 0)[1])


def _max_age_option(parser: argparse.ArgumentParser) -> None:
    from bot.settings import catalogue_max_age_days

    parser.add_argument("--max-age-days", type=int, default=catalogue_max_age_days(),
                        help="verified_on 超过多少天提示重新核对（默认 180，或环境变量 ONETRIP_CATALOGUE_MAX_AGE_DAYS）")


def _load(path: str, max_age_days=None):
    from bot.catalogue import CatalogueError, load_catalogue

    try:
        return load_catalogue(path, max_age_days=max_age_days)
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
    catalogue = _load(args.path, getattr(args, "max_age_days", None))
    if catalogue is None:
        return 2  # as `onetrip up` and `onetrip train` with a broken catalogue
    from bot.catalogue import default_catalogue_path
    from bot.catalogue.lexicons import SCHEMAS, lexicon_problems

    # The shipped lexicons name the shipped catalogue's matters: their codes are held against the
    # catalogue validated when it is that one, or when a lexicon directory is given with it; another
    # catalogue (a test's, a deployment's own) has its schema checked only.
    own = args.lexicon or Path(args.path).resolve() == default_catalogue_path().resolve()
    problems = lexicon_problems(Path(args.lexicon) if args.lexicon else None,
                                matter_codes=[*catalogue.matters, *catalogue.bundles] if own else None)
    if problems:
        print(f"词表校验未通过，共 {len(problems)} 个问题：", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2
    for warning in catalogue.warnings:
        print(f"提示：{warning}", file=sys.stderr)
    print(f"校验通过：{_summary(catalogue)}；词表 {len(SCHEMAS)} 个" + (f"；{len(catalogue.warnings)} 个事项需要重新核对" if catalogue.warnings else ""))
    return 0


def run_audit(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot.catalogue.audit import (BASELINE_FILE, KINDS, LAWS_FILE, audit, format_report, load_baseline,
                                     load_laws, regressions, summary, write_baseline)

    catalogue = _load(args.path, None)
    if catalogue is None:
        return 2
    root = Path(args.path)
    laws = load_laws(args.laws or root / LAWS_FILE)
    results = audit(catalogue, laws, max_age_days=args.max_age_days)
    baseline_path = Path(args.baseline) if args.baseline else root / BASELINE_FILE
    if args.write_baseline:
        write_baseline(baseline_path, results)
        print(f"已写入基线：{baseline_path}（{len(results)} 个事项）")
        return 0
    baseline = load_baseline(baseline_path)
    added = regressions(results, baseline or {}) if baseline is not None else {}
    shown = added if args.new else results
    for line in format_report(shown, catalogue.files):
        print(line)
    counts = summary(results)
    flagged = sum(1 for findings in results.values() if findings)
    print(f"\n共 {len(results)} 个事项，其中 {flagged} 个有待核对的事实：" +
          "，".join(f"{KINDS[k]} {v} 项" for k, v in counts.items()))
    if baseline is None:
        print(f"没有基线文件 {baseline_path}：只列出，不判定。用 --write-baseline 生成。", file=sys.stderr)
        return 0
    if added:
        print(f"\n审计未通过：{len(added)} 个事项有基线（{baseline_path.name}）之外的新问题：", file=sys.stderr)
        for line in format_report(added, catalogue.files):
            print(f"  {line}", file=sys.stderr)
        print("请为新事实填写依据（basis，文号和条款）或核实后再提交；确属无法核实的标注 unverified: true"
              " 并由管理员更新基线。", file=sys.stderr)
        return 1
    print("审计通过：没有基线之外的新问题。")
    return 0


def run_import(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from bot.hall.catalogue_store import import_catalogue
    from bot.hall.db import make_engine, make_sessionmaker, session_scope, upgrade
    from bot.settings import get_settings

    catalogue = _load(args.path)
    if catalogue is None:
        return 2
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
