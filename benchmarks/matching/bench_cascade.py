"""Quality, semantic-path share and per-query latency of the three matcher modes on dev and eval.

    python benchmarks/matching/bench_cascade.py [--threads 1]

lexical: words only; cascade (the default): lexical first, embedding only when unsure;
semantic: every message embedded. Latency is measured single-threaded per query (after a
warm-up, query-vector cache cleared so repeated texts are not free).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1, help="OpenMP threads for the encoder")
    ap.add_argument("--sets", nargs="*", default=["dev", "eval"])
    args = ap.parse_args()
    from bot.settings import limit_threads  # (no numeric library loaded yet)

    limit_threads(args.threads)
    if args.threads == 1:
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    from bot.matching.evaluate import evaluate, format_report, load_queries
    from bot.matching.loading import load_matcher
    from bot.matching.matcher import Matcher

    base = load_matcher(semantic=True)
    modes = {"lexical": Matcher(base.index, semantic=False)}
    if base.semantic:
        modes["cascade"] = Matcher(base.index, semantic=True)
        modes["semantic"] = Matcher(base.index, semantic=True, cascade=False)
    for name in args.sets:
        queries = load_queries(Path(__file__).resolve().parents[2] / "tests" / "data" / f"{name}_queries.yml")
        for mode, m in modes.items():
            for q in queries[:20]:
                m.match(q.text, 3)
            m._query_vectors.clear()
            times, paths = [], []
            for q in queries:
                s = time.perf_counter()
                r = m.match(q.text, top_k=3)
                times.append((time.perf_counter() - s) * 1000)
                paths.append(r.path)
            m._query_vectors.clear()
            report = evaluate(m, queries)
            times.sort()
            f = report.figures
            share = paths.count("semantic") / len(paths)
            print(f"\n== {name} / {mode}: top1 {f['top1']:.3f} top3 {f['top3']:.3f} dept {f['department']:.3f} "
                  f"abstention {f['abstention']:.3f} | semantic path {share:.3f} | "
                  f"mean {sum(times) / len(times):.2f} ms p50 {times[len(times) // 2]:.2f} ms "
                  f"p95 {times[int(len(times) * 0.95)]:.2f} ms ({args.threads} thread(s))")
            print(format_report(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
