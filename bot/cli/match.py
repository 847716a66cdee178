"""``onetrip match``: one query per line on stdin, one JSON object per line on stdout."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Optional


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("match", help="按行读取群众说法，输出匹配的事项和主管部门（JSON Lines）")
    p.add_argument("--top", type=int, default=3, help="每行最多输出几个候选事项（默认 3）")
    p.add_argument("--catalogue", default=None, help="事项库目录（默认 data/catalogue）")
    p.add_argument("--semantic", action=argparse.BooleanOptionalAction, default=True,
                   help="语义级联（默认开启：词法不确定时才加用语义向量）；--no-semantic 只用词法")
    p.add_argument("--no-cache", action="store_true", help="不使用 var/cache 中的索引缓存")
    p.set_defaults(func=run)


def _router(args: argparse.Namespace) -> Optional[Any]:
    """The department router, or None (with a warning) when the remit files are missing or wrong:
    matching must keep working whatever the department knowledge says."""
    from bot.catalogue import CatalogueError
    from bot.routing.router import load_router

    try:
        return load_router(args.catalogue, semantic=args.semantic, use_cache=not args.no_cache)
    except CatalogueError as exc:
        print(f"onetrip match: 部门判断不可用，department 输出 null：\n{exc}", file=sys.stderr)
        return None


def _department(router: Optional[Any], query: str, result: Any) -> Optional[dict]:
    """The line's "department": the router's answer, reconciled with the matched matter."""
    if router is None:
        return None
    from bot.routing.router import MatterHint

    hint = MatterHint.from_match({
        "abstain": result.abstain, "clarify": result.clarify,
        "matches": [{"matter": m.matter, "department": m.department, "score": m.score, "name": m.name}
                    for m in result.matches[:1]],
    })
    return router.route(query, hint).brief()


def run(args: argparse.Namespace) -> int:
    from bot.catalogue import CatalogueError
    from bot.matching.loading import load_matcher

    try:
        matcher = load_matcher(args.catalogue, use_cache=not args.no_cache, semantic=args.semantic)
    except CatalogueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    router = _router(args)
    top = max(1, int(args.top))
    stdin = sys.stdin
    if hasattr(stdin, "reconfigure"):
        stdin.reconfigure(encoding="utf-8", errors="replace")  # a bad byte is a bad line, not a crash
    out = sys.stdout
    for raw in stdin:
        query = raw.rstrip("\r\n")
        try:
            result = matcher.match(query, top_k=top)
            row = result.to_dict(top)
        except Exception as exc:  # one odd line must never stop the stream
            print(f"onetrip match: {exc!r}", file=sys.stderr)
            result, row = None, {"query": query, "matches": [], "abstain": True}
        try:
            row["department"] = _department(router, query, result) if result is not None else None
        except Exception as exc:  # nor may the router's failure hide the matches
            print(f"onetrip match: department: {exc!r}", file=sys.stderr)
            row["department"] = None
        line = json.dumps(row, ensure_ascii=False)
        out.write(line + "\n")
        out.flush()
    return 0
