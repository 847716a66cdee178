"""Rasa, the action server and the hall as three separate processes, for fault injection.

`onetrip up` stops everything when one child dies; these tests need to kill one and keep the
others, so they start the children themselves, with the exact command lines of
`bot.cli.up.children(settings, model)`, on free loopback ports in a temporary var/.
Every process started here is tracked by PID and stopped by its own process group only.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional
from unittest import mock

import httpx

from bot import procs
from stack import ROOT, free_port

READY_TIMEOUT = 240.0
DERIVED = ("DATABASE_URL", "RASA_URL", "HALL_URL", "ONETRIP_ACTION_ENDPOINT",
           "ONETRIP_TRACKER_URL", "ONETRIP_EVENTS_URL", "ONETRIP_MODEL")


@contextmanager
def environment(values: Dict[str, str]) -> Iterator[None]:
    """os.environ with `values` (and the derived URLs cleared unless given), restored afterwards."""
    patch = {k: v for k, v in os.environ.items() if k not in DERIVED}
    patch.update(values)
    with mock.patch.dict(os.environ, patch, clear=True):
        yield


def fresh_env(var_dir: Path, **extra: str) -> Dict[str, str]:
    return {
        "ONETRIP_VAR": str(var_dir),
        "RASA_PORT": str(free_port()),
        "ACTIONS_PORT": str(free_port()),
        "HALL_PORT": str(free_port()),
        "RASA_TELEMETRY_ENABLED": "false",
        **extra,
    }


def stamped_model_copy(directory: Path) -> Path:
    """A private copy of the trained model with an up-to-date stamp beside it.

    Others may retrain models/ while the suite runs; a copy cannot change under Rasa, and the
    stamp lets `onetrip up` (ONETRIP_MODEL=copy) start without retraining.
    """
    from bot.cli.train import inputs_fingerprint

    source = ROOT / "models" / "onetrip.tar.gz"
    directory.mkdir(parents=True, exist_ok=True)
    model = directory / "onetrip.tar.gz"
    shutil.copyfile(source, model)
    (directory / "onetrip.fingerprint").write_text(inputs_fingerprint() + "\n")
    return model


@dataclass
class Proc:
    name: str
    command: List[str]
    env: Dict[str, str]
    health_url: str
    log_path: Path
    process: Optional[subprocess.Popen] = None
    starts: int = 0

    def start(self) -> "Proc":
        assert self.process is None or self.process.poll() is not None, f"{self.name} already runs"
        log = open(self.log_path, "ab")
        log.write(f"\n--- start #{self.starts + 1} ---\n".encode())
        log.flush()
        self.process = procs.spawn(self.command, self.env, ROOT, stdout=log)
        log.close()
        self.starts += 1
        return self

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def healthy(self) -> bool:
        try:
            return httpx.get(self.health_url, timeout=2.0).status_code == 200
        except httpx.HTTPError:
            return False

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive:
                raise RuntimeError(f"{self.name} exited ({self.process.returncode}):\n{self.tail()}")
            if self.healthy():
                return
            time.sleep(0.3)
        raise RuntimeError(f"{self.name} not ready after {timeout:.0f}s:\n{self.tail()}")

    def kill(self, sig: int = signal.SIGKILL, timeout: float = 15.0) -> int:
        """Signal this child's own process group (it runs in a session of its own) and reap it."""
        if self.process is None:
            return 0
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        return self.process.returncode

    def stop(self) -> None:
        self.kill(signal.SIGTERM, timeout=10.0)

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text("utf-8", "replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class SplitStack:
    settings: Any
    env: Dict[str, str]
    procs: Dict[str, Proc] = field(default_factory=dict)

    # --- processes -------------------------------------------------------------------------
    def restart(self, name: str, sig: int = signal.SIGKILL) -> None:
        proc = self.procs[name]
        proc.kill(sig)
        proc.start().wait_ready()

    def ensure_all_up(self) -> None:
        for proc in self.procs.values():
            if not proc.alive:
                proc.start()
        for proc in self.procs.values():
            proc.wait_ready()

    def stop(self) -> None:
        for name in ("rasa", "actions", "hall"):
            if name in self.procs:
                self.procs[name].stop()

    # --- URLs and clients -----------------------------------------------------------------
    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.rasa_port}"

    @property
    def hall_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.hall_port}"

    @property
    def service_headers(self) -> Dict[str, str]:
        return {"Authorization": f"Bearer {self.settings.hall_service_token}"}

    @property
    def token(self) -> Dict[str, str]:
        return {"token": self.settings.rasa_token}

    def say(self, sender: str, text: str, timeout: float = 60.0) -> List[Dict[str, Any]]:
        response = httpx.post(f"{self.rasa_url}/webhooks/rest/webhook",
                              json={"sender": sender, "message": text}, timeout=timeout)
        assert response.status_code == 200, (response.status_code, response.text[:500])
        return response.json()

    def tracker(self, sender: str) -> Dict[str, Any]:
        # ALL events: a citizen's "/restart" hides earlier turns from Rasa's default view, not from the store.
        response = httpx.get(f"{self.rasa_url}/conversations/{sender}/tracker",
                             params={**self.token, "include_events": "ALL"}, timeout=15)
        response.raise_for_status()
        return response.json()

    def user_texts(self, sender: str) -> List[str]:
        return [e.get("text") for e in self.tracker(sender)["events"] if e["event"] == "user"]

    def tickets(self, conversation_id: str) -> List[Dict[str, Any]]:
        response = httpx.get(f"{self.hall_url}/api/tickets", params={"conversation_id": conversation_id},
                             headers=self.service_headers, timeout=15)
        response.raise_for_status()
        return response.json()["items"]


def build(var_dir: Path, model: Path, extra_env: Optional[Dict[str, str]] = None,
          only: tuple = ("rasa", "actions", "hall")) -> SplitStack:
    """Settings, secrets, hall database and the three command lines, as `onetrip up` makes them."""
    from bot.cli.up import children
    from bot.hall.bootstrap import prepare
    from bot.settings import load_settings

    var_dir.mkdir(parents=True, exist_ok=True)
    env = fresh_env(var_dir, **(extra_env or {}))
    with environment(env):
        settings = load_settings(create_secrets=True)
        prepare(settings)  # migrations, catalogue import, first admin (what prepare_hall does)
        kids = children(settings, model)
    stack = SplitStack(settings=settings, env=env)
    for kid in kids:
        if kid.name in only:
            stack.procs[kid.name] = Proc(kid.name, kid.command, kid.env, kid.health_url,
                                         var_dir / f"{kid.name}.log")
    return stack


def start(var_dir: Path, model: Path, extra_env: Optional[Dict[str, str]] = None,
          only: tuple = ("rasa", "actions", "hall")) -> SplitStack:
    stack = build(var_dir, model, extra_env, only)
    try:
        stack.ensure_all_up()
    except BaseException:
        stack.stop()
        raise
    return stack


class HallProxy:
    """Loopback proxy between the action server and the hall.

    With `hold` set, a POST /api/tickets is forwarded (the hall commits the ticket), then
    `committed` is set and the answer is held back until `release` (at most 30 s): the window in
    which a test kills the action server, as if it crashed between the hall's commit and Rasa.
    """

    def __init__(self, target: str) -> None:
        import asyncio
        import threading

        from aiohttp import web

        self.target = target.rstrip("/")
        self.hold = False
        self.committed = threading.Event()
        self.release = threading.Event()
        self.forwarded = 0
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._forward)

        async def serve() -> int:
            self.runner = web.AppRunner(app, access_log=None)
            await self.runner.setup()
            site = web.TCPSite(self.runner, "127.0.0.1", 0)
            await site.start()
            return site._server.sockets[0].getsockname()[1]

        self.port = asyncio.run_coroutine_threadsafe(serve(), self.loop).result(10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _forward(self, request):
        import asyncio

        from aiohttp import ClientError, ClientSession, ClientTimeout, web

        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() in ("authorization", "content-type")}
        try:
            async with ClientSession(timeout=ClientTimeout(total=20)) as session:
                async with session.request(request.method, self.target + request.path_qs, data=body,
                                           headers=headers) as upstream:
                    payload = await upstream.read()
                    status, ctype = upstream.status, upstream.content_type
                    extra = {k: v for k, v in upstream.headers.items() if k.lower() == "x-catalogue-version"}
        except (ClientError, asyncio.TimeoutError):
            return web.Response(status=502, text="hall unreachable")
        self.forwarded += 1
        if self.hold and request.method == "POST" and request.path == "/api/tickets":
            self.committed.set()
            for _ in range(300):  # at most 30 s
                if self.release.is_set():
                    break
                await asyncio.sleep(0.1)
        return web.Response(status=status, body=payload, content_type=ctype, headers=extra)

    def close(self) -> None:
        import asyncio

        self.release.set()
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
