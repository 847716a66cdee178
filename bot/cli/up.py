"""`onetrip up`: start Rasa (5005), the action server (5055) and the service hall (8000).

A small supervisor: pre-flight checks with clear errors, then three children in their own
process groups with prefixed, coloured logs. Ctrl-C stops all three; a crash of one is reported
and stops the others; the children die with the supervisor (PR_SET_PDEATHSIG), so no orphans.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import httpx

from bot import procs
from bot.cli.train import ensure_model, rasa_env
from bot.privacy import mask_log
from bot.settings import ROOT, Settings, load_settings

COLOURS = {"rasa": "\033[35m", "actions": "\033[36m", "hall": "\033[33m"}
RESET = "\033[0m"
STOP_GRACE = 10.0
READY_TIMEOUT = 300.0


class ConfigError(SystemExit):
    """A problem the operator must fix: printed plainly, exit status 2, no traceback."""

    def __init__(self, message: str) -> None:
        print(f"onetrip: {message}", file=sys.stderr)
        super().__init__(2)


MIN_FREE_MB = 50  # databases, logs and Rasa's cache grow in var/; refuse to start on a full disk


def check_var_dir(var_dir: Path) -> None:
    try:
        var_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=var_dir, prefix=".write-test-"):
            pass
        free_mb = shutil.disk_usage(var_dir).free // (1024 * 1024)
    except OSError as exc:
        raise ConfigError(
            f"数据目录 {var_dir} 不可写（{exc.strerror or exc}）。请检查权限，或用 ONETRIP_VAR 指定其他目录。"
        )
    if free_mb < MIN_FREE_MB:
        raise ConfigError(
            f"数据目录 {var_dir} 所在磁盘只剩 {free_mb} MB（至少需要 {MIN_FREE_MB} MB）。"
            "请清理磁盘，或用 ONETRIP_VAR 指定其他目录。"
        )


def disk_error(var_dir: Path, what: str, exc: BaseException) -> ConfigError:
    """A write that failed in var/ (disk full, file-size limit): a plain error, not a traceback."""
    reason = getattr(exc, "strerror", None) or str(getattr(exc, "orig", None) or exc).splitlines()[0]
    return ConfigError(
        f"{what}写入失败（{reason}）。数据目录 {var_dir} 可能已满或受文件大小限制；"
        "已写入的内容保持完整，清理磁盘后重新运行 onetrip up 即可。"
    )


def check_port_free(host: str, port: int, what: str, variable: str) -> None:
    problem = procs.port_problem(host, port)
    if problem:
        raise ConfigError(
            f"{what}的端口 {host}:{port} 已被占用或不可用（{problem}）。"
            f"请先停止占用它的程序，或设置 {variable} 换一个端口。"
        )


@dataclass
class Child:
    name: str
    command: List[str]
    env: Dict[str, str]
    health_url: str
    # Rasa answers "/" before its model is loaded; /status (token) answers 200 only once it is.
    ready_url: Optional[str] = None
    process: Optional[subprocess.Popen] = None
    reader: Optional[threading.Thread] = field(default=None, repr=False)

    def start(self, lock: threading.Lock) -> None:
        self.process = procs.spawn(self.command, self.env, ROOT)
        self.reader = threading.Thread(target=self._pump, args=(lock,), daemon=True)
        self.reader.start()

    def _pump(self, lock: threading.Lock) -> None:
        colour = COLOURS.get(self.name, "") if sys.stdout.isatty() else ""
        reset = RESET if colour else ""
        prefix = f"{colour}{self.name:<8}|{reset} "
        assert self.process and self.process.stdout
        for raw in iter(self.process.stdout.readline, b""):
            line = mask_log(raw.decode("utf-8", "replace").rstrip())
            with lock:
                print(prefix + line, flush=True)

    def signal(self, sig: int) -> None:
        procs.signal_group(self.process, sig)


# Each server answers on one event loop, and its matrices are small (one message at a time):
# BLAS worker threads only spin beside it. Measured at 16 citizens: OpenBLAS's idle thread in
# the Rasa server burnt ~4 ms of CPU per message on 2 cores (docs/bench.md). A value set by the
# operator wins.
ONE_BLAS_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def children(settings: Settings, model: Path) -> List[Child]:
    env = rasa_env(settings.child_env())
    for name, value in ONE_BLAS_THREAD.items():
        env.setdefault(name, value)
    python = sys.executable
    return [
        Child(
            "rasa",
            [
                # Not `rasa run --auth-token=...`: that would show the token to anyone running `ps`.
                # bot.cli.rasa_run reads it from the environment (RASA_TOKEN) and starts Rasa's own CLI.
                python, "-m", "bot.cli.rasa_run", "run", "--model", str(model), "--enable-api", "--cors", "*",
                "--interface", settings.host, "--port", str(settings.rasa_port),
                "--endpoints", str(settings.endpoints_file), "--credentials", str(settings.credentials_file),
            ],
            env,
            f"http://{settings.host}:{settings.rasa_port}/",
            ready_url=f"http://{settings.host}:{settings.rasa_port}/status?token={settings.rasa_token}",
        ),
        Child(
            "actions",
            [python, "-m", "rasa_sdk", "--actions", "actions", "--port", str(settings.actions_port)],
            {**env, "SANIC_HOST": settings.host},
            f"http://{settings.host}:{settings.actions_port}/health",
        ),
        Child(
            "hall",
            [
                python, "-m", "uvicorn", "bot.hall.app:create_app", "--factory",
                "--host", settings.host, "--port", str(settings.hall_port), "--no-access-log",
                # No version in a `server` header; forwarded headers are judged by the hall itself
                # (ONETRIP_TRUSTED_PROXIES), not by uvicorn, which trusts 127.0.0.1 by default.
                "--no-server-header", "--no-proxy-headers",
            ],
            env,
            f"http://{settings.host}:{settings.hall_port}/healthz",
        ),
    ]


def prepare_hall(settings: Settings) -> None:
    """Migrations, catalogue import, and the first admin account (password printed once)."""
    from bot.catalogue import CatalogueError
    from bot.hall.bootstrap import prepare

    from sqlalchemy.exc import OperationalError

    try:
        password = prepare(settings)
    except (OperationalError, OSError) as exc:
        if not settings.database_url.startswith("sqlite"):
            raise
        raise disk_error(settings.var_dir, "服务大厅数据库", exc)
    except CatalogueError as exc:
        raise ConfigError(f"事项库 {settings.catalogue_path} 校验未通过，服务未启动：\n" + "\n".join(f"  - {p}" for p in exc.problems))
    if password:
        show_first_password(settings, password)


FIRST_PASSWORD_FILE = "first-admin-password"


def show_first_password(settings: Settings, password: str) -> None:
    """The first admin password: into var/first-admin-password (0600, for the operator and the
    test stack) and onto the controlling terminal, never onto stdout, which is often a log."""
    path = settings.var_dir / FIRST_PASSWORD_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(password + "\n")
    os.chmod(path, 0o600)
    url = f"http://{settings.host}:{settings.hall_port}/console"
    shown = False
    try:
        with open("/dev/tty", "w", encoding="utf-8") as tty:  # the person at the terminal, not the log
            tty.write("\n" + "=" * 64 + "\n"
                      f"  已创建管理员账号 admin，初始密码：{password}\n"
                      f"  （只显示这一次，不写入日志。请登录 {url} 后在“用户管理”重置密码，\n"
                      f"    并删除 {path}。）\n" + "=" * 64 + "\n")
            shown = True
    except OSError:
        pass
    print(f"onetrip: 已创建管理员账号 admin；初始密码{'已显示在终端，并' if shown else ''}保存在 {path}"
          "（仅本用户可读）。首次登录后请重置密码并删除该文件。", flush=True)


PRIVATE_SUFFIXES = (".db", ".db-wal", ".db-shm", ".db-journal", ".log", ".env", ".sqlite")


def protect_var(var_dir: Path) -> None:
    """Personal data, logs and secrets readable by this user only: the umask for every file the
    three servers create from now on, and chmod for what an earlier version left world-readable."""
    os.umask(0o077)
    try:
        var_dir.chmod(0o700)
        for path in var_dir.iterdir():
            if path.is_file() and (path.name.endswith(PRIVATE_SUFFIXES) or path.name == FIRST_PASSWORD_FILE):
                path.chmod(0o600)
    except OSError:
        pass  # not ours (a mounted volume): the umask still covers new files


class Supervisor:
    def __init__(self, kids: List[Child]) -> None:
        self.kids = kids
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def _on_signal(self, signum, frame) -> None:  # noqa: ARG002
        self.stopping.set()

    @staticmethod
    def _ready(kid: Child) -> bool:
        try:
            response = httpx.get(kid.ready_url or kid.health_url, timeout=2.0)
        except httpx.HTTPError:
            return False
        if response.status_code != 200:
            return False
        return not kid.ready_url or bool(response.json().get("model_id"))

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        pending = list(self.kids)
        while pending and not self.stopping.is_set() and time.monotonic() < deadline:
            pending = [kid for kid in pending if not self._ready(kid)]
            time.sleep(0.5)
        if not pending:
            with self.lock:
                print("\nonetrip: 一次办已启动 / OneTrip is up:\n" + "\n".join(f"  {k.name:<8} {k.health_url}" for k in self.kids) + "\n", flush=True)
                for warning in _calendar_warnings():
                    print(f"onetrip: 警告 / WARNING: {warning}", file=sys.stderr, flush=True)

    def run(self) -> int:
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)
        for kid in self.kids:
            kid.start(self.lock)
        threading.Thread(target=self._wait_ready, daemon=True).start()
        status = 0
        while not self.stopping.wait(0.3):
            crashed = next((k for k in self.kids if k.process and k.process.poll() is not None), None)
            if crashed:
                code = crashed.process.returncode
                with self.lock:
                    print(f"onetrip: {crashed.name} 已退出（代码 {code}），正在停止其他进程", file=sys.stderr, flush=True)
                status = 1
                break
        self.stop()
        return status

    def stop(self) -> None:
        for kid in self.kids:
            kid.signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        for kid in self.kids:
            if kid.process:
                try:
                    kid.process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    kid.signal(signal.SIGKILL)
                    kid.process.wait()
        for kid in self.kids:
            if kid.reader:
                kid.reader.join(timeout=2)


def run(args: argparse.Namespace) -> int:
    try:
        settings = load_settings()
    except ValueError as exc:
        raise ConfigError(str(exc))
    os.umask(0o077)  # databases, logs, secrets: this user only (children inherit it)
    check_var_dir(settings.var_dir)
    protect_var(settings.var_dir)
    try:
        settings = load_settings(create_secrets=True)
    except OSError as exc:
        raise disk_error(settings.var_dir, "密钥文件 secrets.env ", exc)
    for what, port, variable in (
        ("Rasa 服务", settings.rasa_port, "RASA_PORT"),
        ("动作服务", settings.actions_port, "ACTIONS_PORT"),
        ("服务大厅", settings.hall_port, "HALL_PORT"),
    ):
        check_port_free(settings.host, port, what, variable)
    model = ensure_model(force=False)
    prepare_hall(settings)
    return Supervisor(children(settings, model)).run()


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("up", help="启动 Rasa（5005）、动作服务（5055）和服务大厅（8000）")
    parser.set_defaults(func=run)


def _calendar_warnings() -> list:
    """The SLA working-day calendar's gaps and provisional years (bot.hall.sla), loudly."""
    import datetime as dt

    from bot.hall import sla

    try:
        return sla.calendar_warnings(dt.datetime.now(sla.TZ).date(), sla.load_config())
    except Exception as exc:  # noqa: BLE001 - a broken SLA file is the hall's error to report
        return [f"SLA 配置无法读取：{exc}"]

