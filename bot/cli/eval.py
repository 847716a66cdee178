"""``onetrip eval``: accuracy of the matter matcher on a labelled query file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List


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


def _cjk_font() -> List[str]:
    from matplotlib import font_manager

    wanted = ("Noto Sans CJK", "Noto Serif CJK", "WenQuanYi", "Source Han", "SimHei", "Microsoft YaHei",
              "PingFang", "AR PL", "Droid Sans Fallback")
    names = {f.name for f in font_manager.fontManager.ttflist}
    return [n for n in names if any(n.startswith(w) for w in wanted)]


def write_confusion_png(report, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from bot.matching.evaluate import ABSTAIN, department_confusion

    labels, grid = department_confusion(report)
    fonts = _cjk_font()
    names = labels
    if fonts:  # department names read better, but only if the glyphs exist
        plt.rcParams["font.sans-serif"] = fonts + plt.rcParams["font.sans-serif"]
        try:
            from bot.catalogue import load_catalogue

            depts = load_catalogue().departments
            names = [depts[c].name if c in depts else ("拒识" if c == ABSTAIN else c) for c in labels]
        except Exception:
            names = labels
    size = max(6.0, 0.45 * len(labels) + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(grid, cmap="Blues")
    ax.set_xticks(range(len(labels)), names, rotation=90, fontsize=8)
    ax.set_yticks(range(len(labels)), names, fontsize=8)
    for i, row in enumerate(grid):
        for j, value in enumerate(row):
            if value:
                ax.text(j, i, str(value), ha="center", va="center", fontsize=7,
                        color="white" if value > max(map(max, grid)) / 2 else "black")
    ax.set_xlabel("predicted department")
    ax.set_ylabel("expected department")
    fig_text = report.figures
    ax.set_title(f"top1 {fig_text.get('top1', 0):.3f}  dept {fig_text.get('department', 0):.3f}  "
                 f"abstain {fig_text.get('abstention', 0):.3f}")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
