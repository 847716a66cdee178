"""The one process harness: how `onetrip up`, the benchmarks and the test stacks start, watch
and stop servers, and find free ports."""

from __future__ import annotations

import ctypes
import os
import random
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Callable, Dict, IO, List, Optional, Tuple, Union

# Where each server is reached, derived from var/ and the ports unless set explicitly.
DERIVED_VARIABLES = ("DATABASE_URL", "RASA_URL", "HALL_URL", "ONETRIP_ACTION_ENDPOINT",
                     "ONETRIP_TRACKER_URL", "ONETRIP_EVENTS_URL", "ONETRIP_HOST")
PORT_VARIABLES = ("RASA_PORT", "ACTIONS_PORT", "HALL_PORT")


# Ports are picked below the kernel's ephemeral range: a port bind(0) hands out lies in that range,
# where any outgoing connection on the machine may take it as its source port before our server
# binds it (seen in CI under load: "address already in use" for a port just found free).
FREE_PORTS_BELOW_EPHEMERAL = 12000


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def free_port(host: str = "127.0.0.1") -> int:
    """A loopback port no server listens on, below the ephemeral range (random, so that parallel
    test workers rarely try the same one; bind(0) when that range has none free)."""
    low = _ephemeral_low()
    first = max(1024, low - FREE_PORTS_BELOW_EPHEMERAL)
    for _ in range(200):
        port = random.randrange(first, low)
        if port_problem(host, port) is None:
            return port
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def port_problem(host: str, port: int) -> Optional[str]:
    """Why a server could not listen on host:port, or None when it can.

    SO_REUSEADDR, as the servers themselves bind: sockets of a server that just stopped, left in
    TIME-WAIT, do not make the port busy; only a socket still listening does.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            return exc.strerror or str(exc)
    return None


def die_with_parent() -> None:  # runs in the child between fork and exec
    """Ask the kernel to end the child when the process that started it dies (Linux)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def spawn(command: List[str], env: Dict[str, str], cwd: Union[str, Path],
          stdout: Union[int, IO[bytes]] = subprocess.PIPE) -> subprocess.Popen:
    """Start a server in its own process group, ended with its parent, reading no input."""
    return subprocess.Popen(
        command, cwd=cwd, env=env, stdout=stdout, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True, preexec_fn=die_with_parent,
    )


def signal_group(process: Optional[subprocess.Popen], sig: int) -> None:
    if process is not None and process.poll() is None:
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass


def stop(process: Optional[subprocess.Popen], sig: int = signal.SIGTERM, grace: float = 30.0) -> Optional[int]:
    """Signal the process group, wait `grace` seconds, then kill it. Returns the exit status."""
    if process is None:
        return None
    if process.poll() is None:
        signal_group(process, sig)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            signal_group(process, signal.SIGKILL)
            process.wait()
    return process.returncode


def wait_until(ready: Callable[[], bool], process: subprocess.Popen, timeout: float, what: str,
               tail: Callable[[], str] = lambda: "") -> None:
    """Poll `ready` until it is true; fail with the log's tail if the process dies or time runs out."""
    deadline = time.monotonic() + timeout
    while not ready():
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode} while starting:\n{tail()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not come up within {timeout:.0f} s:\n{tail()}")
        time.sleep(0.5)


def stack_env(var_dir: Path, base: Dict[str, str], extra: Optional[Dict[str, str]] = None) -> Tuple[Dict[str, str], Dict[str, int]]:
    """The environment of a whole OneTrip (`onetrip up`) in `var_dir` on free loopback ports."""
    ports = {name: free_port() for name in PORT_VARIABLES}
    env = {k: v for k, v in base.items() if k not in DERIVED_VARIABLES}
    env.update({"ONETRIP_VAR": str(var_dir), "PYTHONUNBUFFERED": "1", **{k: str(v) for k, v in ports.items()}})
    # Benchmarks and test stacks are many citizens on one loopback address: no per-address limit
    # (the per-sender one stays), unless the caller sets one.
    env.setdefault("ONETRIP_RATE_MESSAGES_ADDRESS", "off")
    env.update(extra or {})
    return env, ports
