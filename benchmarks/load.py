"""Simulated citizens: asyncio tasks that hold conversations through Rasa's REST webhook.

Closed loop: each citizen sends its next message as soon as the previous reply arrived (plus an
optional think time), so N citizens keep at most N messages in flight. A run is bounded by a
number of conversations per citizen or by a duration (no new message after the deadline).
Loopback only: the benchmark refuses any other host.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence
from urllib.parse import urlparse

import httpx

from benchmarks.scenarios import Scenario, phone_for
from benchmarks.stats import Sample

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def require_loopback(url: str) -> None:
    host = urlparse(url).hostname or ""
    if host not in LOOPBACK and not host.startswith("127."):
        raise ValueError(f"the benchmark only drives servers on loopback, not {host!r}")


@dataclass
class LoadResult:
    samples: List[Sample] = field(default_factory=list)
    wall: float = 0.0
    # sender id → the texts sent, in order (to find lost messages in the trackers afterwards)
    sent: Dict[str, List[str]] = field(default_factory=lambda: defaultdict(list))
    conversations: int = 0


async def _say(client: httpx.AsyncClient, url: str, sender: str, text: str) -> tuple:
    """(latency, messages or None, error kind, detail)."""
    started = time.perf_counter()
    try:
        response = await client.post(url, json={"sender": sender, "message": text})
        body = response.content  # read the whole body inside the timed section
    except httpx.TimeoutException as exc:
        return time.perf_counter() - started, None, "timeout", repr(exc)
    except httpx.HTTPError as exc:
        return time.perf_counter() - started, None, "transport", repr(exc)
    latency = time.perf_counter() - started
    if response.status_code != 200:
        return latency, None, f"http_{response.status_code}", body[:200].decode("utf-8", "replace")
    try:
        messages = response.json()
    except ValueError:
        return latency, None, "bad_json", body[:200].decode("utf-8", "replace")
    if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
        return latency, None, "bad_json", body[:200].decode("utf-8", "replace")
    return latency, messages, None, ""


async def citizen(
    client: httpx.AsyncClient,
    url: str,
    index: int,
    scenarios: Sequence[Scenario],
    result: LoadResult,
    *,
    prefix: str,
    run_id: int,
    conversations: Optional[int],
    deadline: Optional[float],
    think: float,
    rng: random.Random,
    record: bool = True,
) -> None:
    done = 0
    while conversations is None or done < conversations:
        if deadline is not None and time.monotonic() >= deadline:
            return
        scenario = scenarios[(index + done) % len(scenarios)]  # citizens start at different scenarios
        sender = f"{prefix}-c{index:03d}-{done:04d}"
        state: Dict[str, Any] = {}
        for number, step in enumerate(scenario.steps):
            if deadline is not None and time.monotonic() >= deadline:
                return
            text = step.text.format(phone=phone_for(index, done, run_id))
            result.sent[sender].append(text)
            latency, messages, error, detail = await _say(client, url, sender, text)
            if error is None and step.expect_reply:
                if not messages:
                    error, detail = "empty", f"no reply to {text!r}"
                elif step.check is not None:
                    reason = step.check(messages, state)
                    if reason:
                        error, detail = "payload", f"{text!r}: {reason}"
            if record:
                result.samples.append(Sample(scenario.name, number, latency, error, detail))
            if error in ("timeout", "transport") or (error or "").startswith("http_"):
                break  # the conversation is off the rails; start the next one
            if think:
                await asyncio.sleep(rng.uniform(0, 2 * think))
        done += 1
        result.conversations += 1


async def run_load(
    rasa_url: str,
    scenarios: Sequence[Scenario],
    concurrency: int,
    *,
    conversations: Optional[int] = None,
    duration: Optional[float] = None,
    think: float = 0.0,
    timeout: float = 30.0,
    prefix: str = "bench",
    run_id: int = 0,
    on_tick: Optional[Callable[[], None]] = None,
    tick: float = 1.0,
) -> LoadResult:
    """N citizens against one Rasa server; returns every message's sample and what was sent."""
    if conversations is None and duration is None:
        raise ValueError("bound the run: conversations per citizen or a duration")
    require_loopback(rasa_url)
    url = rasa_url.rstrip("/") + "/webhooks/rest/webhook"
    result = LoadResult()
    limits = httpx.Limits(max_connections=concurrency + 4, max_keepalive_connections=concurrency + 4)
    async with httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(timeout), trust_env=False) as client:
        started = time.monotonic()
        deadline = started + duration if duration is not None else None
        tasks = [
            asyncio.create_task(
                citizen(
                    client, url, i, scenarios, result, prefix=prefix, run_id=run_id,
                    conversations=conversations, deadline=deadline, think=think,
                    rng=random.Random(run_id * 7919 + i),
                )
            )
            for i in range(concurrency)
        ]
        ticker = None
        if on_tick is not None:

            async def ticking() -> None:
                while True:  # off the event loop: reading /proc must not delay the citizens
                    await asyncio.to_thread(on_tick)
                    await asyncio.sleep(tick)

            ticker = asyncio.create_task(ticking())
        try:
            await asyncio.gather(*tasks)
        finally:
            if ticker is not None:
                ticker.cancel()
        result.wall = time.monotonic() - started
    return result


async def lost_messages(
    rasa_url: str, token: str, sent: Dict[str, List[str]], *, parallel: int = 8, timeout: float = 30.0
) -> Dict[str, Any]:
    """Compare what was sent with the user events in each tracker (Rasa's HTTP API, token auth).

    A message is lost when fewer user events with its text are in the tracker than were sent."""
    require_loopback(rasa_url)
    missing: Dict[str, List[str]] = {}
    failures: Dict[str, str] = {}
    events_seen = [0]
    semaphore = asyncio.Semaphore(parallel)

    async with httpx.AsyncClient(timeout=httpx.Timeout(timeout), trust_env=False) as client:

        async def check(sender: str, texts: List[str]) -> None:
            async with semaphore:
                try:
                    response = await client.get(
                        f"{rasa_url.rstrip('/')}/conversations/{sender}/tracker", params={"token": token}
                    )
                except httpx.HTTPError as exc:
                    failures[sender] = repr(exc)
                    return
            if response.status_code != 200:
                failures[sender] = f"HTTP {response.status_code}"
                return
            seen: Dict[str, int] = defaultdict(int)
            events = response.json().get("events") or []
            events_seen[0] += len(events)
            for event in events:
                if event.get("event") == "user":
                    seen[event.get("text") or ""] += 1
            lost = []
            for text in texts:
                if seen[text] > 0:
                    seen[text] -= 1
                else:
                    lost.append(text)
            if lost:
                missing[sender] = lost

        await asyncio.gather(*(check(s, t) for s, t in sent.items()))
    return {
        "conversations_checked": len(sent),
        "messages_sent": sum(len(t) for t in sent.values()),
        "lost": sum(len(t) for t in missing.values()),
        # each event is one row (and, with Rasa's SQL event broker, one commit) per message
        "events_per_message": round(events_seen[0] / max(1, sum(len(t) for t in sent.values())), 1),
        "lost_examples": dict(list(missing.items())[:5]),
        "lost_senders": sorted(missing),
        "tracker_failures": len(failures),
        "tracker_failure_examples": dict(list(failures.items())[:5]),
    }
