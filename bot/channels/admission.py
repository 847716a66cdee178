"""A few citizen messages inside Rasa's processing at once; the others wait their turn, briefly.

A Rasa server handles every message on one event loop. When all of them are let in at once, a
message that needs several action-server calls (a form that validates, then asks) goes to the
back of the loop's queue after each call, so under load it took several times as long as a
one-call message (docs/bench.md: 1.2 s against 0.4 s at 16 citizens). Let in a few at a time,
in order of arrival, each message is finished before the loop turns to new ones: the same work
per second, with the waiting spread evenly over messages instead of piling up on the long ones.

A message waits for its turn at most `patience` seconds, then goes in anyway: when admitted
messages are stuck on something slow (the service hall down, an action timing out), the others
are delayed by that much at most, never held behind them. Every channel of OneTrip's (REST,
socket.io, WeChat) wraps its `on_new_message` with `admitted`.

Environment (read when the first message arrives):
  ONETRIP_MAX_CONCURRENT_MESSAGES  messages in processing per Rasa process (default 3; 0 = no limit)
  ONETRIP_ADMISSION_PATIENCE       seconds a message waits for its turn at most (default 1.0)
"""

from __future__ import annotations

import asyncio
import collections
import functools
import time
from typing import Any, Awaitable, Callable, Deque, Optional

from rasa.core.channels.channel import UserMessage

from bot import metrics, settings

DEFAULT_LIMIT = 3
DEFAULT_PATIENCE = 1.0
Handler = Callable[[UserMessage], Awaitable[Any]]


class Gate:
    """`slots` turns, handed over in arrival order; a waiter gives up after `patience` seconds."""

    def __init__(self, slots: int, patience: float) -> None:
        self.free = slots
        self.patience = patience
        self.queue: Deque[asyncio.Future] = collections.deque()

    async def enter(self) -> bool:
        """True when a turn was taken (give it back with `leave`), False when patience ran out."""
        if self.free > 0 and not self.queue:
            self.free -= 1
            return True
        loop = asyncio.get_running_loop()
        turn: asyncio.Future = loop.create_future()
        self.queue.append(turn)
        timer = loop.call_later(self.patience, lambda: turn.done() or turn.set_result(False))
        try:
            return await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled() and turn.result():
                self.leave()  # handed a turn while being cancelled: pass it on
            raise
        finally:
            timer.cancel()
            try:
                self.queue.remove(turn)
            except ValueError:
                pass

    def leave(self) -> None:
        while self.queue:
            turn = self.queue.popleft()
            if not turn.done():
                turn.set_result(True)  # the turn goes straight to the next in line
                return
        self.free += 1


_gate: Optional[Gate] = None
_gate_loop: Optional[asyncio.AbstractEventLoop] = None


def _gate_for_loop() -> Optional[Gate]:
    """One gate per process and event loop (tests start servers on fresh loops)."""
    global _gate, _gate_loop
    loop = asyncio.get_running_loop()
    if _gate_loop is not loop:
        slots, patience = settings.admission(DEFAULT_LIMIT, DEFAULT_PATIENCE)
        _gate, _gate_loop = (Gate(slots, patience) if slots else None), loop
    return _gate


def admitted(on_new_message: Handler) -> Handler:
    """`on_new_message`, entered by a few messages of this process at a time."""

    @functools.wraps(on_new_message)
    async def handle(message: UserMessage) -> Any:
        gate = _gate_for_loop()
        metrics.MESSAGES.labels(str(getattr(message, "input_channel", "") or "")).inc()
        if gate is None:
            return await on_new_message(message)
        started = time.perf_counter()
        entered = await gate.enter()
        metrics.ADMISSION_WAIT.observe(time.perf_counter() - started)
        if not entered:
            return await on_new_message(message)
        try:
            return await on_new_message(message)
        finally:
            gate.leave()

    return handle
