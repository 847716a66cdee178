"""Scoring the router on department-labelled messages (tests/data/routing/*.yml).

A message labelled ``none`` is routed right only when the router says it is outside every
department; a message for one of ours only when the router names that department.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import yaml

from bot.routing.knowledge import RoutedMessage
from bot.routing.router import DepartmentRouter, MatterHint, Route, calibration_error
from bot.routing.training import NONE

OUTSIDE_LABEL = "本系统以外"


@dataclass(frozen=True)
class LabelledMessage:
    text: str
    department: str       # a department code, or NONE
    style: str = ""
    type: str = ""
    writer: str = ""

    @classmethod
    def of(cls, routed: RoutedMessage) -> "LabelledMessage":
        """A routed message of data/catalogue/routed/, to be scored."""
        return cls(str(routed.text), routed.department, routed.style, routed.type.value if routed.type else "",
                   routed.writer)


@dataclass
class Outcome:
    message: LabelledMessage
    route: Route

    @property
    def predicted(self) -> str:
        return NONE if self.route.outside or not self.route.code else self.route.code

    @property
    def right(self) -> bool:
        return self.predicted == self.message.department


@dataclass
class RoutingReport:
    outcomes: List[Outcome]
    figures: Dict[str, float] = field(default_factory=dict)
    by_department: Dict[str, Dict[str, float]] = field(default_factory=dict)
    by_style: Dict[str, Dict[str, float]] = field(default_factory=dict)
    latency_ms: List[float] = field(default_factory=list)

    def errors(self) -> List[Outcome]:
        return [o for o in self.outcomes if not o.right]


def load_messages(path: Union[str, Path]) -> List[LabelledMessage]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    out = []
    for item in data.get("messages") or []:
        if isinstance(item, dict) and item.get("text"):
            out.append(LabelledMessage(str(item["text"]), str(item.get("department") or NONE),
                                       str(item.get("style") or ""), str(item.get("type") or ""),
                                       str(item.get("writer") or "")))
    return out


def evaluate(router: DepartmentRouter, messages: Sequence[LabelledMessage],
             matter_of: Optional[Callable[[str], Optional[MatterHint]]] = None,
             semantic: Optional[bool] = None) -> RoutingReport:
    """Route every message one at a time, as the bot does (so latency is per message)."""
    outcomes, latency = [], []
    for m in messages:
        hint = matter_of(m.text) if matter_of else None
        start = time.perf_counter()
        route = router.route(m.text, hint, semantic=semantic)
        latency.append((time.perf_counter() - start) * 1000)
        outcomes.append(Outcome(m, route))
    report = RoutingReport(outcomes, latency_ms=latency)
    compute_figures(report)
    return report


def combine(reports: Sequence[RoutingReport]) -> RoutingReport:
    """One report over the messages of several."""
    merged = RoutingReport([o for r in reports for o in r.outcomes],
                           latency_ms=[x for r in reports for x in r.latency_ms])
    compute_figures(merged)
    return merged


def _share(hits: int, total: int) -> float:
    return hits / total if total else 0.0


def compute_figures(report: RoutingReport) -> None:
    outs = report.outcomes
    inside = [o for o in outs if o.message.department != NONE]
    outside = [o for o in outs if o.message.department == NONE]
    named = [o for o in outs if o.predicted != NONE]
    typed = [o for o in outs if o.message.type]
    lat = sorted(report.latency_ms)
    report.figures = {
        "n": len(outs),
        "routed_right": _share(sum(o.right for o in outs), len(outs)),
        "precision": _share(sum(o.right for o in named), len(named)),
        "in_remit_right": _share(sum(o.right for o in inside), len(inside)),
        "outside_recall": _share(sum(o.right for o in outside), len(outside)),
        "false_outside": _share(sum(o.predicted == NONE for o in inside), len(inside)),
        "type_right": _share(sum(o.route.type.value == o.message.type for o in typed), len(typed)),
        "calibration_error": calibration_error([o.route.score for o in outs], [o.right for o in outs]),
        "semantic_share": _share(sum(o.route.path == "semantic" for o in outs), len(outs)),
        "p50_ms": lat[len(lat) // 2] if lat else 0.0,
        "p95_ms": lat[min(len(lat) - 1, int(len(lat) * 0.95))] if lat else 0.0,
    }
    gold_n = Counter(o.message.department for o in outs)
    pred_n = Counter(o.predicted for o in outs)
    hits = Counter(o.message.department for o in outs if o.right)
    report.by_department = {
        code: {"n": gold_n[code], "recall": _share(hits[code], gold_n[code]),
               "precision": _share(hits[code], pred_n[code]), "predicted": pred_n[code]}
        for code in sorted(set(gold_n) | set(pred_n), key=lambda c: (c == NONE, c))
    }
    styles: Dict[str, List[Outcome]] = defaultdict(list)
    for o in outs:
        styles[o.message.style or "-"].append(o)
    report.by_style = {s: {"n": len(os_), "routed_right": _share(sum(o.right for o in os_), len(os_))}
                       for s, os_ in sorted(styles.items())}


def confusion(report: RoutingReport) -> Tuple[List[str], List[List[int]]]:
    labels = sorted({o.message.department for o in report.outcomes} | {o.predicted for o in report.outcomes},
                    key=lambda c: (c == NONE, c))
    index = {c: i for i, c in enumerate(labels)}
    grid = [[0] * len(labels) for _ in labels]
    for o in report.outcomes:
        grid[index[o.message.department]][index[o.predicted]] += 1
    return labels, grid


def format_report(report: RoutingReport, names: Optional[Dict[str, str]] = None) -> str:
    f = report.figures
    names = names or {}
    lines = [
        f"消息数 {f['n']}",
        f"  部门判对（routed right）        {f['routed_right']:.3f}",
        f"  判给部门时的准确率（precision） {f['precision']:.3f}",
        f"  本系统部门的消息判对            {f['in_remit_right']:.3f}",
        f"  本系统以外的消息认出（abstain） {f['outside_recall']:.3f}",
        f"  本系统的消息误判为以外          {f['false_outside']:.3f}",
        f"  诉求类型判对                    {f['type_right']:.3f}",
        f"  置信度校准误差（ECE）           {f['calibration_error']:.3f}",
        f"  走语义阶段的比例                {f['semantic_share']:.3f}",
        f"  每条耗时 p50 / p95              {f['p50_ms']:.2f} / {f['p95_ms']:.2f} ms",
        "",
        f"{'部门':<10} {'条数':>5} {'召回':>7} {'精确':>7}  名称",
    ]
    for code, row in report.by_department.items():
        label = OUTSIDE_LABEL if code == NONE else names.get(code, "")
        lines.append(f"{code:<12} {row['n']:>5} {row['recall']:>7.3f} {row['precision']:>7.3f}  {label}")
    lines += ["", f"{'风格':<16} {'条数':>5} {'判对':>7}"]
    for style, row in report.by_style.items():
        lines.append(f"{style:<18} {row['n']:>5} {row['routed_right']:>7.3f}")
    return "\n".join(lines)


def report_json(report: RoutingReport) -> Dict[str, Any]:
    labels, grid = confusion(report)
    return {"figures": {k: round(v, 4) for k, v in report.figures.items()},
            "by_department": {k: {kk: round(vv, 4) for kk, vv in v.items()} for k, v in report.by_department.items()},
            "by_style": {k: {kk: round(vv, 4) for kk, vv in v.items()} for k, v in report.by_style.items()},
            "confusion": {"labels": labels, "grid": grid}}
