"""The servers a benchmark drives: OneTrip's three (started with `onetrip up`, as tests/stack.py
does, on free loopback ports in a temporary var/, or found behind --rasa-url), and the bare Rasa
baseline (benchmarks/baseline/, trained once into benchmarks/baseline/models/, git-ignored)."""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional
from urllib.parse import urlparse

import httpx

from benchmarks import procs
from bot.procs import free_port, spawn, stack_env, stop, wait_until
from bot.settings import process_env

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "benchmarks" / "baseline"
BASELINE_MODEL = BASELINE / "models" / "baseline.tar.gz"
START_TIMEOUT = 300.0


def rasa_env(extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    from bot.cli.train import rasa_env as onetrip_rasa_env

    return onetrip_rasa_env(extra)


def rasa_bin() -> str:
    return str(Path(sys.executable).with_name("rasa"))


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
        # Only what we started: our own process group. `onetrip up` stops its children on SIGINT.
        stop(self.process, signal.SIGINT if self.name == "onetrip" else signal.SIGTERM)
        if self._log is not None:
            self._log.close()  # type: ignore[attr-defined]
            self._log = None
        if self.var_dir is not None and not self.keep_var:
            shutil.rmtree(self.var_dir, ignore_errors=True)


def _wait(url: str, process: subprocess.Popen, what: str, log_path: Path, timeout: float = START_TIMEOUT) -> None:
    def answers() -> bool:
        try:
            return httpx.get(url, timeout=2.0, trust_env=False).status_code == 200
        except httpx.HTTPError:
            return False

    tail = lambda: "\n".join(log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-40:])  # noqa: E731
    wait_until(answers, process, timeout, what, tail)


def start_onetrip(keep_var: bool = False, endpoints: Optional[str] = None) -> Servers:
    """`onetrip up` on free loopback ports in a fresh temporary var/ (like tests/stack.py).

    `endpoints`: another endpoints.yml (an experiment); the repository then goes on the servers'
    PYTHONPATH so that it may name classes under benchmarks/."""
    var_dir = Path(tempfile.mkdtemp(prefix="onetrip-bench-"))
    _safe_secrets(var_dir)
    extra = {}
    if endpoints:
        extra["ONETRIP_ENDPOINTS"] = str(Path(endpoints).resolve())
        extra["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), process_env().get("PYTHONPATH", "")) if p)
    env, ports = stack_env(var_dir, process_env(), extra)
    log_path = var_dir / "stack.log"
    log = open(log_path, "ab")
    onetrip = Path(sys.executable).with_name("onetrip")
    process = spawn([str(onetrip), "up"], env, ROOT, stdout=log)
    servers = Servers("onetrip", f"http://127.0.0.1:{ports['RASA_PORT']}", "", process=process,
                      var_dir=var_dir, log_path=log_path, keep_var=keep_var, _log=log)
    try:
        wait_until(lambda: "OneTrip is up" in log_path.read_text(encoding="utf-8", errors="replace"),
                   process, START_TIMEOUT, "onetrip up", servers.log_tail)
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
    process = spawn(
        [rasa_bin(), "run", "--model", str(model), "--enable-api", "--auth-token", token,
         "--interface", "127.0.0.1", "--port", str(port),
         "--credentials", str(BASELINE / "credentials.yml"), "--endpoints", str(BASELINE / "endpoints.yml")],
        rasa_env(), var_dir, stdout=log)
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
