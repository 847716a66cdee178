"""The ``onetrip`` command. Each sub-command lives in its own module with a ``register`` function."""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import List, Optional

# Modules under bot.cli that add a sub-command; each has register(subparsers).
COMMANDS = ["up", "train", "catalogue", "match", "eval", "eval_dialogues", "eval_routing", "users", "bench", "retention"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="onetrip",
        description="OneTrip（一次办）：最多跑一次的群众办事助手。",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"bot.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"bot.cli.{name}":
                continue  # not written yet in this checkout
            raise
        module.register(sub)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    # `onetrip bench` passes its options through to benchmarks/bench.py, which parses them.
    args, extra = parser.parse_known_args(argv)
    if extra:
        if not hasattr(args, "bench_args"):
            parser.error("无法识别的参数 / unrecognized arguments: " + " ".join(extra))
        args.bench_args = extra
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
