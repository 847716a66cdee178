"""The servers a benchmark drives: OneTrip's three (started with `onetrip up`, as tests/stack.py
does, on free loopback ports in a temporary var/, or found behind --rasa-url), and the bare Rasa
baseline (benchmarks/baseline/, trained once into benchmarks/baseline/models/, git-ignored)."""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional
from urllib.parse import urlparse

import httpx

from benchmarks import procs

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "benchmarks" / "baseline"
BASELINE_MODEL = BASELINE / "models" / "baseline.tar.gz"
START_TIMEOUT = 300.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rasa_env(extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    from bot.cli.train import rasa_env as onetrip_rasa_env

    return onetrip_rasa_env(extra)


def rasa_bin() -> str:
    return str(Path(sys.executable).with_name("rasa"))


def _die_with_parent() -> None:
    from bot.cli.up import _die_with_parent as die

    die()


@dataclass
class Servers:
    """A set of servers under test: the Rasa URL, the token for its HTTP API, named pids."""

    name: str
    rasa_url: str
    token: str
    pids: Dict[str, int] = field(default_factory=dict)
    process: Optional[subprocess.Popen] = None  # what we started (None: found running)
    var_dir: Optional[Path] = None
    log_path: Optional[Path] = None
    keep_var: bool = False
    _log: Optional[object] = None

    def rss(self) -> Dict[str, int]:
        """RSS in bytes per server, each with its descendants."""
        return {name: procs.tree_rss(pid) for name, pid in self.pids.items()}

    def cpu(self) -> Dict[str, float]:
        """CPU seconds used so far per server, each with its descendants."""
        return {name: procs.tree_cpu(pid) for name, pid in self.pids.items()}

    def sched(self) -> Dict[str, tuple]:
        """Main-thread (running, waiting for a CPU) seconds per server."""
        return {name: procs.schedstat(pid) for name, pid in self.pids.items()}

    def alive(self) -> bool:
        return self.process is None or self.process.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        if self.log_path and self.log_path.exists():
            return "\n".join(self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        return ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            # Only what we started: our own process group (start_new_session=True).
            self.process.send_signal(signal.SIGINT if self.name == "onetrip" else signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self._log is not None:
            self._log.close()  # type: ignore[attr-defined]
            self._log = None
        if self.var_dir is not None and not self.keep_var:
            shutil.rmtree(self.var_dir, ignore_errors=True)


def _wait(url: str, process: subprocess.Popen, what: str, log_path: Path, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = "\n".join(log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-40:])
            raise RuntimeError(f"{what} exited with {process.returncode} while starting:\n{tail}")
        try:
            if httpx.get(url, timeout=2.0, trust_env=False).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{what} did not answer at {url} within {timeout:.0f} s (log: {log_path})")


def start_onetrip(keep_var: bool = False, endpoints: Optional[str] = None) -> Servers:
    """`onetrip up` on free loopback ports in a fresh temporary var/ (like tests/stack.py).

    `endpoints`: another endpoints.yml (an experiment); the repository then goes on the servers'
    PYTHONPATH so that it may name classes under benchmarks/."""
    var_dir = Path(tempfile.mkdtemp(prefix="onetrip-bench-"))
    _safe_secrets(var_dir)
    env = dict(os.environ)
    if endpoints:
        env["ONETRIP_ENDPOINTS"] = str(Path(endpoints).resolve())
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    ports = {"RASA_PORT": free_port(), "ACTIONS_PORT": free_port(), "HALL_PORT": free_port()}
    env.update({"ONETRIP_VAR": str(var_dir), "PYTHONUNBUFFERED": "1", **{k: str(v) for k, v in ports.items()}})
    for name in ("DATABASE_URL", "RASA_URL", "HALL_URL", "ONETRIP_ACTION_ENDPOINT",
                 "ONETRIP_TRACKER_URL", "ONETRIP_EVENTS_URL", "ONETRIP_HOST"):
        env.pop(name, None)
    log_path = var_dir / "stack.log"
    log = open(log_path, "ab")
    onetrip = Path(sys.executable).with_name("onetrip")
    process = subprocess.Popen(
        [str(onetrip), "up"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL, start_new_session=True,
    )
    servers = Servers("onetrip", f"http://127.0.0.1:{ports['RASA_PORT']}", "", process=process,
                      var_dir=var_dir, log_path=log_path, keep_var=keep_var, _log=log)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while "OneTrip is up" not in log_path.read_text(encoding="utf-8", errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"onetrip up did not come up (exit {process.poll()}):\n{servers.log_tail()}")
            time.sleep(0.5)
        servers.token = procs_secret(var_dir, "RASA_TOKEN")
        servers.pids = procs.classify(procs.descendants(process.pid))
    except BaseException:
        servers.stop()
        raise
    return servers


def _safe_secrets(var_dir: Path) -> None:
    """Generate var/secrets.env up front, none starting with "-": `onetrip up` passes the Rasa
    token as `--auth-token TOKEN`, and argparse takes a token like "-abc…" for an option
    (token_urlsafe starts with "-" once in 64 draws; bug reported, bot/cli/up.py)."""
    from bot.settings import ensure_secrets

    path = var_dir / "secrets.env"
    for _ in range(100):
        values = ensure_secrets(var_dir)
        if not any(v.startswith("-") for v in values.values()):
            return
        path.unlink()


def procs_secret(var_dir: Path, name: str) -> str:
    from bot.settings import read_env_file

    return read_env_file(var_dir / "secrets.env").get(name, "")


def attach_onetrip(rasa_url: str, token: Optional[str] = None) -> Servers:
    """A stack someone else started: find its processes by the ports they listen on."""
    port = urlparse(rasa_url).port or 80
    pids: Dict[str, int] = {}
    rasa_pid = procs.listener_pid(port)
    found_token = token or ""
    if rasa_pid is not None:
        pids["rasa"] = rasa_pid
        env = procs.environ(rasa_pid)
        for name, variable in (("actions", "ACTIONS_PORT"), ("hall", "HALL_PORT")):
            if env.get(variable, "").isdigit():
                pid = procs.listener_pid(int(env[variable]))
                if pid is not None:
                    pids[name] = pid
        if not found_token:
            var_dir = Path(env.get("ONETRIP_VAR") or ROOT / "var")
            found_token = env.get("RASA_TOKEN") or procs_secret(var_dir, "RASA_TOKEN")
    if not found_token:
        found_token = procs_secret(ROOT / "var", "RASA_TOKEN")
    return Servers("onetrip", rasa_url.rstrip("/"), found_token, pids=pids)


def baseline_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted([BASELINE / "config.yml", BASELINE / "domain.yml", *(BASELINE / "data").glob("*.yml")]):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:24]


def ensure_baseline_model() -> Path:
    """Train the one-rule baseline once (again only when its files change)."""
    stamp = BASELINE_MODEL.with_suffix("").with_suffix(".fingerprint")
    fingerprint = baseline_fingerprint()
    if BASELINE_MODEL.exists() and stamp.exists() and stamp.read_text().strip() == fingerprint:
        return BASELINE_MODEL
    print("bench: training the bare Rasa baseline (once)…", flush=True)
    BASELINE_MODEL.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="onetrip-bench-train-") as cache:
        result = subprocess.run(
            [rasa_bin(), "train", "--config", str(BASELINE / "config.yml"), "--domain", str(BASELINE / "domain.yml"),
             "--data", str(BASELINE / "data"), "--out", str(BASELINE_MODEL.parent),
             "--fixed-model-name", "baseline"],
            cwd=ROOT, env=rasa_env({"RASA_CACHE_DIRECTORY": cache}), capture_output=True, text=True,
        )
    if result.returncode != 0 or not BASELINE_MODEL.exists():
        raise RuntimeError("training the baseline failed:\n" + (result.stdout + result.stderr)[-3000:])
    stamp.write_text(fingerprint + "\n")
    return BASELINE_MODEL


def start_baseline() -> Servers:
    model = ensure_baseline_model()
    port = free_port()
    token = secrets.token_hex(24)  # never starts with "-" (see _safe_secrets)
    var_dir = Path(tempfile.mkdtemp(prefix="onetrip-bench-baseline-"))
    log_path = var_dir / "rasa.log"
    log = open(log_path, "ab")
    process = subprocess.Popen(
        [rasa_bin(), "run", "--model", str(model), "--enable-api", "--auth-token", token,
         "--interface", "127.0.0.1", "--port", str(port),
         "--credentials", str(BASELINE / "credentials.yml"), "--endpoints", str(BASELINE / "endpoints.yml")],
        cwd=var_dir, env=rasa_env(), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True, preexec_fn=_die_with_parent,
    )
    servers = Servers("baseline", f"http://127.0.0.1:{port}", token, pids={"rasa": process.pid},
                      process=process, var_dir=var_dir, log_path=log_path, _log=log)
    try:
        _wait(f"{servers.rasa_url}/", process, "the baseline Rasa server", log_path)
    except BaseException:
        servers.stop()
        raise
    return servers


def describe(servers: Servers) -> List[str]:
    return [f"{name}={pid} ({' '.join(procs.cmdline(pid))[:80]})" for name, pid in servers.pids.items()]
