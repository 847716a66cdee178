"""Storage faults: PostgreSQL connections killed under load (pg_terminate_backend on a fresh
database; the server itself is never restarted), and a full disk for var/ (a tiny tmpfs when we
may mount, else a file-size limit) at start-up and at run time."""

from __future__ import annotations

import os
import resource
import secrets
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Dict, List

import httpx
import pytest

import faultstack
from stack import ROOT, free_port

pytestmark = pytest.mark.e2e

PG_BASE = os.environ.get("ONETRIP_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def ticket_body(conversation: str, key: str) -> Dict:
    return {"kind": "fallback", "conversation_id": conversation, "channel": "rest",
            "description": "上周去办营业执照变更，窗口说章程要重新做，白跑一趟", "region": "温州市鹿城区",
            "contact_phone": "15012345678", "consent": True, "idempotency_key": key}


def create_with_retries(client: httpx.Client, url: str, headers: Dict, body: Dict, tries: int = 8) -> Dict:
    """What actions/api/hall.py does: retry 5xx and connection errors with the same key."""
    last = None
    for attempt in range(tries):
        try:
            response = client.post(url, json=body, headers=headers, timeout=10)
            if response.status_code < 500:
                assert response.status_code in (200, 201), response.text
                return response.json()
            last = response.status_code
        except httpx.HTTPError as exc:
            last = exc
        time.sleep(0.2 * (attempt + 1))
    raise AssertionError(f"ticket never created: {last}")


@pytest.fixture(scope="module")
def pg_url():
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    try:
        admin = create_engine(PG_BASE, isolation_level="AUTOCOMMIT", future=True)
        admin.connect().close()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"PostgreSQL at {PG_BASE} not reachable: {exc}")
    name = "onetrip_rel_" + secrets.token_hex(4)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_BASE).set(database=name).render_as_string(hide_password=False), name, admin
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_postgres_connections_terminated_under_load(tmp_path, model, pg_url):
    from sqlalchemy import text

    url, name, admin = pg_url
    stack = faultstack.start(tmp_path / "var", model, {"DATABASE_URL": url}, only=("hall",))
    try:
        api = f"{stack.hall_url}/api/tickets"
        headers = stack.service_headers
        conversation = "rel-pg-" + uuid.uuid4().hex[:8]
        keys = [f"pg-{conversation}-{i}" for i in range(24)]
        made: Dict[str, str] = {}
        stop = threading.Event()
        killed = []

        def terminator() -> None:
            for _ in range(20):  # bounded: at most 20 rounds, ~6 s
                if stop.is_set():
                    return
                with admin.connect() as conn:
                    killed.append(conn.execute(text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name}).scalar())
                time.sleep(0.3)

        def worker(chunk: List[str]) -> None:
            with httpx.Client() as client:
                for key in chunk:
                    made[key] = create_with_retries(client, api, headers, ticket_body(conversation, key))["number"]

        threads = [threading.Thread(target=terminator)] + [
            threading.Thread(target=worker, args=(keys[i::3],)) for i in range(3)]
        for t in threads:
            t.start()
        for t in threads[1:]:
            t.join(120)
        stop.set()
        threads[0].join(30)
        assert sum(killed) > 0, "no backend was terminated: the fault did not happen"
        # Every request made exactly one ticket; the numbers are distinct and complete.
        assert len(made) == len(keys) and len(set(made.values())) == len(keys)
        listed = httpx.get(api, params={"conversation_id": conversation, "limit": 1000}, headers=headers,
                           timeout=15).json()["items"]
        assert sorted(t["number"] for t in listed) == sorted(made.values())
        # Reconnects after one more termination (pool_pre_ping), and the same key still answers once.
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name})
        with httpx.Client() as client:
            again = client.post(api, json=ticket_body(conversation, keys[0]), headers=headers, timeout=10)
        assert again.status_code == 200 and again.json()["number"] == made[keys[0]]
        with admin.connect() as conn:
            pass
        from sqlalchemy import create_engine

        engine = create_engine(url, future=True)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT count(*), count(DISTINCT idempotency_key), "
                                     "count(*) FILTER (WHERE due_at IS NULL OR number IS NULL) FROM tickets")).one()
            distinct_numbers = conn.execute(text("SELECT count(DISTINCT number) FROM tickets")).scalar()
        engine.dispose()
        assert rows[0] == rows[1] == len(keys) and rows[2] == 0
        assert distinct_numbers == len(keys)  # random numbers (bot/hall/tickets.py), never one reused
    finally:
        stack.stop()


# --- a full disk --------------------------------------------------------------------------

def _mount_tiny(path: Path, size: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        return False
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                            capture_output=True, timeout=10)
    return result.returncode == 0


def _umount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], capture_output=True, timeout=10)


def _onetrip_up(var_dir: Path, model: Path, fsize: int = 0, timeout: float = 90) -> subprocess.CompletedProcess:
    from bot.cli.train import inputs_fingerprint

    # Others may edit training data while the suite runs: re-stamp the private copy so that
    # `onetrip up` never retrains here (this test is about var/, not the model).
    model.with_name("onetrip.fingerprint").write_text(inputs_fingerprint() + "\n")
    env = {**os.environ, **faultstack.fresh_env(var_dir), "ONETRIP_MODEL": str(model), "PYTHONUNBUFFERED": "1"}
    for name in faultstack.DERIVED:
        if name != "ONETRIP_MODEL":
            env.pop(name, None)

    def limit() -> None:
        if fsize:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    return subprocess.run([str(ROOT / ".venv/bin/onetrip"), "up"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout, preexec_fn=limit, start_new_session=True)


def _check_clean_failure(result: subprocess.CompletedProcess, var_dir: Path) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == 2, output[-2000:]
    assert "Traceback" not in output, output[-3000:]
    assert "onetrip:" in result.stderr and ("磁盘" in result.stderr or "已满" in result.stderr), result.stderr
    secrets_env = var_dir / "secrets.env"
    if secrets_env.exists():  # written whole or not at all
        names = {line.split("=", 1)[0] for line in secrets_env.read_text().splitlines() if "=" in line}
        assert {"RASA_TOKEN", "HALL_SERVICE_TOKEN", "HALL_SECRET_KEY", "WECHAT_TOKEN"} <= names
    assert not (var_dir / "secrets.tmp").exists()
    assert "OneTrip is up" not in output


def test_onetrip_up_on_a_full_disk_fails_clearly(tmp_path, model):
    tiny = tmp_path / "tiny"
    if _mount_tiny(tiny, "256k"):
        try:
            result = _onetrip_up(tiny, model)
            _check_clean_failure(result, tiny)
            assert "至少需要" in result.stderr  # caught by the pre-flight check, before any write
            assert not (tiny / "secrets.env").exists() and not (tiny / "hall.db").exists()
        finally:
            _umount(tiny)
    # A file-size limit (RLIMIT_FSIZE, as `ulimit -f`): the space check passes, the hall's
    # database cannot grow past 64 KiB during the migrations.
    limited = tmp_path / "limited"
    result = _onetrip_up(limited, model, fsize=64 * 1024)
    _check_clean_failure(result, limited)
    assert "服务大厅数据库" in result.stderr
    # Room again: the same var/ starts cleanly (the secrets kept, the database completed).
    kept = (limited / "secrets.env").read_text()
    from sqlalchemy import create_engine, text

    from bot.hall.bootstrap import prepare

    with faultstack.environment(faultstack.fresh_env(limited)):
        from bot.settings import load_settings

        settings = load_settings(create_secrets=True)
        prepare(settings)
    assert (limited / "secrets.env").read_text() == kept
    engine = create_engine(settings.database_url, future=True)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM matters")).scalar() > 0
    engine.dispose()


def test_hall_on_a_full_disk_refuses_tickets_whole(tmp_path, model):
    """At run time: the disk fills up under the hall; ticket creation fails as a whole (no half
    ticket, no burnt idempotency key) and works again, once, when there is room."""
    var_dir = tmp_path / "var"
    if not _mount_tiny(var_dir, "64m"):
        pytest.skip("needs root to mount a small tmpfs")
    try:
        stack = faultstack.start(var_dir, model, only=("hall",))
        try:
            api = f"{stack.hall_url}/api/tickets"
            headers = stack.service_headers
            conversation = "rel-disk-" + uuid.uuid4().hex[:8]
            with httpx.Client() as client:
                first = create_with_retries(client, api, headers, ticket_body(conversation, conversation + "-1"))
                filler = var_dir / "filler"
                full = False
                with open(filler, "wb") as handle:  # fill the disk, bounded by its 64 MB
                    try:
                        for _ in range(80):
                            handle.write(b"\0" * (1024 * 1024))
                            handle.flush()
                    except OSError:
                        full = True
                    if not full:  # the last bytes may sit in the buffer until close
                        try:
                            os.fsync(handle.fileno())
                        except OSError:
                            full = True
                assert full, "the disk never filled up: the fault did not happen"
                statuses = []
                big = ticket_body(conversation, conversation + "-2")
                big["description"] = "长" * 2600  # a bigger row, so it cannot fit in a free page
                for _ in range(3):
                    try:  # a 5xx or a dropped connection: what the action server treats as "hall down"
                        statuses.append(client.post(api, json=big, headers=headers, timeout=10).status_code)
                    except httpx.HTTPError:
                        statuses.append(599)
                # The write must really have failed (a test that also passes when every write
                # succeeded proves nothing): a 5xx or a dropped connection each time, no ticket.
                assert all(s >= 500 for s in statuses), statuses
                assert stack.procs["hall"].alive
                filler.unlink()
                second = create_with_retries(client, api, headers, big)
                again = create_with_retries(client, api, headers, big)
                assert again["number"] == second["number"]
                listed = client.get(api, params={"conversation_id": conversation}, headers=headers,
                                    timeout=10).json()["items"]
            assert sorted(t["number"] for t in listed) == sorted([first["number"], second["number"]])
            assert all(t["due_at"] and t["description"] for t in listed)
            import sqlite3

            with sqlite3.connect(var_dir / "hall.db") as conn:
                assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        except BaseException:
            print("hall log:\n" + stack.procs["hall"].tail(60))
            raise
        finally:
            stack.stop()
    finally:
        _umount(var_dir)
