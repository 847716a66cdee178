"""Fits the matcher's logistic layer and thresholds on the DEV queries only.

    python benchmarks/matching/fit.py [--queries tests/data/dev_queries.yml]

Prints WEIGHTS / ABSTAIN_BELOW / CLARIFY_WITHIN to paste into bot/matching/matcher.py. Each
candidate of each dev query is one example (label: is it the expected matter); out-of-scope
queries contribute only negatives, which is what teaches the score to stay low on chit-chat.
A little L2 keeps eleven weights from chasing a few hundred queries.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bot.matching.evaluate import evaluate, format_report, load_queries  # noqa: E402
from bot.matching.loading import load_matcher  # noqa: E402
from bot.matching.matcher import FEATURES  # noqa: E402


def collect(matcher, queries):
    xs, ys, groups = [], [], []
    for qi, q in enumerate(queries):
        qa = matcher.analyse(q.text)
        cand, feats = matcher.features(qa)
        for d, f in zip(cand, feats):
            xs.append(f)
            ys.append(1.0 if matcher.index.docs[d].code == q.matter else 0.0)
            groups.append(qi)
    return np.array(xs), np.array(ys), np.array(groups)


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, iters: int = 50) -> np.ndarray:
    """Newton's method on the L2-regularised log-loss; positives up-weighted to balance."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(xb.shape[1])
    sample = np.where(y > 0, max(1.0, (y == 0).sum() / max((y > 0).sum(), 1)) ** 0.5, 1.0)
    reg = np.full(xb.shape[1], l2)
    reg[-1] = 0.0
    for _ in range(iters):
        p = 1 / (1 + np.exp(-xb @ w))
        grad = xb.T @ (sample * (p - y)) + reg * w
        hess = (xb * (sample * p * (1 - p))[:, None]).T @ xb + np.diag(reg + 1e-6)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-6:
            break
    return w


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--queries", default="tests/data/dev_queries.yml")
    ap.add_argument("--l2", type=float, default=1.0)
    args = ap.parse_args()
    matcher = load_matcher()
    queries = load_queries(args.queries)
    x, y, _ = collect(matcher, queries)
    w = fit_logistic(x, y, l2=args.l2)
    matcher.weights = w
    best = None
    for t in np.arange(0.2, 0.8, 0.025):
        matcher.abstain_below = float(t)
        fig = evaluate(matcher, queries).figures
        # Balance: a wrong answer costs as much as a wrongly refused one.
        objective = fig.get("top1", 0) + fig.get("abstention", 0)
        if best is None or objective > best[0] + 1e-9:
            best = (objective, float(t))
    matcher.abstain_below = best[1]
    report = evaluate(matcher, queries)
    print(format_report(report))
    print("WEIGHTS = (" + ", ".join(f"{v:.3f}" for v in w) + ")")
    print("  # " + ", ".join(FEATURES) + ", bias")
    print(f"ABSTAIN_BELOW = {best[1]:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
