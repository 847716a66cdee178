"""`onetrip bench`: load benchmark of the running assistant against a bare Rasa baseline.

The machinery lives in benchmarks/ (a source checkout only, not part of the installed package).
The CLI runs it as its own process (`python -m benchmarks.bench ARGS`) rather than importing it:
the package never imports upward into the repository's tools. Without benchmarks/ (an installed
wheel) `bench` says why it can't run.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from bot.settings import ROOT, process_env

HELP = "压测：N 个并发群众的多轮对话，对比裸 Rasa 基线（延迟、吞吐、错误、内存）"


def run(args: argparse.Namespace) -> int:
    if not (ROOT / "benchmarks" / "bench.py").exists():
        print("onetrip: bench 需要源码目录中的 benchmarks/（安装包不含压测工具）", file=sys.stderr)
        return 2
    command = [sys.executable, "-m", "benchmarks.bench", *args.bench_args]
    return subprocess.call(command, cwd=ROOT, env=process_env(PYTHONPATH=str(ROOT)))


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("bench", help=HELP, add_help=False,
                            description="压测；参数见 onetrip bench --help（由 benchmarks/bench.py 解析）")
    parser.set_defaults(func=run, bench_args=[])
