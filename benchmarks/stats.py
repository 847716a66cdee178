"""Figures of one load run: latency percentiles, throughput, errors by kind."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence


@dataclass(frozen=True)
class Sample:
    """One citizen message: how long the webhook took and what went wrong, if anything."""

    scenario: str
    step: int
    latency: float  # seconds, request sent → whole response read
    error: Optional[str] = None  # None, or a kind: http_500, timeout, transport, bad_json, empty, payload
    detail: str = ""


def percentile(values: Sequence[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy's default); NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * p / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarise(samples: Sequence[Sample], wall: float) -> Dict[str, Any]:
    """Percentiles over every answered message (errors included: a slow 500 is still slow);
    throughput counts successful messages only."""
    latencies = [s.latency for s in samples]
    errors = Counter(s.error for s in samples if s.error)
    ok = len(samples) - sum(errors.values())
    examples: Dict[str, str] = {}
    for s in samples:
        if s.error and s.error not in examples:
            examples[s.error] = f"{s.scenario}#{s.step}: {s.detail}"[:200]
    details = Counter(f"{s.error} {s.scenario}#{s.step}: {s.detail}"[:200] for s in samples if s.error)
    ms = lambda v: round(v * 1000, 1) if not math.isnan(v) else None  # noqa: E731
    return {
        "messages": len(samples),
        "ok": ok,
        "errors": sum(errors.values()),
        "error_kinds": dict(sorted(errors.items())),
        "error_examples": examples,
        "error_details": [[text, n] for text, n in details.most_common(10)],
        "wall_s": round(wall, 3),
        "throughput_msg_s": round(ok / wall, 3) if wall > 0 else 0.0,
        "p50_ms": ms(percentile(latencies, 50)),
        "p95_ms": ms(percentile(latencies, 95)),
        "p99_ms": ms(percentile(latencies, 99)),
        "mean_ms": ms(sum(latencies) / len(latencies)) if latencies else None,
        "max_ms": ms(max(latencies)) if latencies else None,
    }


def ratio(value: Optional[float], base: Optional[float]) -> Optional[float]:
    if value is None or base in (None, 0):
        return None
    return round(value / base, 3)


def per_scenario(samples: List[Sample]) -> Dict[str, int]:
    """Messages per scenario (for the report)."""
    return dict(Counter(s.scenario for s in samples))


def per_step(samples: List[Sample]) -> Dict[str, Dict[str, Any]]:
    """Latency of each step of each scenario (`scenario#step`), slowest median first."""
    steps: Dict[str, List[float]] = {}
    for s in samples:
        steps.setdefault(f"{s.scenario}#{s.step}", []).append(s.latency)
    table = {
        key: {"n": len(v), "p50_ms": round(percentile(v, 50) * 1000, 1), "p95_ms": round(percentile(v, 95) * 1000, 1)}
        for key, v in steps.items()
    }
    return dict(sorted(table.items(), key=lambda kv: -kv[1]["p50_ms"]))
