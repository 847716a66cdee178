"""bot/channels/admission.py: turns in arrival order, bounded waiting, nothing leaked."""

from __future__ import annotations

import asyncio

import pytest

from bot.channels import admission
from bot.channels.admission import Gate


async def test_turns_in_arrival_order_and_never_more_than_the_slots():
    gate = Gate(2, patience=5.0)
    inside, most, order = 0, 0, []

    async def message(i: int) -> None:
        nonlocal inside, most
        assert await gate.enter()
        inside += 1
        most = max(most, inside)
        order.append(i)
        await asyncio.sleep(0.01)
        inside -= 1
        gate.leave()

    await asyncio.gather(*(message(i) for i in range(10)))
    assert most == 2
    assert order == list(range(10))
    assert gate.free == 2 and not gate.queue


async def test_patience_runs_out_when_the_turns_are_held():
    gate = Gate(1, patience=0.05)
    assert await gate.enter()  # held by something slow
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await gate.enter() is False  # goes in anyway, without a turn
    assert 0.04 <= loop.time() - started < 1.0
    gate.leave()
    assert gate.free == 1 and not gate.queue


async def test_a_cancelled_waiter_leaks_no_turn():
    gate = Gate(1, patience=5.0)
    assert await gate.enter()
    waiter = asyncio.ensure_future(gate.enter())
    await asyncio.sleep(0)
    gate.leave()  # the turn is handed to the waiter…
    waiter.cancel()  # …which is cancelled before it runs
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert gate.free == 1 and not gate.queue
    assert await gate.enter()


async def test_admitted_passes_results_and_errors_through(monkeypatch):
    monkeypatch.setenv("ONETRIP_MAX_CONCURRENT_MESSAGES", "1")
    monkeypatch.setattr(admission, "_gate_loop", None)

    async def ok(message):
        return f"answer to {message}"

    async def boom(message):
        raise RuntimeError("action server down")

    assert await admission.admitted(ok)("hi") == "answer to hi"
    with pytest.raises(RuntimeError):
        await admission.admitted(boom)("hi")
    assert admission._gate.free == 1


async def test_zero_means_no_gate(monkeypatch):
    monkeypatch.setenv("ONETRIP_MAX_CONCURRENT_MESSAGES", "0")
    monkeypatch.setattr(admission, "_gate_loop", None)

    async def ok(message):
        return message

    assert await admission.admitted(ok)("x") == "x"
    assert admission._gate is None
