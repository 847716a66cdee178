"""``onetrip match``: one query per line on stdin, one JSON object per line on stdout."""

from __future__ import annotations

import argparse
import json
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("match", help="按行读取群众说法，输出匹配的事项（JSON Lines）")
    p.add_argument("--top", type=int, default=3, help="每行最多输出几个候选事项（默认 3）")
    p.add_argument("--catalogue", default=None, help="事项库目录（默认 data/catalogue）")
    p.add_argument("--semantic", action=argparse.BooleanOptionalAction, default=True,
                   help="语义级联（默认开启：词法不确定时才加用语义向量）；--no-semantic 只用词法")
    p.add_argument("--no-cache", action="store_true", help="不使用 var/cache 中的索引缓存")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bot.catalogue import CatalogueError
    from bot.matching.loading import load_matcher

    try:
        matcher = load_matcher(args.catalogue, use_cache=not args.no_cache, semantic=args.semantic)
    except CatalogueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    top = max(1, int(args.top))
    stdin = sys.stdin
    if hasattr(stdin, "reconfigure"):
        stdin.reconfigure(encoding="utf-8", errors="replace")  # a bad byte is a bad line, not a crash
    out = sys.stdout
    for raw in stdin:
        query = raw.rstrip("\r\n")
        try:
            line = matcher.match(query, top_k=top).to_json(top)
        except Exception as exc:  # one odd line must never stop the stream
            print(f"onetrip match: {exc!r}", file=sys.stderr)
            line = json.dumps({"query": query, "matches": [], "abstain": True}, ensure_ascii=False)
        out.write(line + "\n")
        out.flush()
    return 0
