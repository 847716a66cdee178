"""The real OneTrip stack on free loopback ports, started with `onetrip up` in a temporary var/.

Used by the end-to-end and browser tests: nothing is mocked, the three servers talk HTTP.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

import httpx

from bot import procs
from bot.procs import free_port  # noqa: F401  (tests import it from here)

ROOT = Path(__file__).resolve().parents[1]
ONETRIP = ROOT / ".venv" / "bin" / "onetrip"
START_TIMEOUT = 300.0


@dataclass
class Stack:
    var_dir: Path
    env: Dict[str, str]
    process: subprocess.Popen
    log: List[str] = field(default_factory=list)
    admin_password: Optional[str] = None

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.env['RASA_PORT']}"

    @property
    def actions_url(self) -> str:
        return f"http://127.0.0.1:{self.env['ACTIONS_PORT']}"

    @property
    def hall_url(self) -> str:
        return f"http://127.0.0.1:{self.env['HALL_PORT']}"

    def secret(self, name: str) -> str:
        for line in (self.var_dir / "secrets.env").read_text().splitlines():
            if line.startswith(name + "="):
                return line.split("=", 1)[1]
        raise KeyError(name)

    @property
    def service_headers(self) -> Dict[str, str]:
        return {"Authorization": f"Bearer {self.secret('HALL_SERVICE_TOKEN')}"}

    def say(self, sender: str, text: str, timeout: float = 30.0) -> List[Dict[str, Any]]:
        """One citizen message through the REST channel; the bot's messages."""
        response = httpx.post(
            f"{self.rasa_url}/webhooks/rest/webhook",
            json={"sender": sender, "message": text},
            timeout=timeout,
        )
        response.raise_for_status()
        return response.json()

    def tracker(self, sender: str) -> Dict[str, Any]:
        response = httpx.get(
            f"{self.rasa_url}/conversations/{sender}/tracker",
            params={"token": self.secret("RASA_TOKEN")},
            timeout=10,
        )
        response.raise_for_status()
        return response.json()

    def tickets(self, conversation_id: str) -> List[Dict[str, Any]]:
        response = httpx.get(
            f"{self.hall_url}/api/tickets", params={"conversation_id": conversation_id},
            headers=self.service_headers, timeout=10,
        )
        response.raise_for_status()
        return response.json()["items"]

    def output(self) -> str:
        return "\n".join(self.log)

    def stop(self) -> int:
        # `onetrip up` stops its three servers on SIGINT, as on Ctrl-C.
        return procs.stop(self.process, signal.SIGINT)


def start_stack(var_dir: Path, extra_env: Optional[Dict[str, str]] = None) -> Stack:
    # Derived URLs come from the ports and var/ unless a test sets them in extra_env.
    env, _ = procs.stack_env(var_dir, dict(os.environ), extra_env)
    process = procs.spawn([str(ONETRIP), "up"], env, ROOT)
    stack = Stack(var_dir=var_dir, env=env, process=process)
    ready = threading.Event()

    def pump() -> None:
        assert process.stdout
        with open(var_dir / "stack.log", "a", encoding="utf-8") as log_file:
            for raw in iter(process.stdout.readline, b""):
                line = raw.decode("utf-8", "replace").rstrip()
                stack.log.append(line)
                log_file.write(line + "\n")
                if "OneTrip is up" in line:
                    ready.set()

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + START_TIMEOUT
    while not ready.wait(0.5):
        if process.poll() is not None or time.monotonic() > deadline:
            stack.stop()
            tail = "\n".join(stack.log[-60:])
            raise RuntimeError(f"onetrip up did not come up (exit {process.returncode}):\n{tail}")
    # The first admin password is never in the output (a log): `onetrip up` keeps it in a 0600 file.
    first = var_dir / "first-admin-password"
    if first.exists():
        stack.admin_password = first.read_text(encoding="utf-8").strip()
    return stack
