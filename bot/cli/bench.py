"""`onetrip bench`: load benchmark of the running assistant against a bare Rasa baseline.

The machinery lives in benchmarks/ (a source checkout only, not part of the installed package):
this module adds the repository to the import path and registers the sub-command. Without
benchmarks/ (an installed wheel) the other commands keep working and `bench` says why it can't.
"""

from __future__ import annotations

import argparse
import sys

from bot.settings import ROOT

HELP = "压测：N 个并发群众的多轮对话，对比裸 Rasa 基线（延迟、吞吐、错误、内存）"


def run(args: argparse.Namespace) -> int:
    from benchmarks.bench import run as bench

    return bench(args)


def unavailable(args: argparse.Namespace) -> int:
    print("onetrip: bench needs a source checkout (benchmarks/ is not installed with the package)", file=sys.stderr)
    return 2


def register(sub: argparse._SubParsersAction) -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    try:
        from benchmarks.bench import add_arguments
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith("benchmarks"):
            raise
        sub.add_parser("bench", help=HELP).set_defaults(func=unavailable)
        return
    parser = sub.add_parser(
        "bench", help=HELP,
        description="Drive the REST webhook with concurrent simulated citizens; compare with a bare Rasa baseline.",
    )
    add_arguments(parser)
    parser.set_defaults(func=run)
