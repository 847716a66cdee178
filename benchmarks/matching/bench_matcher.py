"""Matcher cost at catalogue scale: index build time, memory (RSS) and per-query latency.

    python benchmarks/matching/bench_matcher.py [--sizes 3600 20000] [--queries 2000]

Each size runs in a fresh process pinned to one CPU core (and single-threaded BLAS), on a
synthetic catalogue written by scripts/synthetic_catalogue.py into a temporary directory.
Queries are catalogue aliases with the kind of noise citizens add, plus chit-chat.

Both modes are reported: lexical (--no-semantic) and the semantic cascade (the default). The
cascade's build embeds name + 3 aliases per matter; where that is estimated (from a timed sample
of 128 texts) to exceed --embed-budget seconds, the build time is reported as an estimate
(suffix "~") and the matter vectors are filled from the sample so that query latency (query
embedding + one matrix product) is still measured at that size.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOISE_BEFORE = ["请问", "你好，", "我想问一下", "麻烦问下", "", "", "阿拉", "我家里"]
NOISE_AFTER = ["怎么办", "去哪里办", "要带什么材料", "咋弄", "？", "", "能网上办吗", "要多久"]
CHITCHAT = ["你好", "今天天气怎么样", "讲个笑话", "谢谢", "你是谁", "我想办个证", "材料要哪些", "去哪个部门"]


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def child(catalogue: str, n_queries: int, semantic: bool = False, embed_budget: float = 120.0) -> dict:
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    sys.path.insert(0, str(ROOT))
    from bot.catalogue import load_catalogue
    from bot.matching.matcher import Matcher

    import jieba  # noqa: F401  (imported before the baseline so it is not counted as index)

    base = rss_mb()
    t0 = time.perf_counter()
    cat = load_catalogue(catalogue)
    t1 = time.perf_counter()
    matcher = Matcher.from_catalogue(cat)
    t2 = time.perf_counter()
    build_s = f"{t2 - t1:.2f}"
    if semantic:
        import numpy as np

        from bot.matching.semantic import load_encoder, matter_texts

        enc = load_encoder()
        per = [matter_texts(g.name, g.aliases) for g in cat.all_guides()]
        flat = [t for ts in per for t in ts]
        s0 = time.perf_counter()
        sample = enc.passages(flat[:128])
        rate = (time.perf_counter() - s0) / len(sample)
        est = rate * len(flat)
        if est <= embed_budget:
            from bot.matching.semantic import matter_vectors

            s0 = time.perf_counter()
            dense = matter_vectors(enc, per, use_cache=False)
            build_s = f"{t2 - t1 + time.perf_counter() - s0:.1f}"
        else:
            dense = np.resize(sample, (len(per), sample.shape[1]))
            build_s = f"~{t2 - t1 + est:.0f}"
        matcher.index.dense = dense.astype(np.float16)
        matcher.index.dense_doc = np.arange(len(per), dtype=np.int32)
        matcher = Matcher(matcher.index, semantic=True)
    rng = random.Random(1)
    aliases = [a for m in cat.matters.values() for a in m.aliases]
    queries = []
    for i in range(n_queries):
        if i % 10 == 0:
            queries.append(rng.choice(CHITCHAT))
        else:
            queries.append(rng.choice(NOISE_BEFORE) + rng.choice(aliases) + rng.choice(NOISE_AFTER))
    for q in queries[:50]:  # warm the per-character pinyin cache as a running server would be
        matcher.match(q)
    times, sem_path = [], 0
    for q in queries:
        s = time.perf_counter()
        r = matcher.match(q, top_k=5)
        times.append((time.perf_counter() - s) * 1000)
        sem_path += r.path == "semantic"
    times.sort()
    long_text = "我想问一下" * 200
    s = time.perf_counter()
    matcher.match(long_text)
    long_ms = (time.perf_counter() - s) * 1000
    return {
        "mode": "cascade" if semantic else "lexical", "sem_share": round(sem_path / len(queries), 3),
        "mean_ms": round(sum(times) / len(times), 2),
        "matters": len(cat.matters), "load_s": round(t1 - t0, 2), "build_s": build_s,
        "rss_mb": round(rss_mb() - base, 1),
        "p50_ms": round(times[len(times) // 2], 3), "p95_ms": round(times[int(len(times) * 0.95)], 3),
        "max_ms": round(times[-1], 3), "long_1000ch_ms": round(long_ms, 2), "queries": len(times),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[3600, 20000])
    ap.add_argument("--queries", type=int, default=2000)
    ap.add_argument("--real", action="store_true", help="also measure data/catalogue")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--semantic-child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--no-semantic", action="store_true", help="lexical mode only")
    ap.add_argument("--embed-budget", type=float, default=120.0,
                    help="embed the synthetic catalogue only when estimated under this many seconds")
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.queries, args.semantic_child, args.embed_budget)))
        return 0
    sys.path.insert(0, str(ROOT / "scripts"))
    from synthetic_catalogue import write

    from bot.settings import process_env

    env = process_env(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        targets = [(str(ROOT / "data/catalogue"), "real")] if args.real else []
        for n in args.sizes:
            targets.append((str(write(n, Path(tmp) / f"cat-{n}", ROOT / "data/catalogue/departments.yml")), "synthetic"))
        for path, kind in targets:
            for sem in ([False] if args.no_semantic else [False, True]):
                cmd = [sys.executable, __file__, "--child", path, "--queries", str(args.queries),
                       "--embed-budget", str(args.embed_budget)] + (["--semantic-child"] if sem else [])
                out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
                row = json.loads(out.stdout.strip().splitlines()[-1])
                row["catalogue"] = kind
                rows.append(row)
    cols = ["catalogue", "mode", "matters", "load_s", "build_s", "rss_mb", "sem_share", "mean_ms", "p50_ms",
            "p95_ms", "max_ms", "long_1000ch_ms"]
    print(" | ".join(f"{c:>14}" for c in cols))
    for row in rows:
        print(" | ".join(f"{str(row[c]):>14}" for c in cols))
    print(f"\n{len(rows[0:1]) and rows[0]['queries']} queries per size, one core; command: "
          f"python benchmarks/matching/bench_matcher.py --sizes {' '.join(map(str, args.sizes))}"
          + (" --real" if args.real else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
