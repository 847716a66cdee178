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


def fit_listwise(feats_by_query, gold_by_query, l2: float = 0.5) -> np.ndarray:
    """Conditional logit with a null option: maximise log P(gold) (P(null) for out-of-scope)."""
    from scipy.optimize import minimize

    n_f = feats_by_query[0].shape[1]

    def loss(w):
        total, grad = 0.0, np.zeros_like(w)
        for x, g in zip(feats_by_query, gold_by_query):
            z = np.append(x @ w[:-1], w[-1])
            z -= z.max()
            p = np.exp(z) / np.exp(z).sum()
            total -= np.log(p[g] + 1e-12)
            # gradient of -log softmax: p - onehot
            d = p.copy()
            d[g] -= 1.0
            grad[:-1] += x.T @ d[:-1]
            grad[-1] += d[-1]
        total += 0.5 * l2 * (w[:-1] ** 2).sum()
        grad[:-1] += l2 * w[:-1]
        return total, grad

    w0 = np.zeros(n_f + 1)
    res = minimize(loss, w0, jac=True, method="L-BFGS-B")
    return res.x


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
    ap.add_argument("--l2", type=float, default=0.5)
    ap.add_argument("--semantic", action="store_true", help="fit the variant with the e5 signal")
    args = ap.parse_args()
    matcher = load_matcher(semantic=args.semantic)
    if args.semantic:
        from bot.matching.matcher import SEMANTIC_FEATURES, Matcher

        matcher = Matcher(matcher.index, semantic=True, cascade=False,
                          weights=np.zeros(len(SEMANTIC_FEATURES) + 1))
    queries = load_queries(args.queries)
    feats_by_query, gold_by_query = [], []
    for q in queries:
        cand, feats = matcher.features(matcher.analyse(q.text))
        if len(cand) == 0:
            continue
        codes = [matcher.index.docs[d].code for d in cand]
        if q.matter is None:
            gold = len(cand)  # the null option
        elif q.matter in codes:
            gold = codes.index(q.matter)
        else:
            continue  # not retrieved at all: nothing for the ranker to learn
        feats_by_query.append(feats)
        gold_by_query.append(gold)
    w = fit_listwise(feats_by_query, gold_by_query, l2=args.l2)
    matcher.weights = w
    best = None
    for t in np.arange(0.1, 0.8, 0.025):
        matcher.abstain_below = float(t)
        fig = evaluate(matcher, queries).figures
        print(f"  threshold {t:.3f}: top1 {fig.get('top1', 0):.3f} abstention {fig.get('abstention', 0):.3f}")
        # Both goals count; the smaller of the two is what fails first.
        objective = min(fig.get("top1", 0), fig.get("abstention", 0)) + 0.1 * fig.get("top1", 0)
        if best is None or objective > best[0] + 1e-9:
            best = (objective, float(t))
    matcher.abstain_below = best[1]
    report = evaluate(matcher, queries)
    print(format_report(report))
    prefix = "SEMANTIC_" if args.semantic else ""
    print(f"{prefix}WEIGHTS = (" + ", ".join(f"{v:.3f}" for v in w) + ")")
    print("  # " + ", ".join(matcher.feature_names) + ", null option")
    print(f"{prefix}ABSTAIN_BELOW = {best[1]:.3f}")
    if args.semantic:
        fit_cascade(matcher, queries)
    return 0


def fit_cascade(matcher, queries) -> None:
    """CASCADE_BELOW: the lowest lexical confidence that may skip the embedding, chosen as the
    smallest semantic-path share whose dev accuracy is within half a point of the best."""
    rows = []
    for t in np.arange(0.0, 1.0001, 0.05):
        matcher.cascade, matcher.cascade_below = True, float(t)
        report = evaluate(matcher, queries)
        fig = report.figures
        share = sum(o.result.path == "semantic" for o in report.outcomes) / len(report.outcomes)
        acc = (fig.get("top1", 0) + fig.get("abstention", 0)) / 2
        rows.append((float(t), acc, share))
        print(f"  cascade below {t:.2f}: top1 {fig.get('top1', 0):.3f} abstention "
              f"{fig.get('abstention', 0):.3f} semantic share {share:.3f}")
    best_acc = max(a for _, a, _ in rows)
    t, _, share = min((r for r in rows if r[1] >= best_acc - 0.005), key=lambda r: (r[2], r[0]))
    print(f"CASCADE_BELOW = {t:.2f}  # semantic share on dev {share:.3f}")


if __name__ == "__main__":
    sys.exit(main())
