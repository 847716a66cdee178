"""Issue 2's acceptance: `onetrip up` serves the three endpoints; bad configuration fails clearly."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

import httpx
import pytest

from stack import ONETRIP, ROOT, free_port

pytestmark = pytest.mark.e2e


def test_three_endpoints_answer(stack):
    assert httpx.get(stack.rasa_url + "/", timeout=5).status_code == 200
    assert httpx.get(stack.actions_url + "/health", timeout=5).status_code == 200
    health = httpx.get(stack.hall_url + "/healthz", timeout=5)
    assert health.status_code == 200


def test_rest_webhook_answers_in_chinese(stack):
    replies = stack.say("foundation-1", "你好")
    assert replies, "the bot said nothing"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in replies[0]["text"])


def test_http_api_requires_the_token(stack):
    assert httpx.get(stack.rasa_url + "/conversations/x/tracker", timeout=5).status_code == 401
    ok = httpx.get(stack.rasa_url + "/conversations/x/tracker",
                   params={"token": stack.secret("RASA_TOKEN")}, timeout=5)
    assert ok.status_code == 200


def test_secrets_are_private(stack):
    mode = (stack.var_dir / "secrets.env").stat().st_mode & 0o777
    assert mode == 0o600


def _up(env_overrides: dict, timeout: float = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.update(env_overrides)
    return subprocess.run([str(ONETRIP), "up"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_port_taken_is_a_clear_error(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = _up({"ONETRIP_VAR": str(tmp_path), "RASA_PORT": str(port),
                      "ACTIONS_PORT": str(free_port()), "HALL_PORT": str(free_port())})
    assert result.returncode == 2
    assert f"127.0.0.1:{port}" in result.stderr and "RASA_PORT" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_unwritable_var_is_a_clear_error(tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    result = _up({"ONETRIP_VAR": str(blocker / "var")})
    assert result.returncode == 2
    assert "ONETRIP_VAR" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_bad_port_value_is_a_clear_error(tmp_path):
    result = _up({"ONETRIP_VAR": str(tmp_path), "HALL_PORT": "eighty"})
    assert result.returncode == 2
    assert "HALL_PORT" in result.stderr and "Traceback" not in result.stderr


def test_missing_python_310_is_a_clear_error(tmp_path):
    """bootstrap.sh on a machine without Python 3.10: one paragraph on how to get it, exit 3."""
    work = tmp_path / "checkout"
    (work / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "bootstrap.sh", work / "scripts" / "bootstrap.sh")
    tools = tmp_path / "bin"
    tools.mkdir()
    for tool in ("ls", "sort", "cat", "tail", "rm", "dirname"):
        found = shutil.which(tool)
        assert found, tool
        (tools / tool).symlink_to(found)
    env = {"PATH": str(tools), "HOME": str(tmp_path), "PYENV_ROOT": str(tmp_path / "no-pyenv")}
    result = subprocess.run([shutil.which("bash"), "scripts/bootstrap.sh"], cwd=work, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 3
    assert "Python 3.10" in result.stderr and "pyenv install 3.10" in result.stderr
    assert not (work / ".venv").exists()
