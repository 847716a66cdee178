"""Prometheus metrics of a Rasa server (served by the REST channel at /webhooks/rest/metrics).

Ground floor (imports nothing of ours): the channels and the NLU components both count here.

Counters are per process; Prometheus sums the replicas."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

MESSAGES = Counter("onetrip_messages_total", "Citizen messages received, by channel", ["channel"])
REFUSED = Counter("onetrip_messages_refused_total", "Messages refused before Rasa, by reason", ["reason"])
RATE_LIMITED = Counter("onetrip_rate_limited_total", "Requests over a rate limit, by kind", ["kind"])
PAYLOADS_DEMOTED = Counter("onetrip_payloads_demoted_total", "Typed /intent messages taken as plain text")
ADMISSION_WAIT = Histogram("onetrip_admission_wait_seconds", "Time a message waited at the admission gate",
                           buckets=(0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0))
MATCHER_LATENCY = Histogram("onetrip_matcher_seconds", "MatterMatcher time per message",
                            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0))
MATCHER_OUTCOMES = Counter("onetrip_matcher_outcomes_total",
                           "MatterMatcher outcomes: matched, ambiguous or abstained", ["outcome"])


def exposition() -> tuple:
    """(body, content type) of the Prometheus text format."""
    return generate_latest(), CONTENT_TYPE_LATEST
