"""Department router cost per message: what routing adds to every message the bot reads.

    .venv/bin/python benchmarks/routing/bench_router.py [--sizes 3600] [--repeat 1]

Each case runs in a fresh process pinned to one CPU core (single-threaded BLAS and e5), like
benchmarks/matching/bench_matcher.py. Messages are writers A's and B's (data/catalogue/routed/writer_A.yml,
writer_B.yml: short questions to 200-character hotline records) plus a 1,000-character record.

Cases: the real catalogue (135 matters) and synthetic catalogues of --sizes matters
(scripts/synthetic_catalogue.py, with the real remit files beside them, so the router is trained
on 3,600 matters' aliases too). For each: the cascade (embeds only unsure messages) and words only.
The matcher is not timed here: its cost is bench_matcher.py's; this is what routing adds.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SETS = ["data/catalogue/routed/writer_A.yml", "data/catalogue/routed/writer_B.yml"]
LONG = ("来电人王**反映：其居住的**小区自去年交付以来问题不断。1. 小区地下车库长期积水，物业一直未处理；"
        "2. 电梯一个月内坏了四次，有一次把老人困在里面半小时；3. 物业费今年上涨40%，未召开业主大会；"
        "4. 公共收益从未公示。来电人称已多次与物业沟通无果，业主群里大家都很气愤。") * 4 + "诉求：请住建部门督促物业整改并公开账目。"


def child(catalogue: str, semantic: bool, repeat: int) -> dict:
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    sys.path.insert(0, str(ROOT))
    from bot.routing.evaluate import load_messages
    from bot.routing.router import load_router

    start = time.perf_counter()
    router = load_router(catalogue, semantic=semantic)
    if semantic:
        router.ensure_vote()
    build_s = time.perf_counter() - start
    texts = [m.text for p in SETS for m in load_messages(ROOT / p)] * repeat
    for t in texts[:50]:  # warm the segmenter and the encoder as a running server would be
        router.route(t)
    times, embedded = [], 0
    for t in texts:
        s = time.perf_counter()
        route = router.route(t)
        times.append((time.perf_counter() - s) * 1000)
        embedded += route.path == "semantic"
    times.sort()
    s = time.perf_counter()
    router.route(LONG)
    long_ms = (time.perf_counter() - s) * 1000
    return {"mode": "cascade" if semantic else "words", "messages": len(times), "build_s": round(build_s, 1),
            "embedded": round(embedded / len(times), 3), "mean_ms": round(sum(times) / len(times), 2),
            "p50_ms": round(times[len(times) // 2], 2), "p95_ms": round(times[int(len(times) * 0.95)], 2),
            "p99_ms": round(times[int(len(times) * 0.99)], 2), "long_ms": round(long_ms, 1)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[3600])
    ap.add_argument("--repeat", type=int, default=1, help="route the messages this many times")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--semantic-child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.semantic_child, args.repeat)))
        return 0
    sys.path.insert(0, str(ROOT / "scripts"))
    from synthetic_catalogue import write

    from bot.settings import process_env

    env = process_env(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        targets = [(str(ROOT / "data/catalogue"), "real (135)")]
        for n in args.sizes:
            path = write(n, Path(tmp) / f"cat-{n}", ROOT / "data/catalogue/departments.yml")
            shutil.copytree(ROOT / "data/catalogue/remits", Path(path) / "remits")
            targets.append((str(path), f"synthetic {n}"))
        for path, kind in targets:
            for semantic in (True, False):
                cmd = [sys.executable, __file__, "--child", path, "--repeat", str(args.repeat)]
                out = subprocess.run(cmd + (["--semantic-child"] if semantic else []), capture_output=True,
                                     text=True, env=env, check=True, cwd=ROOT)
                row = json.loads(out.stdout.strip().splitlines()[-1])
                row["catalogue"] = kind
                rows.append(row)
    cols = ["catalogue", "mode", "messages", "build_s", "embedded", "mean_ms", "p50_ms", "p95_ms", "p99_ms",
            "long_ms"]
    print(" | ".join(f"{c:>14}" for c in cols))
    for row in rows:
        print(" | ".join(f"{str(row[c]):>14}" for c in cols))
    print(f"\none core; long_ms: one {len(LONG)}-character hotline record. command: "
          f".venv/bin/python benchmarks/routing/bench_router.py --sizes {' '.join(map(str, args.sizes))}"
          + (f" --repeat {args.repeat}" if args.repeat != 1 else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
