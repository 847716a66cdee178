"""``onetrip eval-routing``: how often the department router names the right department.

By default on the held-out sets (tests/data/routing/holdout_*.yml, never learnt from nor tuned on).
``--out-of-fold`` scores the training part (data/catalogue/routed/) writer by writer, each by a
router fitted without that writer's messages: a figure on messages the router never learnt.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Dict, Optional

DEFAULT_MESSAGES = ["tests/data/routing/holdout_C.yml", "tests/data/routing/holdout_O.yml"]
DEFAULT_PNG = "docs/routing-confusion-holdout.png"
OUT_OF_FOLD_PNG = "docs/routing-confusion.png"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("eval-routing", help="在标注了主管部门的群众消息上评估部门判断（判对率、拒识率、混淆矩阵）")
    p.add_argument("--messages", nargs="+", default=None,
                   help="标注消息文件（默认两个留出集 " + "、".join(DEFAULT_MESSAGES) + "，从不用于训练和调参）")
    p.add_argument("--out-of-fold", action="store_true",
                   help="改为评估训练部分 data/catalogue/routed/：每位写作者的消息由不含其消息训练出的路由器判断")
    p.add_argument("--catalogue", default=None, help="事项库目录（默认 data/catalogue）")
    p.add_argument("--semantic", action=argparse.BooleanOptionalAction, default=True,
                   help="语义级联（默认开启：词法不确定时才加用语义向量）；--no-semantic 只用词法")
    p.add_argument("--matter", action=argparse.BooleanOptionalAction, default=True,
                   help="像机器人一样先匹配事项，再与部门判断对照（默认开启）；--no-matter 只看部门判断")
    p.add_argument("--png", default=None,
                   help=f"混淆矩阵图片（默认 {DEFAULT_PNG}，--out-of-fold 时 {OUT_OF_FOLD_PNG}）；--png '' 不画")
    p.add_argument("--json", action="store_true", help="输出 JSON 而不是表格")
    p.add_argument("--errors", action="store_true", help="列出每一条判错的消息")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bot.catalogue import CatalogueError
    from bot.routing.evaluate import combine, evaluate, format_report, load_messages, report_json
    from bot.routing.router import load_router

    semantic = None if args.semantic else False
    try:
        matter_of = _matter_hints(args) if args.matter else None
        if args.out_of_fold:
            if args.messages:
                print("onetrip eval-routing: --out-of-fold 评估的是 data/catalogue/routed/，不能同时给 --messages",
                      file=sys.stderr)
                return 2
            router, reports = _out_of_fold(args, matter_of, semantic)
        else:
            sets = {}
            for path in args.messages or DEFAULT_MESSAGES:
                messages = load_messages(path)
                if not messages:
                    print(f"onetrip eval-routing: no messages in {path}", file=sys.stderr)
                    return 2
                sets[path] = messages
            router = load_router(args.catalogue, semantic=args.semantic)
            router.ensure_vote()  # embed the knowledge now, not inside the first message's timing
            reports = {path: evaluate(router, messages, matter_of, semantic=semantic) for path, messages in sets.items()}
    except CatalogueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    combined = combine(list(reports.values()))
    if args.json:
        out: Dict[str, object] = {"files": {p: report_json(r) for p, r in reports.items()}}
        if len(reports) > 1:
            out["all"] = report_json(combined)
        print(json.dumps(out, ensure_ascii=False, indent=1))
    else:
        for path, report in reports.items():
            print(f"== {path}")
            print(format_report(report, router.names))
            print()
        if len(reports) > 1:
            print("== 合计")
            print(format_report(combined, router.names))
        if args.errors:
            for report in reports.values():
                for o in report.errors():
                    print(f"  [{o.message.style}] {o.message.text[:80]}  应为={o.message.department}"
                          f"  判为={o.predicted}（{o.route.score:.2f}）")
    png = args.png if args.png is not None else (OUT_OF_FOLD_PNG if args.out_of_fold else DEFAULT_PNG)
    if png:
        write_confusion_png(combined, Path(png), router.names, ", ".join(Path(p).stem for p in reports))
        if not args.json:
            print(f"部门混淆矩阵 → {png}")
    return 0


def _out_of_fold(args: argparse.Namespace, matter_of, semantic: Optional[bool]):
    """Each writer of the routed messages, scored by a router fitted without that writer's messages."""
    from bot.catalogue import load_catalogue
    from bot.routing.evaluate import LabelledMessage, evaluate
    from bot.routing.knowledge import ROUTED_DIR, load_knowledge
    from bot.routing.router import DepartmentRouter

    catalogue = load_catalogue(args.catalogue)
    knowledge = load_knowledge(args.catalogue, catalogue.departments)
    reports, router = {}, None
    for writer in sorted({m.writer for m in knowledge.routed}):
        router = DepartmentRouter.fit(knowledge.without_writers([writer]), catalogue, semantic=args.semantic)
        router.ensure_vote()
        messages = [LabelledMessage.of(m) for m in knowledge.routed if m.writer == writer]
        reports[f"{ROUTED_DIR}/{writer}（不含其消息训练）"] = evaluate(router, messages, matter_of, semantic=semantic)
    if router is None:
        raise SystemExit(f"onetrip eval-routing: {ROUTED_DIR}/ 里没有消息")
    return router, reports


def _matter_hints(args: argparse.Namespace):
    from bot.matching.loading import load_matcher
    from bot.routing.router import MatterHint

    matcher = load_matcher(args.catalogue, semantic=args.semantic)

    def hint(text: str) -> Optional[MatterHint]:
        result = matcher.match(text, top_k=1)
        return MatterHint.from_match({
            "abstain": result.abstain, "clarify": result.clarify,
            "matches": [{"matter": m.matter, "department": m.department, "score": m.score, "name": m.name}
                        for m in result.matches[:1]],
        })

    return hint


def write_confusion_png(report, path: Path, names: Dict[str, str], title: str = "") -> None:
    from bot.cli.plots import confusion_png
    from bot.routing.evaluate import OUTSIDE_LABEL, confusion
    from bot.routing.training import NONE

    labels, grid = confusion(report)
    f = report.figures
    confusion_png(labels, grid, path, f"{title}  routed right {f['routed_right']:.3f}  precision {f['precision']:.3f}  "
                  f"outside kept out {f['outside_recall']:.3f}",
                  lambda: [OUTSIDE_LABEL if c == NONE else names.get(c, c) for c in labels], per_row=True,
                  title_size=9)
