"""Fit the department router's few free constants on the fitting sets (never on a held-out set).

    .venv/bin/python benchmarks/routing/fit_router.py

The sets are the routed messages of data/catalogue/routed/, which the router also learns from; so
that the constants are fitted on messages the classifier never saw, the router fitted here leaves
out the routed messages of every writer in the sets (the constants were first fitted on a router
of the knowledge alone, data/catalogue/remits and the catalogue). What sits on top of the
classifier is a handful of numbers:

- SOFTMAX_T, the temperature that makes department margins probabilities (least log-loss);
- the outside gate's weights (a logistic regression over GATE_FEATURES) and OUTSIDE_ABOVE;
- DENSE_WEIGHT and CASCADE_BELOW, the semantic vote's weight and when to pay for it (at most
  --embed-share of the messages may be embedded: the latency budget);
- MATTER_CONFIDENT and MATTER_WEIGHT, how much a matched matter's department counts. Routing
  messages (data/catalogue/routed/writer_*.yml) and matter queries (tests/data/dev_queries.yml,
  blind_fit_queries.yml) pull in opposite directions, so the objective is their mean.

Each gate threshold is also scored out of fold (fit on one writer's set, tested on the other's).
Message vectors are cached under var/cache (routing-fitsets-*), so a refit takes a minute.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Dict, List

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

ROUTING_SETS = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "data/catalogue/routed").glob("writer_*.yml"))
MATTER_SETS = ["tests/data/dev_queries.yml", "tests/data/blind_fit_queries.yml"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", nargs="*", default=ROUTING_SETS, help="department-labelled routing sets")
    ap.add_argument("--queries", nargs="*", default=MATTER_SETS, help="matter-labelled query sets")
    ap.add_argument("--embed-share", type=float, default=0.05,
                    help="at most this share of messages may take the semantic path (latency budget)")
    args = ap.parse_args()
    if any("holdout" in Path(p).name for p in args.messages + args.queries):
        print("fit_router: refusing to fit on a held-out set", file=sys.stderr)
        return 2

    from bot.catalogue import load_catalogue
    from bot.matching.evaluate import load_queries
    from bot.matching.loading import load_matcher
    from bot.routing.evaluate import load_messages
    from bot.routing.knowledge import load_knowledge
    from bot.routing.router import DepartmentRouter, router_fingerprint
    from bot.routing.training import NONE

    catalogue = load_catalogue()
    knowledge = load_knowledge(departments=catalogue.departments)
    # Cross-fitted: each writer's messages are read by a router fitted without them, so the constants
    # are fitted on margins like those of a message the deployed router has never seen.
    router = DepartmentRouter.fit(knowledge, catalogue, fingerprint=router_fingerprint())
    router.ensure_vote()
    routers: Dict[str, DepartmentRouter] = {}

    def router_without(writers: List[str]) -> DepartmentRouter:
        key = "-".join(sorted(writers))
        if key not in routers:
            routers[key] = DepartmentRouter.fit(knowledge.without_writers(writers), catalogue)
            routers[key].ensure_vote()
        return routers[key]

    matcher = load_matcher()
    sets: Dict[str, List[tuple]] = {}
    readers: Dict[str, DepartmentRouter] = {}
    for p in args.messages:
        messages = load_messages(ROOT / p)
        sets[Path(p).stem] = [(m.text, m.department) for m in messages]
        readers[Path(p).stem] = router_without(sorted({m.writer for m in messages}))
    for p in args.queries:
        sets[Path(p).stem] = [(q.text, catalogue.guide(q.matter).department)
                              for q in load_queries(ROOT / p) if q.matter and catalogue.guide(q.matter)]
        readers[Path(p).stem] = router
    routing = [Path(p).stem for p in args.messages]
    data: Dict[str, dict] = {}
    for name, items in sets.items():
        texts = [t for t, _ in items]
        reader = readers[name]
        lex = reader.lexical(texts)
        matches = []
        for t in texts:
            r = matcher.match(t, top_k=1)
            matches.append(None if r.abstain or not r.matches else
                           (r.matches[0].department, r.matches[0].score, r.clarify, r.matches[0].name))
        data[name] = {"lex": lex, "dense": message_votes(reader, lex.prepared, name),
                      "gold": np.array([g for _, g in items]), "matches": matches}
        print(f"{name}: {len(items)} messages", flush=True)

    depts = router.departments
    codes = [router.classes[j] for j in depts]

    def cat(key: str, names: List[str]) -> np.ndarray:
        if key in ("features", "margins", "outside"):
            return np.concatenate([getattr(data[n]["lex"], key) for n in names])
        return np.concatenate([data[n][key] for n in names])

    # -- temperature ----------------------------------------------------------------------
    t = fit_temperature(cat("margins", routing)[:, depts], cat("gold", routing), codes)
    router.softmax_t = t
    print(f"\nSOFTMAX_T = {t:.2f}   (least log-loss of the department, given it is one of ours)")

    # -- outside gate ---------------------------------------------------------------------
    from sklearn.linear_model import LogisticRegression

    def fit_gate(names: List[str]) -> np.ndarray:
        lr = LogisticRegression(C=1.0, max_iter=2000).fit(cat("features", names), cat("gold", names) == NONE)
        return np.concatenate([lr.coef_[0], lr.intercept_])

    def decide(name: str, gate: np.ndarray, above: float, w_dense: float, cascade: float,
               m_min: float = 2.0, m_weight: float = 0.0, m_gate: float = 0.0) -> tuple:
        d = data[name]
        feats, margins, dense = d["lex"].features, d["lex"].margins, d["dense"]
        m_score = np.array([m[1] if m and not m[2] and m[1] >= m_min else 0.0 for m in d["matches"]])
        p_out = 1 / (1 + np.exp(-(feats @ gate[:-1] + gate[-1] - m_gate * m_score)))
        preds, used = [], []
        for i in range(len(margins)):
            z = t * margins[i, depts]
            outside = p_out[i] > above
            match = d["matches"][i]
            confident = bool(match and not match[2] and match[1] >= m_min and match[0] in codes)
            # As the router: no embedding when a confident matter already speaks for a department.
            embed = not outside and _softmax(z).max() < cascade and not (confident and m_weight > 0)
            if embed:
                z = z + t * w_dense * dense[i, depts]
            if confident:
                z[codes.index(match[0])] += m_weight * match[1]
            preds.append(NONE if outside else codes[int(z.argmax())])
            used.append(embed)
        gold = d["gold"]
        pred = np.array(preds)
        inside = gold != NONE
        none_recall = (pred[~inside] == NONE).mean() if (~inside).any() else float("nan")
        return (pred == gold).mean(), none_recall, (pred[inside] == gold[inside]).mean(), np.mean(used)

    gate = fit_gate(routing)
    print("\nOUTSIDE_ABOVE   in-sample per set (all / none-recall)        out of fold (all / none-recall)")
    best = (-1.0, 0.5)
    for above in np.round(np.arange(0.20, 0.61, 0.05), 2):
        ins = [decide(n, gate, above, 0.3, 0.7) for n in routing]
        # Out of fold: the gate fitted on the other sets, scored on this one.
        oof = [decide(te, fit_gate([n for n in routing if n != te]), above, 0.3, 0.7) for te in routing] \
            if len(routing) > 1 else []
        print(f"  {above:.2f}   " + "   ".join(f"{a[0]:.3f} / {a[1]:.3f}" for a in ins) + "      "
              + "   ".join(f"{a[0]:.3f} / {a[1]:.3f}" for a in oof))
        # The issue asks for both: right departments, and out-of-remit questions kept out (>= 0.80).
        score = np.mean([a[0] for a in (oof or ins)]) - 0.5 * sum(max(0.0, 0.82 - a[1]) for a in (oof or ins))
        if score > best[0] + 1e-9:
            best = (score, float(above))
    above = best[1]

    print("\nDENSE_WEIGHT CASCADE_BELOW   all    none   in-remit  embedded")
    choice = (-1.0, 0.3, 0.0)
    for w in (0.2, 0.3, 0.5):
        for cascade in (0.0, 0.4, 0.5, 0.6, 0.7, 0.8, 1.01):
            rows = [decide(n, gate, above, w, cascade) for n in routing]
            a = np.mean(rows, axis=0)
            print(f"  {w:.1f}        {cascade:.2f}          {a[0]:.3f}  {a[1]:.3f}  {a[2]:.3f}    {a[3]:.3f}")
            if a[3] <= args.embed_share and a[0] > choice[0] + 1e-9:
                choice = (a[0], w, cascade)
    _, w_dense, cascade = choice

    print("\nMATTER_CONFIDENT MATTER_WEIGHT   " + "  ".join(f"{n:>18}" for n in sets) + "    mean")
    pick = (-1.0, 2.0, 0.0)
    for m_min in (0.8, 0.9, 0.95):
        for m_weight in (0.0, 1.0, 2.0, 3.0, 4.0, 6.0):
            accs = [decide(n, gate, above, w_dense, cascade, m_min, m_weight)[0] for n in sets]
            mean = float(np.mean(accs))
            print(f"  {m_min:.2f}            {m_weight:.1f}          " + "  ".join(f"{a:>18.3f}" for a in accs)
                  + f"    {mean:.4f}")
            if mean > pick[0] + 1e-9:
                pick = (mean, m_min, m_weight)
    _, m_min, m_weight = pick

    print("\nMATTER_GATE (a confident matter lowers the outside logit by this × its score)")
    gate_pick = (-1.0, 0.0)
    for m_gate in (0.0, 0.5, 1.0, 2.0, 3.0, 5.0):
        rows = [decide(n, gate, above, w_dense, cascade, m_min, m_weight, m_gate) for n in sets]
        mean = float(np.mean([r[0] for r in rows]))
        cells = "  ".join(f"{n} {r[0]:.3f}/{r[1]:.3f}" for n, r in zip(sets, rows))
        print(f"  {m_gate:.1f}   {cells}   mean {mean:.4f}")
        # Keep a margin over the goal's 0.80 of out-of-remit messages kept out.
        if mean > gate_pick[0] + 1e-9 and all(r[1] >= 0.83 for r, n in zip(rows, sets) if n in routing):
            gate_pick = (mean, m_gate)
    m_gate = gate_pick[1]

    from bot.routing import router as in_use

    before = [decide(n, np.array(in_use.GATE_WEIGHTS), in_use.OUTSIDE_ABOVE, in_use.DENSE_WEIGHT,
                     in_use.CASCADE_BELOW, in_use.MATTER_CONFIDENT, in_use.MATTER_WEIGHT, in_use.MATTER_GATE) for n in sets]
    after = [decide(n, gate, above, w_dense, cascade, m_min, m_weight, m_gate) for n in sets]
    after_oof = [decide(n, fit_gate([x for x in routing if x != n]) if n in routing else gate, above, w_dense,
                        cascade, m_min, m_weight, m_gate) for n in sets]
    print("\nset                    in use (all / none)    fitted (all / none)   fitted, gate out of fold")
    for n, b, a, o in zip(sets, before, after, after_oof):
        print(f"  {n:20s} {b[0]:.3f} / {b[1]:.3f}        {a[0]:.3f} / {a[1]:.3f}        {o[0]:.3f} / {o[1]:.3f}")

    print("\n# paste into bot/routing/router.py")
    weights = ", ".join(f"{v:.3f}" for v in gate)
    print(f"GATE_WEIGHTS: Tuple[float, ...] = (  # fit; the last is the bias\n    {weights})")
    print(f"OUTSIDE_ABOVE = {above:.2f}")
    print(f"SOFTMAX_T = {t:.2f}")
    print(f"DENSE_WEIGHT = {w_dense:.2f}")
    print(f"CASCADE_BELOW = {cascade:.2f}")
    print(f"MATTER_CONFIDENT = {m_min:.2f}")
    print(f"MATTER_WEIGHT = {m_weight:.1f}")
    print(f"MATTER_GATE = {m_gate:.1f}")
    print("\ncommand: .venv/bin/python benchmarks/routing/fit_router.py --messages " + " ".join(args.messages)
          + " --queries " + " ".join(args.queries))
    return 0


def message_votes(router, prepared, name: str) -> np.ndarray:
    """Log neighbour votes for every message, as the semantic stage computes them."""
    from bot.matching.semantic import load_encoder
    from bot.routing.dense import embed_cached

    chunks = [c for p in prepared for c in p.chunks]
    vectors = embed_cached(load_encoder(), chunks, name, prefix="routing-fitsets", keep=8)
    out, start = [], 0
    for p in prepared:
        n = len(p.chunks)
        votes = router.vote.votes(vectors[start:start + n]).mean(axis=0) if n else np.ones(len(router.classes))
        out.append(np.log(votes / votes.sum()))
        start += n
    return np.vstack(out)


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


def fit_temperature(margins: np.ndarray, gold: np.ndarray, codes: List[str]) -> float:
    index = {c: i for i, c in enumerate(codes)}
    rows = [(m, index[g]) for m, g in zip(margins, gold) if g in index]
    best: tuple = (float("inf"), 1.0)
    for t in np.arange(1.0, 12.01, 0.25):
        loss = -np.mean([np.log(_softmax(t * z)[g] + 1e-12) for z, g in rows])
        if loss < best[0]:
            best = (loss, float(t))
    return best[1]


if __name__ == "__main__":
    sys.exit(main())
