"""Scores a matcher on a labelled query file (tests/data/*_queries.yml)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

import yaml

from bot.matching.matcher import Matcher
from bot.matching.results import MatchResult

ABSTAIN = "(abstain)"


@dataclass
class Query:
    text: str
    matter: Optional[str]
    style: str


@dataclass
class Outcome:
    query: Query
    result: MatchResult
    gold_department: Optional[str]

    @property
    def predicted(self) -> Optional[str]:
        return None if self.result.abstain or not self.result.matches else self.result.matches[0].matter

    @property
    def predicted_department(self) -> Optional[str]:
        return None if self.result.abstain or not self.result.matches else self.result.matches[0].department

    def top(self, k: int) -> bool:
        return not self.result.abstain and self.listed(k)

    def listed(self, k: int) -> bool:
        """Among the first k candidates, abstaining or not (what a reader of the list sees)."""
        return self.query.matter in [m.matter for m in self.result.matches[:k]]


@dataclass
class Report:
    outcomes: List[Outcome]
    figures: Dict[str, float] = field(default_factory=dict)
    per_style: Dict[str, Dict[str, float]] = field(default_factory=dict)

    def errors(self) -> List[Outcome]:
        out = []
        for o in self.outcomes:
            if o.query.matter is None and not o.result.abstain:
                out.append(o)
            elif o.query.matter is not None and not o.top(1):
                out.append(o)
        return out


def load_queries(path: Union[str, Path]) -> List[Query]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    queries = []
    for item in data.get("queries") or []:
        if isinstance(item, dict) and isinstance(item.get("text"), (str, int)):
            queries.append(Query(str(item["text"]), item.get("matter") or None, str(item.get("style") or "plain")))
    return queries


def _department_of(matcher: Matcher, code: Optional[str]) -> Optional[str]:
    if code is None:
        return None
    for doc in matcher.index.docs:
        if doc.code == code:
            return doc.department
    return code.split(".")[0]


def _figures(outcomes: List[Outcome]) -> Dict[str, float]:
    inscope = [o for o in outcomes if o.query.matter is not None]
    outscope = [o for o in outcomes if o.query.matter is None]
    fig: Dict[str, float] = {"queries": float(len(outcomes)), "in_scope": float(len(inscope)),
                             "should_abstain": float(len(outscope))}
    if inscope:
        fig["top1"] = sum(o.top(1) for o in inscope) / len(inscope)
        fig["top3"] = sum(o.top(3) for o in inscope) / len(inscope)
        fig["department"] = sum(o.predicted_department == o.gold_department for o in inscope) / len(inscope)
        fig["top3_listed"] = sum(o.listed(3) for o in inscope) / len(inscope)
        fig["false_abstention"] = sum(o.result.abstain for o in inscope) / len(inscope)
        fig["clarify"] = sum(o.result.clarify for o in inscope) / len(inscope)
    if outscope:
        fig["abstention"] = sum(o.result.abstain for o in outscope) / len(outscope)
    return fig


def evaluate(matcher: Matcher, queries: List[Query], top_k: int = 3) -> Report:
    outcomes = [Outcome(q, matcher.match(q.text, top_k=top_k), _department_of(matcher, q.matter))
                for q in queries]
    styles: Dict[str, List[Outcome]] = defaultdict(list)
    for o in outcomes:
        styles[o.query.style].append(o)
    return Report(outcomes, _figures(outcomes), {s: _figures(os) for s, os in sorted(styles.items())})


def department_confusion(report: Report) -> Tuple[List[str], List[List[int]]]:
    """Rows: gold department (or ABSTAIN for out-of-scope); columns: predicted, or ABSTAIN."""
    counts: Counter = Counter()
    labels = set()
    for o in report.outcomes:
        gold = o.gold_department or ABSTAIN
        pred = o.predicted_department or ABSTAIN
        counts[gold, pred] += 1
        labels |= {gold, pred}
    order = sorted(labels - {ABSTAIN}) + [ABSTAIN]
    return order, [[counts[g, p] for p in order] for g in order]


def format_report(report: Report) -> str:
    def line(name: str, fig: Dict[str, float]) -> str:
        cells = [f"{name:<16}", f"{int(fig.get('queries', 0)):>5}"]
        for key in ("top1", "top3", "department", "false_abstention", "abstention", "top3_listed"):
            cells.append(f"{fig[key]:>8.3f}" if key in fig else f"{'-':>8}")
        return " ".join(cells)

    head = f"{'style':<16} {'n':>5} " + " ".join(f"{h:>8}" for h in ("top1", "top3", "dept", "false_ab", "abstain", "top3*"))
    rows = [head, line("ALL", report.figures)] + [line(s, f) for s, f in report.per_style.items()]
    rows.append("top1/top3/dept: share of in-scope queries answered with it (an abstention is a miss); "
                "false_ab = in-scope queries refused; abstain = share of out-of-scope and vague queries "
                "refused; top3* = expected matter among the 3 listed candidates, abstained or not")
    return "\n".join(rows)
