"""`onetrip bench`: load benchmark of the running assistant against a bare Rasa baseline.

The machinery lives in benchmarks/ (not part of the installed package): this module only adds
the repository to the import path and registers the sub-command.
"""

from __future__ import annotations

import argparse
import sys

from bot.settings import ROOT


def run(args: argparse.Namespace) -> int:
    from benchmarks.bench import run as bench

    return bench(args)


def register(sub: argparse._SubParsersAction) -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from benchmarks.bench import add_arguments

    parser = sub.add_parser(
        "bench",
        help="压测：N 个并发群众的多轮对话，对比裸 Rasa 基线（延迟、吞吐、错误、内存）",
        description="Drive the REST webhook with concurrent simulated citizens; compare with a bare Rasa baseline.",
    )
    add_arguments(parser)
    parser.set_defaults(func=run)
