"""The benchmark machinery against a tiny local HTTP server (no Rasa): statistics, error
counting, lost-message detection, RSS and port look-ups, the report's generated section."""

from __future__ import annotations

import json
import math
import os
import sys
import threading
from collections import Counter, defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from benchmarks import procs  # noqa: E402
from benchmarks.bench import goals, replace_section, summarise_profile  # noqa: E402
from benchmarks.load import lost_messages, run_load  # noqa: E402
from benchmarks.scenarios import Scenario, Step, clarification, matter_is, phone_for, picked_second  # noqa: E402
from benchmarks.stats import Sample, percentile, summarise  # noqa: E402

TOKEN = "s3cret"


class FakeRasa(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.received = defaultdict(list)  # sender → texts, in order
        self.lock = threading.Lock()
        self.drop = set()  # (sender, text) not written to the tracker: a "lost" message
        self.late = set()  # texts missing from a tracker's first read only (still queued)
        self.read = set()  # senders whose tracker was read

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


REPLIES = {
    "hello": (200, [{"text": "您好"}]),
    "matter": (200, [{"text": "身份证换领", "custom": {"matter": "gongan.id_card_renew", "aspect": "materials"}}]),
    "wrong": (200, [{"text": "别的", "custom": {"matter": "gjj.withdraw_rent"}}]),
    "silent": (200, []),
    "quiet": (200, []),
    "身份证": (200, [{"text": "哪一个？", "custom": {"clarify": ["gongan.a", "gongan.b"]}}]),
    "2": (200, [{"custom": {"matter": "gongan.b"}}]),
    "boom": (500, {"error": "internal"}),
}


class Handler(BaseHTTPRequestHandler):
    server: FakeRasa

    def log_message(self, *args) -> None:  # keep pytest's output clean
        pass

    def _send(self, status: int, body) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length))
        sender, text = body["sender"], body["message"]
        with self.server.lock:
            self.server.received[sender].append(text)
        if text == "garbage":
            return self._send(200, b"<html>not json")
        if text.startswith("139"):
            return self._send(200, [{"text": "已记录电话"}])
        status, reply = REPLIES.get(text, (200, [{"text": "?"}]))
        self._send(status, reply)

    def do_GET(self) -> None:
        url = urlparse(self.path)
        if parse_qs(url.query).get("token") != [TOKEN]:
            return self._send(401, {"error": "token"})
        sender = url.path.split("/")[2]
        with self.server.lock:
            first = sender not in self.server.read
            self.server.read.add(sender)
            texts = [t for t in self.server.received.get(sender, [])
                     if (sender, t) not in self.server.drop and not (first and t in self.server.late)]
        self._send(200, {"sender_id": sender, "events": [{"event": "user", "text": t} for t in texts]})


@pytest.fixture()
def fake():
    server = FakeRasa()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


SCENARIO = Scenario(
    "mixed",
    [
        Step("hello"),  # ok: any reply
        Step("matter", matter_is("gongan.id_card_renew", "materials")),  # ok
        Step("wrong", matter_is("gongan.id_card_renew")),  # payload error
        Step("silent"),  # empty error
        Step("quiet", expect_reply=False),  # ok: silence expected
        Step("身份证", clarification),  # ok, remembers the options
        Step("2", picked_second),  # ok: second option
        Step("{phone}"),  # ok, unique per citizen and conversation
        Step("garbage"),  # bad_json
        Step("boom"),  # http_500: the conversation stops here
        Step("never"),  # not sent
    ],
)


async def test_errors_are_counted_by_kind_and_a_failed_conversation_stops(fake):
    result = await run_load(fake.url, [SCENARIO], concurrency=3, conversations=2, prefix="t")

    assert result.conversations == 6
    assert len(fake.received) == 6  # one sender id per conversation
    assert all(texts[-1] == "boom" for texts in fake.received.values())
    assert not any("never" in texts for texts in fake.received.values())
    assert len(result.samples) == 6 * 10
    kinds = Counter(s.error for s in result.samples)
    assert kinds == {None: 36, "payload": 6, "empty": 6, "bad_json": 6, "http_500": 6}
    payload = next(s for s in result.samples if s.error == "payload")
    assert "gjj.withdraw_rent" in payload.detail

    summary = summarise(result.samples, result.wall)
    assert summary["messages"] == 60 and summary["ok"] == 36 and summary["errors"] == 24
    assert summary["error_kinds"] == {"bad_json": 6, "empty": 6, "http_500": 6, "payload": 6}
    assert set(summary["error_examples"]) == {"bad_json", "empty", "http_500", "payload"}
    assert summary["p50_ms"] <= summary["p95_ms"] <= summary["p99_ms"] <= summary["max_ms"]
    assert summary["throughput_msg_s"] == pytest.approx(36 / result.wall, rel=1e-2)


async def test_unique_senders_and_phones(fake):
    await run_load(fake.url, [SCENARIO], concurrency=4, conversations=3, prefix="u", run_id=7)
    phones = [t for texts in fake.received.values() for t in texts if t.startswith("139")]
    assert len(phones) == 12 and len(set(phones)) == 12
    assert all(len(p) == 11 and p.isdigit() for p in phones)
    assert phone_for(0, 0, 7) != phone_for(0, 0, 8)


async def test_lost_messages_are_found_in_the_trackers(fake):
    result = await run_load(fake.url, [SCENARIO], concurrency=2, conversations=1, prefix="lost")
    victim = sorted(result.sent)[0]
    fake.drop.add((victim, "quiet"))

    report = await lost_messages(fake.url, TOKEN, result.sent)
    assert report["conversations_checked"] == 2
    assert report["messages_sent"] == sum(len(t) for t in result.sent.values()) == 20
    assert report["lost"] == 1 and report["lost_examples"] == {victim: ["quiet"]}
    assert report["tracker_failures"] == 0
    assert report["events_per_message"] == round(19 / 20, 1)  # the fake's tracker: one event per message kept

    refused = await lost_messages(fake.url, "wrong-token", result.sent)
    assert refused["tracker_failures"] == 2 and refused["lost"] == 0


async def test_a_duration_bounds_the_run(fake):
    result = await run_load(fake.url, [Scenario("hi", [Step("hello")] * 3)], concurrency=2, duration=0.3, prefix="d")
    assert result.samples and all(s.error is None for s in result.samples)
    assert sum(len(t) for t in result.sent.values()) == len(result.samples)


async def test_only_loopback_is_driven():
    with pytest.raises(ValueError):
        await run_load("http://10.1.2.3:5005", [SCENARIO], concurrency=1, conversations=1)
    with pytest.raises(ValueError):
        await run_load("http://127.0.0.1:5005", [SCENARIO], concurrency=1)  # unbounded


def test_percentiles_interpolate_between_ranks():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 95) == pytest.approx(95.05)
    assert percentile(values, 99) == pytest.approx(99.01)
    assert percentile([0.2], 99) == 0.2
    assert math.isnan(percentile([], 50))
    assert percentile([3.0, 1.0, 2.0], 0) == 1.0 and percentile([3.0, 1.0, 2.0], 100) == 3.0


def test_summary_of_known_samples():
    samples = [Sample("s", i, latency=(i + 1) / 100) for i in range(10)]
    samples.append(Sample("s", 10, latency=2.0, error="timeout", detail="ReadTimeout"))
    summary = summarise(samples, wall=5.0)
    assert summary["messages"] == 11 and summary["ok"] == 10 and summary["errors"] == 1
    assert summary["throughput_msg_s"] == 2.0
    assert summary["p50_ms"] == 60.0  # the slow failure counts in the latency too
    assert summary["max_ms"] == 2000.0
    assert summary["error_examples"] == {"timeout": "s#10: ReadTimeout"}


def test_goals_verdicts():
    base = {"throughput_msg_s": 10.0, "p50_ms": 100.0}
    good = {"throughput_msg_s": 7.0, "p50_ms": 150.0, "p95_ms": 400.0, "errors": 0, "tracker": {"lost": 0},
            "rss": {"peak_mb": {"rasa": 900, "actions": 150, "hall": 100}, "total_peak_mb": 1150.0}}
    assert all(g["ok"] for g in goals(good, base))
    bad = {**good, "throughput_msg_s": 5.0, "p50_ms": 250.0, "p95_ms": 600.0, "tracker": {"lost": 1},
           "rss": {**good["rss"], "total_peak_mb": 3000.0}}
    assert [g["ok"] for g in goals(bad, base)] == [False] * 5
    assert [g["ok"] for g in goals(good, None)][:2] == [None, None]


def test_rss_and_listener_from_proc(fake):
    assert procs.tree_rss(os.getpid()) >= procs.rss_bytes(os.getpid()) > 10 * 1024 * 1024
    assert procs.listener_pid(fake.server_address[1]) == os.getpid()
    assert procs.rss_bytes(2 ** 22 + 12345) == 0  # no such process
    before = procs.cpu_seconds(os.getpid())
    sum(i * i for i in range(3_000_000))  # burn some CPU
    assert procs.cpu_seconds(os.getpid()) > before
    assert procs.cpu_seconds(2 ** 22 + 12345) == 0.0


def test_profile_summary_and_report_section(tmp_path):
    collapsed = tmp_path / "p.txt"
    collapsed.write_text(
        "process 1;thread 2;main (rasa/core/run.py:1);parse (bot/nlu/x.py:5);bm25 (bot/matching/m.py:9) 6\n"
        "process 1;thread 2;main (rasa/core/run.py:1);select (selectors.py:3) 4\n"
    )
    prof = summarise_profile(collapsed)
    assert prof["samples"] == 6 and prof["idle_samples"] == 4  # the event loop waiting in select()
    assert prof["self_top"] == [["bm25 (bot/matching/m.py:9)", 100.0]]
    assert ["main (rasa/core/run.py:1)", 100.0] in prof["inclusive_top"]
    assert ["rasa: MatterMatcher.process", 100.0] not in prof["hot_path"]

    doc = tmp_path / "bench.md"
    doc.write_text("# Benchmarks\n\nFindings written by hand.\n")
    replace_section(doc, "sweep", "first")
    replace_section(doc, "sweep", "second")
    text = doc.read_text()
    assert "Findings written by hand." in text and "second" in text and "first" not in text
    assert text.count("<!-- bench:sweep:start -->") == 1


def test_the_command_against_a_running_server(fake, tmp_path):
    """`onetrip bench --rasa-url …`: a sweep then a soak on the same server, the report's
    sections, the plot, and --check failing on errors (the fake answers no OneTrip payloads)."""
    from bot.cli import main

    doc, png = tmp_path / "bench.md", tmp_path / "latency.png"
    assert main([
        "bench", "--rasa-url", fake.url, "--token", TOKEN, "--no-baseline", "--concurrency", "1,2",
        "--conversations", "1", "--soak", "1", "--every", "0.2", "--doc", str(doc), "--plot", str(png), "--check",
    ]) == 1
    text = doc.read_text(encoding="utf-8")
    for key in ("sweep", "soak"):
        assert text.count(f"<!-- bench:{key}:start -->") == 1
    assert "| onetrip | 2 |" in text and "Soak: 1 s at 16 citizens" in text and "payload" in text
    assert "CPU ms/msg" in text
    assert png.stat().st_size > 1000
    senders = list(fake.received)
    assert any(s.startswith("soak-") for s in senders) and any(s.startswith("bench-") for s in senders)
    assert len(senders) == len(set(senders))


def test_cpu_report_splits_the_event_loop_time():
    from benchmarks.bench import cpu_report

    report = cpu_report({"rasa": 10.0}, {"rasa": 14.0}, wall=10.0, messages=40,
                        sched_before={"rasa": (5.0, 1.0)}, sched_after={"rasa": (8.0, 3.0)})
    assert report["rasa"]["cpu_s"] == 4.0 and report["rasa"]["core_share"] == 0.4
    assert report["rasa"]["ms_per_msg"] == 100.0
    assert report["rasa"]["loop"] == {"running": 0.3, "waiting_for_cpu": 0.2, "blocked_or_idle": 0.5}


def test_a_late_message_is_not_counted_lost(fake):
    import argparse

    from benchmarks.bench import one_run
    from benchmarks.servers import Servers

    fake.late.add("quiet")
    args = argparse.Namespace(conversations=1, think=0.0, timeout=30.0, late_grace=0.05)
    row = one_run(Servers("onetrip", fake.url, TOKEN), [SCENARIO], 3, args, "late", 1)
    assert row["tracker"]["late"] == 3 and row["tracker"]["lost"] == 0
    assert row["messages"] == 30 and row["error_kinds"]["http_500"] == 3
