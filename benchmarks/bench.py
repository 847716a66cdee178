"""`onetrip bench`: OneTrip under concurrent citizens, next to a bare Rasa baseline.

    .venv/bin/onetrip bench                              # 16 citizens, own stack + baseline
    .venv/bin/onetrip bench --concurrency 1,4,16,64      # sweep: docs/bench.md + docs/bench-latency.png
    .venv/bin/onetrip bench --soak 300                   # 5 minutes at the goal load: memory growth, lost messages
    .venv/bin/onetrip bench --rasa-url http://127.0.0.1:5005 --no-baseline   # a stack already running

Each level runs the baseline and then OneTrip with the same citizens, conversations and texts
(benchmarks/scenarios.py), so the ratios come from the same minute of the same machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import shlex
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional

from benchmarks import scenarios as sc
from benchmarks.load import LoadResult, lost_messages, run_load
from benchmarks.servers import ROOT, Servers, attach_onetrip, describe, start_baseline, start_onetrip
from benchmarks.stats import per_scenario, per_step, ratio, summarise

MB = 1024 * 1024
GOALS = {
    "throughput_ratio_min": 0.6,
    "p50_ratio_max": 2.0,
    "p95_ms_max": 500.0,
    "errors_max": 0,
    "rss_total_mb_max": 2.5 * 1024,
    "soak_growth_max": 0.10,
}
DOC = ROOT / "docs" / "bench.md"
PLOT = ROOT / "docs" / "bench-latency.png"


class RssSampler:
    """RSS of each server (with its children) sampled during a run; peak of each and of the sum."""

    def __init__(self, servers: Servers) -> None:
        self.servers = servers
        self.samples: List[tuple] = []  # (seconds since start, {name: bytes})
        self.started = time.monotonic()

    def sample(self) -> None:
        self.samples.append((time.monotonic() - self.started, self.servers.rss()))

    def report(self) -> Dict[str, Any]:
        if not self.samples:
            return {}
        names = sorted({n for _, s in self.samples for n in s})
        peak = {n: round(max(s.get(n, 0) for _, s in self.samples) / MB, 1) for n in names}
        end = {n: round(self.samples[-1][1].get(n, 0) / MB, 1) for n in names}
        total_peak = round(max(sum(s.values()) for _, s in self.samples) / MB, 1)
        return {"peak_mb": peak, "end_mb": end, "total_peak_mb": total_peak, "samples": len(self.samples)}


class Profiler:
    """py-spy attached to running servers for the duration of one load run (collapsed stacks)."""

    def __init__(self, servers: Servers, out_dir: Path, names=("rasa", "actions", "hall"), rate: int = 50) -> None:
        self.jobs: List[tuple] = []
        spy = Path(sys.executable).with_name("py-spy")
        if not spy.exists():
            print("bench: --profile needs py-spy (.venv/bin/pip install py-spy); not profiling", file=sys.stderr)
            return
        out_dir.mkdir(parents=True, exist_ok=True)
        for name in names:
            pid = servers.pids.get(name)
            if pid is None:
                continue
            path = out_dir / f"profile-{name}.txt"
            process = subprocess.Popen(
                [str(spy), "record", "--pid", str(pid), "--rate", str(rate), "--format", "raw",
                 "--output", str(path), "--nonblocking", "--subprocesses"],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
            )
            self.jobs.append((name, process, path))
        time.sleep(1.0)  # let py-spy attach before the load starts

    def stop(self) -> Dict[str, Any]:
        found: Dict[str, Any] = {}
        for name, process, path in self.jobs:
            process.send_signal(signal.SIGINT)  # py-spy writes its output on Ctrl-C
            try:
                _, err = process.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                _, err = process.communicate()
            if path.exists():
                found[name] = {"file": str(path), **summarise_profile(path)}
            else:
                found[name] = {"error": (err or b"").decode("utf-8", "replace")[-500:]}
        return found


# Leaf frames where a thread waits for work: an event loop in select(), an idle pool thread.
IDLE_LEAVES = ("_worker (concurrent/futures/thread.py", "serve (sanic/server/runners.py", "asyncio_run (uvicorn/",
               "select (selectors.py", "run_forever (asyncio/", "wait (threading.py", "_bootstrap (threading.py")


# Stages of one message, as shares of the busy samples (a frame counted once per stack).
HOT_PATH = [
    ("rasa: REST webhook → agent.handle_message", "handle_message (rasa/core/agent.py"),
    ("rasa: NLU parse (jieba, DIET, MatterMatcher…)", "_parse_message_with_graph (rasa/core/processor.py"),
    ("rasa: MatterMatcher.process", "process (bot/nlu/matter_matcher.py"),
    ("rasa: policy prediction", "_predict_next_with_tracker (rasa/core/processor.py"),
    ("rasa: running actions (CPU; HTTP waits are idle)", "run (rasa/core/actions/action.py"),
    ("rasa: jsonschema validation of action responses", "_validate_action_result (rasa/core/actions/action.py"),
    ("rasa: tracker retrieve (SQL)", "retrieve (rasa/core/tracker_store.py"),
    ("rasa: tracker save (SQL)", "save_tracker (rasa/core/processor.py"),
    ("rasa: SQL event broker publish", "publish (rasa/core/brokers/sql.py"),
    ("SQLite/SQL commits (any caller)", "do_commit (sqlalchemy/engine/default.py"),
    ("any jsonschema frame (py-spy cuts deep stacks, so this is the fuller count)", "(jsonschema/"),
    ("actions: webhook", "webhook (rasa_sdk/endpoint.py"),
    ("actions: hall client", "_request (actions/api/hall.py"),
    ("hall: catalogue version middleware", "catalogue_version (bot/hall/app.py"),
    ("hall: events poller", "poll_once (bot/hall/events.py"),
]


def summarise_profile(path: Path, top: int = 15) -> Dict[str, Any]:
    """Self and inclusive shares per function from py-spy's collapsed stacks, over busy samples
    (idle waits left out); `hot_path` is the share under each frame of one message's handling."""
    own: Dict[str, int] = {}
    inclusive: Dict[str, int] = {}
    stages: Dict[str, int] = {}
    total = idle = 0
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        frames = [f for f in stack.split(";") if f and not f.startswith("process ") and not f.startswith("thread ")]
        if not frames or frames[-1].startswith(IDLE_LEAVES):
            idle += n
            continue
        total += n
        for label, marker in HOT_PATH:
            if any(marker in frame for frame in frames):
                stages[label] = stages.get(label, 0) + n
        own[frames[-1]] = own.get(frames[-1], 0) + n
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + n

    def share(table: Dict[str, int], project_only: bool = False) -> List[List[Any]]:
        rows = sorted(table.items(), key=lambda kv: -kv[1])
        if project_only:
            rows = [r for r in rows if any(k in r[0] for k in ("bot/", "actions/", "rasa/", "rasa_sdk/"))]
        return [[frame[:160], round(100.0 * n / total, 1)] for frame, n in rows[:top]] if total else []

    hot_path = [[label, round(100.0 * stages[label] / total, 1)] for label, _ in HOT_PATH if stages.get(label)]
    return {"samples": total, "idle_samples": idle, "self_top": share(own),
            "inclusive_top": share(inclusive, project_only=True), "hot_path": hot_path}


def parse_levels(text: str) -> List[int]:
    levels = [int(part) for part in text.replace(" ", "").split(",") if part]
    if not levels or any(level < 1 or level > 512 for level in levels):
        raise argparse.ArgumentTypeError("concurrency levels are integers between 1 and 512, e.g. 1,4,16,64")
    return levels


class Segments:
    """What one target did over one or more stretches of load (interleaved rounds): every
    message's sample, the wall time, CPU and scheduler time, memory samples; summarised as one
    row. Rounds let the baseline and OneTrip take turns, so a machine whose speed drifts (shared
    cores) slows both alike instead of whichever ran second."""

    def __init__(self, servers: Servers, tick: float = 1.0) -> None:
        self.servers = servers
        self.sampler = RssSampler(servers)
        self.tick = tick
        self.result = LoadResult()
        self.cpu: Dict[str, float] = {}
        self.sched: Dict[str, tuple] = {}

    def run(self, scenarios, concurrency: int, args, prefix: str, run_id: int,
            duration: Optional[float] = None) -> None:
        self.sampler.sample()
        cpu_before, sched_before = self.servers.cpu(), self.servers.sched()
        result = asyncio.run(
            run_load(
                self.servers.rasa_url, scenarios, concurrency,
                conversations=None if duration else args.conversations, duration=duration,
                think=args.think, timeout=args.timeout, prefix=prefix, run_id=run_id,
                on_tick=self.sampler.sample, tick=self.tick,
            )
        )
        cpu_after, sched_after = self.servers.cpu(), self.servers.sched()
        self.sampler.sample()
        for name, value in cpu_after.items():
            self.cpu[name] = self.cpu.get(name, 0.0) + max(0.0, value - cpu_before.get(name, 0.0))
        for name, (run, wait) in sched_after.items():
            run0, wait0 = sched_before.get(name, (0, 0))
            total = self.sched.get(name, (0, 0))
            self.sched[name] = (total[0] + run - run0, total[1] + wait - wait0)
        self.result.samples += result.samples
        self.result.wall += result.wall
        self.result.conversations += result.conversations
        for sender, texts in result.sent.items():
            self.result.sent[sender] += texts

    def summary(self, concurrency: int, args, duration: Optional[float] = None,
                profile: Optional[Dict[str, Any]] = None, rounds: int = 1) -> Dict[str, Any]:
        servers, result = self.servers, self.result
        summary = summarise(result.samples, result.wall)
        zero = {name: 0.0 for name in self.cpu}
        sched_zero = {name: (0, 0) for name in self.sched}
        summary.update(concurrency=concurrency, conversations=result.conversations, rounds=rounds,
                       per_scenario=per_scenario(result.samples), per_step=per_step(result.samples),
                       rss=self.sampler.report(),
                       cpu=cpu_report(zero, self.cpu, result.wall, len(result.samples), sched_zero, self.sched))
        if profile:
            summary["profile"] = profile
        if servers.token:
            tracker = asyncio.run(lost_messages(servers.rasa_url, servers.token, result.sent))
            if tracker["lost"] and servers.alive():
                # A message whose request timed out may still be queued in Rasa: look again later.
                grace = getattr(args, "late_grace", None)
                time.sleep(min(args.timeout, 30.0) if grace is None else grace)
                again = {s: result.sent[s] for s in tracker["lost_senders"]}
                recheck = asyncio.run(lost_messages(servers.rasa_url, servers.token, again))
                tracker.update(late=tracker["lost"] - recheck["lost"], lost=recheck["lost"],
                               lost_examples=recheck["lost_examples"], lost_senders=recheck["lost_senders"])
            tracker.pop("lost_senders", None)
            summary["tracker"] = tracker
        else:
            summary["tracker"] = {"skipped": "no RASA_TOKEN found"}
        if duration:
            summary["rss_series"] = [[round(t, 1), {k: round(v / MB, 1) for k, v in s.items()}]
                                     for t, s in self.sampler.samples]
        if not servers.alive():
            summary["crashed"] = True
        return summary


def one_run(servers: Servers, scenarios, concurrency: int, args, prefix: str, run_id: int,
            duration: Optional[float] = None, tick: float = 1.0, profile_dir: Optional[Path] = None) -> Dict[str, Any]:
    segments = Segments(servers, tick)
    profiler = Profiler(servers, profile_dir) if profile_dir else None
    segments.run(scenarios, concurrency, args, prefix, run_id, duration)
    return segments.summary(concurrency, args, duration, profiler.stop() if profiler else None)


def interleaved(baseline: Servers, onetrip: Servers, concurrency: int, args, run_id: int,
                profile_dir: Optional[Path] = None) -> List[Dict[str, Any]]:
    """`args.rounds` turns of baseline then OneTrip, each turn the same citizens and texts."""
    base, mine = Segments(baseline), Segments(onetrip)
    profiler = Profiler(onetrip, profile_dir) if profile_dir else None
    for r in range(args.rounds):
        base.run(sc.baseline_of(sc.ONETRIP), concurrency, args, f"base-{run_id}-{concurrency}-{r}", run_id,
                 duration=args.duration)
        mine.run(sc.ONETRIP, concurrency, args, f"bench-{run_id}-{concurrency}-{r}", run_id,
                 duration=args.duration)
    rows = [base.summary(concurrency, args, rounds=args.rounds),
            mine.summary(concurrency, args, profile=profiler.stop() if profiler else None, rounds=args.rounds)]
    rows[0]["target"], rows[1]["target"] = "baseline", "onetrip"
    return rows


def cpu_report(before: Dict[str, float], after: Dict[str, float], wall: float, messages: int,
               sched_before: Optional[Dict[str, tuple]] = None, sched_after: Optional[Dict[str, tuple]] = None,
               ) -> Dict[str, Any]:
    """CPU per server over a run: seconds, share of one core, milliseconds per message; and how
    its main thread (the event loop) spent the wall time: running, runnable but waiting for a
    CPU (other processes on the machine), or neither (blocked in I/O such as fsync, or idle)."""
    out: Dict[str, Any] = {}
    for name in after:
        used = max(0.0, after[name] - before.get(name, 0.0))
        out[name] = {"cpu_s": round(used, 2), "core_share": round(used / wall, 2) if wall else None,
                     "ms_per_msg": round(1000 * used / messages, 1) if messages else None}
        if sched_before and sched_after and name in sched_after and wall:
            run = sched_after[name][0] - sched_before.get(name, (0, 0))[0]
            wait = sched_after[name][1] - sched_before.get(name, (0, 0))[1]
            out[name]["loop"] = {"running": round(run / wall, 2), "waiting_for_cpu": round(wait / wall, 2),
                                 "blocked_or_idle": round(max(0.0, 1 - (run + wait) / wall), 2)}
    return out


def warm_up(servers: Servers, scenarios, args) -> None:
    """One conversation of each scenario, not counted: lazy model loading, first connections."""
    asyncio.run(run_load(servers.rasa_url, scenarios, len(scenarios), conversations=1,
                         timeout=max(args.timeout, 120), prefix=f"warm-{os.getpid()}"))


def goals(onetrip: Dict[str, Any], baseline: Optional[Dict[str, Any]]) -> List[Dict[str, Any]]:
    checks: List[Dict[str, Any]] = []

    def add(name: str, value, limit, ok: Optional[bool]) -> None:
        checks.append({"goal": name, "value": value, "limit": limit, "ok": ok})

    if baseline:
        r = ratio(onetrip["throughput_msg_s"], baseline["throughput_msg_s"])
        add("throughput ≥ 0.6 × baseline", r, GOALS["throughput_ratio_min"], r is not None and r >= GOALS["throughput_ratio_min"])
        r = ratio(onetrip["p50_ms"], baseline["p50_ms"])
        add("p50 ≤ 2 × baseline", r, GOALS["p50_ratio_max"], r is not None and r <= GOALS["p50_ratio_max"])
    else:
        add("throughput ≥ 0.6 × baseline", None, GOALS["throughput_ratio_min"], None)
        add("p50 ≤ 2 × baseline", None, GOALS["p50_ratio_max"], None)
    p95 = onetrip["p95_ms"]
    add("p95 ≤ 500 ms", p95, GOALS["p95_ms_max"], p95 is not None and p95 <= GOALS["p95_ms_max"])
    errors = onetrip["errors"] + int(onetrip.get("tracker", {}).get("lost", 0) or 0)
    add("zero errors (incl. lost messages)", errors, 0, errors == 0)
    rss = onetrip.get("rss", {}).get("total_peak_mb")
    want = {"rasa", "actions", "hall"} <= set(onetrip.get("rss", {}).get("peak_mb", {}))
    add("rasa + actions + hall RSS < 2.5 GB", rss, GOALS["rss_total_mb_max"],
        (rss is not None and rss < GOALS["rss_total_mb_max"]) if want else None)
    return checks


def machine() -> Dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def fmt(value, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def table(rows: List[Dict[str, Any]]) -> str:
    head = ("| target | citizens | messages | errors | msg/s | p50 ms | p95 ms | p99 ms | max ms "
            "| RSS peak MB (rasa/actions/hall, total) | CPU ms/msg (share of a core) "
            "| Rasa event loop: running / waiting for a CPU / blocked or idle | lost |")
    lines = [head, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|---:|"]
    for row in rows:
        rss = row.get("rss", {})
        peaks = rss.get("peak_mb", {})
        per = "/".join(fmt(peaks.get(n)) for n in ("rasa", "actions", "hall") if n in peaks)
        lost = row.get("tracker", {}).get("lost", "–")
        cpu = row.get("cpu", {})
        cpus = "/".join(f"{fmt(cpu[n]['ms_per_msg'])} ({fmt(cpu[n]['core_share'], 2)})"
                        for n in ("rasa", "actions", "hall") if n in cpu)
        loop = " / ".join(f"{round(100 * v)} %" for v in cpu.get("rasa", {}).get("loop", {}).values()) or "–"
        lines.append(
            f"| {row['target']} | {row['concurrency']} | {row['messages']} | {row['errors']} | "
            f"{fmt(row['throughput_msg_s'], 2)} | {fmt(row['p50_ms'])} | {fmt(row['p95_ms'])} | {fmt(row['p99_ms'])} | "
            f"{fmt(row['max_ms'])} | {per} ({fmt(rss.get('total_peak_mb'))}) | {cpus} | {loop} | {lost} |"
        )
    return "\n".join(lines)


def goals_table(checks: List[Dict[str, Any]], level: int) -> str:
    lines = [f"Goals at {level} concurrent citizens:", "", "| goal | measured | verdict |", "|---|---:|---|"]
    for c in checks:
        verdict = {True: "PASS", False: "FAIL", None: "not measured"}[c["ok"]]
        lines.append(f"| {c['goal']} | {fmt(c['value'], 2) if isinstance(c['value'], float) else fmt(c['value'])} | {verdict} |")
    return "\n".join(lines)


def errors_text(rows: List[Dict[str, Any]]) -> str:
    lines = []
    for row in rows:
        if row["errors"] or row.get("tracker", {}).get("lost"):
            lines.append(f"- {row['target']} @ {row['concurrency']}: {row['error_kinds']}: "
                         + "; ".join(f"{text} ×{n}" for text, n in row.get("error_details", []))
                         + (f"; lost {row['tracker']['lost']}: {row['tracker']['lost_examples']}" if row.get("tracker", {}).get("lost") else ""))
    return "\n".join(lines)


def profile_text(rows: List[Dict[str, Any]]) -> str:
    out = []
    for row in rows:
        for name, prof in (row.get("profile") or {}).items():
            if "error" in prof:
                out.append(f"- {name}: py-spy failed: {prof['error']}")
                continue
            out.append(f"\n{name} ({prof['samples']} busy samples, {prof.get('idle_samples', 0)} idle left out, "
                       f"{row['concurrency']} citizens; {prof['file']}):")
            if prof.get("hot_path"):
                out.append("  stages:")
                out += [f"    {share:5.1f}%  {label}" for label, share in prof["hot_path"]]
            out.append("  self time:")
            out += [f"    {share:5.1f}%  {frame}" for frame, share in prof["self_top"][:10]]
            out.append("  inclusive (project and Rasa frames):")
            out += [f"    {share:5.1f}%  {frame}" for frame, share in prof["inclusive_top"][:12]]
    return "\n".join(out)


def plot(rows: List[Dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (lat, tput) = plt.subplots(1, 2, figsize=(11, 4.2))
    for target, style in (("onetrip", "-"), ("baseline", "--")):
        mine = sorted((r for r in rows if r["target"] == target), key=lambda r: r["concurrency"])
        if not mine:
            continue
        xs = [r["concurrency"] for r in mine]
        for key, colour in (("p50_ms", "tab:blue"), ("p95_ms", "tab:orange"), ("p99_ms", "tab:red")):
            lat.plot(xs, [r[key] for r in mine], style, marker="o", color=colour, label=f"{target} {key[:3]}")
        tput.plot(xs, [r["throughput_msg_s"] for r in mine], style, marker="o", label=target)
    levels = sorted({r["concurrency"] for r in rows})
    for ax in (lat, tput):
        ax.set_xscale("log", base=2)
        ax.set_xticks(levels)
        ax.set_xticklabels([str(level) for level in levels])
        ax.set_xlabel("concurrent citizens")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    lat.set_yscale("log")
    lat.set_ylabel("latency per message (ms)")
    lat.axhline(GOALS["p95_ms_max"], color="grey", linewidth=0.8)
    tput.set_ylabel("messages per second")
    fig.suptitle("onetrip bench: REST webhook latency and throughput (dashed: bare Rasa baseline)", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def replace_section(doc: Path, key: str, body: str) -> None:
    """Rewrite only the generated part of docs/bench.md between its markers (the findings stay)."""
    start, end = f"<!-- bench:{key}:start -->", f"<!-- bench:{key}:end -->"
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Benchmarks\n"
    block = f"{start}\n{body.rstrip()}\n{end}"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        _, after = rest.split(end, 1)
        text = before + block + after
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text, encoding="utf-8")


def command_line() -> str:
    """The command as typed: `onetrip bench …` (or the same options through python -m benchmarks.bench)."""
    rest = sys.argv[2:] if sys.argv[1:2] == ["bench"] else sys.argv[1:]
    return " ".join(shlex.quote(a) for a in [".venv/bin/onetrip", "bench", *rest])


def render(kind: str, report: Dict[str, Any]) -> str:
    rows = report["rows"]
    title = {"sweep": "Latency and throughput against concurrency", "run": "One load level",
             "soak": "Soak"}.get(kind, kind)
    parts = [
        f"### {title} (generated by `onetrip bench`)",
        "",
        f"Command: `{report['command']}`  ",
        f"When: {report['started']} · machine: {report['machine_before']['cpus']} CPUs, "
        f"load average before {report['machine_before']['loadavg']} after {report['machine_after']['loadavg']}"
        + ("  \n**Noisy machine** (load average ≥ CPUs before the run): re-measure on a quiet one." if report.get("noisy") else ""),
        "",
        table(rows),
        "",
    ]
    if kind == "sweep":
        parts += ["![latency and throughput against concurrency](bench-latency.png)", ""]
    if report.get("goals"):
        parts += [goals_table(report["goals"], report["goal_concurrency"]), ""]
    if report.get("soak"):
        parts += [soak_text(report["soak"]), ""]
    prof = profile_text(rows)
    if prof:
        parts += ["Profile (py-spy, busy samples):", "", "```", prof.strip("\n"), "```", ""]
    err = errors_text(rows)
    if err:
        parts += ["Errors:", "", err, ""]
    parts += ["<details><summary>JSON</summary>", "", "```json",
              json.dumps(report, ensure_ascii=False),
              "```", "", "</details>"]
    return "\n".join(parts)


def soak_summary(row: Dict[str, Any], seconds: int, every: float) -> Dict[str, Any]:
    """Memory growth from the first to the last RSS sample of a soak, errors, lost messages."""
    series = row.get("rss_series") or []
    first, last = (series[0][1], series[-1][1]) if series else ({}, {})
    growth = {k: round(last.get(k, 0) / v - 1, 4) for k, v in first.items() if v}
    total_first, total_last = sum(first.values()), sum(last.values())
    growth_total = round(total_last / total_first - 1, 4) if total_first else 0.0
    lost = int(row.get("tracker", {}).get("lost", 0) or 0)
    return {
        "seconds": seconds, "concurrency": row["concurrency"], "every": every,
        "first_mb": first, "last_mb": last, "growth": growth, "growth_total": growth_total,
        "errors": row["errors"], "lost": lost,
        "ok": growth_total <= GOALS["soak_growth_max"] and row["errors"] == 0 and lost == 0,
    }


def run(args: argparse.Namespace) -> int:
    # `--soak S` alone: only the soak; with an explicit --concurrency: the sweep, then the soak.
    sweep = args.concurrency is not None or not args.soak
    levels: List[int] = args.concurrency or [args.goal_concurrency]
    goal_level = args.goal_concurrency if args.goal_concurrency in levels else max(levels)
    started = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    before = machine()
    run_id = int(time.time()) % 100000
    onetrip_servers: Optional[Servers] = None
    baseline: Optional[Servers] = None
    rows: List[Dict[str, Any]] = []
    soak_rows: List[Dict[str, Any]] = []
    profile_dir = Path(args.profile_dir) if args.profile else None
    try:
        if args.rasa_url:
            onetrip_servers = attach_onetrip(args.rasa_url, args.token)
        else:
            print("bench: starting OneTrip (onetrip up on free loopback ports, temporary var/)…", flush=True)
            onetrip_servers = start_onetrip(keep_var=args.keep_var, endpoints=args.endpoints)
        print("bench: OneTrip at", onetrip_servers.rasa_url, *describe(onetrip_servers), sep="\n  ", flush=True)
        if sweep and not args.no_baseline:
            print("bench: starting the bare Rasa baseline…", flush=True)
            baseline = start_baseline()
            print("bench: baseline at", baseline.rasa_url, flush=True)
            warm_up(baseline, sc.baseline_of(sc.ONETRIP), args)
        warm_up(onetrip_servers, sc.ONETRIP, args)

        for level in levels if sweep else []:
            if baseline is not None:
                print(f"bench: baseline and onetrip in turns ({args.rounds} rounds), {level} citizens…", flush=True)
                pair = interleaved(baseline, onetrip_servers, level, args, run_id,
                                   profile_dir=profile_dir if level == goal_level else None)
            else:
                print(f"bench: onetrip, {level} citizens…", flush=True)
                pair = [one_run(onetrip_servers, sc.ONETRIP, level, args, f"bench-{run_id}-{level}", run_id,
                                duration=args.duration,
                                profile_dir=profile_dir if level == goal_level else None)]
                pair[0]["target"] = "onetrip"
            for row in pair:
                rows.append(row)
                print("  " + line(row), flush=True)
        if baseline is not None:
            baseline.stop()  # not needed for the soak; frees its memory and CPU
        if args.soak:
            print(f"bench: soak, {args.soak} s at {args.goal_concurrency} citizens, RSS every {args.every:g} s…", flush=True)
            row = one_run(onetrip_servers, sc.ONETRIP, args.goal_concurrency, args, f"soak-{run_id}", run_id,
                          duration=float(args.soak), tick=args.every,
                          profile_dir=profile_dir if not sweep else None)
            row["target"] = "onetrip (soak)"
            soak_rows.append(row)
            print("  " + line(row), flush=True)
    finally:
        for servers in (baseline, onetrip_servers):
            if servers is not None:
                servers.stop()

    after = machine()
    common: Dict[str, Any] = {
        "command": command_line(), "started": started, "machine_before": before, "machine_after": after,
        "noisy": before["loadavg"][0] >= (before["cpus"] or 1),
        "options": {k: v for k, v in vars(args).items() if k not in ("func", "token")},
    }
    reports: Dict[str, Dict[str, Any]] = {}
    failed: List[str] = []
    if rows:
        report = {**common, "goal_concurrency": goal_level, "rows": rows}
        mine = next((r for r in rows if r["target"] == "onetrip" and r["concurrency"] == goal_level), None)
        base = next((r for r in rows if r["target"] == "baseline" and r["concurrency"] == goal_level), None)
        if mine:
            report["goals"] = goals(mine, base)
            failed += [g["goal"] for g in report["goals"] if g["ok"] is False]
        reports["sweep" if len(levels) > 1 else "run"] = report
    if soak_rows:
        report = {**common, "rows": soak_rows, "soak": soak_summary(soak_rows[0], args.soak, args.every)}
        if not report["soak"]["ok"]:
            failed.append("soak")
        reports["soak"] = report

    for key, report in reports.items():
        print()
        print(table(report["rows"]))
        if report.get("goals"):
            print()
            print(goals_table(report["goals"], report["goal_concurrency"]))
        if report.get("soak"):
            print("\n" + soak_text(report["soak"]))
        err = errors_text(report["rows"])
        if err:
            print("\nerrors:\n" + err)
        prof = profile_text(report["rows"])
        if prof:
            print("\nprofile:" + prof)
    if common["noisy"]:
        print(f"\nbench: the load average was {before['loadavg']} on {before['cpus']} CPUs before the run: "
              "figures are noisy, measure again on a quiet machine.")

    if not args.no_write:
        doc = Path(args.doc)
        for key, report in reports.items():
            replace_section(doc, key, render(key, report))
        written = [str(doc)]
        if "sweep" in reports:
            plot(reports["sweep"]["rows"], Path(args.plot))
            written.append(args.plot)
        print("bench: wrote " + " and ".join(written))
    if args.json:
        Path(args.json).write_text(json.dumps(reports, ensure_ascii=False, indent=1), encoding="utf-8")
    return 1 if (args.check and failed) else 0


def soak_text(s: Dict[str, Any]) -> str:
    return (f"Soak: {s['seconds']} s at {s['concurrency']} citizens, RSS every {s['every']:g} s. "
            f"Memory growth first→last sample: total {fmt(100 * s['growth_total'])} % "
            f"({', '.join(f'{k} {fmt(100 * v)} %' for k, v in s['growth'].items())}); "
            f"errors {s['errors']}, lost messages {s['lost']}; goal ≤ 10 %, 0, 0: {'PASS' if s['ok'] else 'FAIL'}.")


def line(row: Dict[str, Any]) -> str:
    rss = row.get("rss", {})
    return (f"{row['messages']} msgs, {row['errors']} errors, {row['throughput_msg_s']:.2f} msg/s, "
            f"p50 {fmt(row['p50_ms'])} p95 {fmt(row['p95_ms'])} p99 {fmt(row['p99_ms'])} ms, "
            f"RSS peak {rss.get('peak_mb')} total {rss.get('total_peak_mb')} MB, CPU "
            + ", ".join(f"{n} {c['ms_per_msg']} ms/msg ({c['core_share']} core)" for n, c in row.get("cpu", {}).items())
            + (", rasa loop running/waiting for CPU/blocked or idle "
               + "/".join(str(v) for v in row["cpu"]["rasa"]["loop"].values())
               if "loop" in row.get("cpu", {}).get("rasa", {}) else "")
            + ", "
            f"lost {row.get('tracker', {}).get('lost', '–')}, "
            f"tracker events per message {row.get('tracker', {}).get('events_per_message', '–')}")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--concurrency", type=parse_levels, default=None, metavar="N[,N…]",
                        help="concurrent citizens; a list sweeps and plots (default: the goal level, 16)")
    bound = parser.add_mutually_exclusive_group()
    bound.add_argument("--conversations", type=int, default=3, help="conversations per citizen and level (default 3)")
    bound.add_argument("--duration", type=float, help="seconds per level instead of a number of conversations")
    parser.add_argument("--rounds", type=int, default=3,
                        help="turns of baseline then OneTrip per level, pooled (default 3; drift on shared cores hits both)")
    parser.add_argument("--soak", type=int, metavar="SECONDS",
                        help="soak at the goal load: RSS growth, errors, lost messages (after the sweep when "
                             "--concurrency is given too, on the same stack)")
    parser.add_argument("--every", type=float, default=10.0, help="RSS sampling period of a soak (default 10 s)")
    parser.add_argument("--goal-concurrency", type=int, default=16, help="level the goals are checked at (default 16)")
    parser.add_argument("--think", type=float, default=0.0, help="mean think time between messages, seconds (default 0: closed loop)")
    parser.add_argument("--timeout", type=float, default=30.0, help="per-message timeout, seconds")
    parser.add_argument("--rasa-url", help="drive a running OneTrip (loopback) instead of starting one")
    parser.add_argument("--token", help="Rasa HTTP API token for --rasa-url (default: its var/secrets.env)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the bare Rasa baseline")
    parser.add_argument("--endpoints", help="experiment: start OneTrip with this endpoints.yml instead "
                        "(e.g. benchmarks/experiments/endpoints.plain-sql.yml, the stock stores)")
    parser.add_argument("--profile", action="store_true", help="py-spy the servers during the goal level")
    parser.add_argument("--profile-dir", default=str(ROOT / "var" / "bench"), help="where profiles go (default var/bench)")
    parser.add_argument("--doc", default=str(DOC), help="Markdown report (default docs/bench.md)")
    parser.add_argument("--plot", default=str(PLOT), help="latency plot of a sweep (default docs/bench-latency.png)")
    parser.add_argument("--no-write", action="store_true", help="print only; do not touch docs/")
    parser.add_argument("--json", help="also write the whole report as JSON here")
    parser.add_argument("--keep-var", action="store_true", help="keep the temporary var/ of the stack it started")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="onetrip bench")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
