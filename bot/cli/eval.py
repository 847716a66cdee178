"""``onetrip eval``: accuracy of the matter matcher on a labelled query file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("eval", help="在标注查询集上评估事项匹配（准确率、拒识率、部门混淆矩阵）")
    p.add_argument("--queries", default="tests/data/eval_queries.yml", help="标注查询文件")
    p.add_argument("--catalogue", default=None, help="事项库目录（默认 data/catalogue）")
    p.add_argument("--semantic", action=argparse.BooleanOptionalAction, default=True,
                   help="语义级联（默认开启：词法不确定时才加用语义向量）；--no-semantic 只用词法")
    p.add_argument("--png", default=None, help="把部门混淆矩阵画成 PNG，如 docs/eval-confusion.png")
    p.add_argument("--errors", action="store_true", help="列出每一条错误")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bot.matching.evaluate import evaluate, format_report, load_queries
    from bot.matching.loading import load_matcher

    queries = load_queries(args.queries)
    if not queries:
        print(f"onetrip eval: no queries in {args.queries}", file=sys.stderr)
        return 2
    report = evaluate(load_matcher(args.catalogue, semantic=args.semantic), queries, top_k=3)
    print(format_report(report))
    if args.errors:
        for o in report.errors():
            got = "abstain" if o.result.abstain else o.result.matches[0].matter if o.result.matches else "-"
            print(f"  [{o.query.style}] {o.query.text}  gold={o.query.matter}  got={got}")
    if args.png:
        write_confusion_png(report, Path(args.png))
        print(f"department confusion matrix → {args.png}")
    return 0


def write_confusion_png(report, path: Path) -> None:
    from bot.cli.plots import confusion_png
    from bot.matching.evaluate import ABSTAIN, department_confusion

    labels, grid = department_confusion(report)

    def chinese():
        try:  # department names read better than codes
            from bot.catalogue import load_catalogue

            depts = load_catalogue().departments
            return [depts[c].name if c in depts else ("拒识" if c == ABSTAIN else c) for c in labels]
        except Exception:
            return labels

    f = report.figures
    confusion_png(labels, grid, path, f"top1 {f.get('top1', 0):.3f}  dept {f.get('department', 0):.3f}  "
                  f"abstain {f.get('abstention', 0):.3f}", chinese, per_row=False)
