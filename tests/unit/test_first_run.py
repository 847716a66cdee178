"""First run and operation (issue #18): the port check after a stop, a broken catalogue reported
alike by `onetrip up`, `onetrip train` and `onetrip catalogue validate` (Chinese, exit 2, no
traceback), and no secret on a command line."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from pathlib import Path

from bot import procs
from bot.cli.rasa_run import rasa_argv
from bot.settings import ROOT

ONETRIP = Path(sys.executable).with_name("onetrip")


def test_port_in_time_wait_is_free():
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    served, _ = listener.accept()
    assert procs.port_problem("127.0.0.1", port)  # still listening: busy
    served.close()  # the server side closes first: its socket stays in TIME-WAIT
    client.close()
    listener.close()
    states = Path("/proc/net/tcp").read_text() if Path("/proc/net/tcp").exists() else ""
    if states:
        assert any(line.split()[1].endswith(f":{port:04X}") and line.split()[3] == "06"  # 06 = TIME_WAIT
                   for line in states.splitlines()[1:]), "no TIME-WAIT socket was left"
    assert procs.port_problem("127.0.0.1", port) is None


def _broken_catalogue(tmp_path: Path) -> Path:
    copy = tmp_path / "catalogue"
    shutil.copytree(ROOT / "data" / "catalogue", copy)
    path = copy / "matters" / "bdc.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("    kind: service", "    kind: servce", 1), encoding="utf-8")
    return copy


def _run(args, env):
    return subprocess.run([str(ONETRIP), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_broken_catalogue_same_answer_everywhere(tmp_path):
    catalogue = _broken_catalogue(tmp_path)
    env = procs.stack_env(tmp_path / "var", {k: v for k, v in __import__("os").environ.items()},
                          {"ONETRIP_CATALOGUE": str(catalogue), "ONETRIP_MODEL": str(tmp_path / "models" / "m.tar.gz")})[0]
    for args in (["catalogue", "validate", str(catalogue)], ["train"], ["up"]):
        result = _run(args, env)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr and "Traceback" not in result.stdout, args
        assert "bdc.first_registration" in result.stderr, (args, result.stderr)
        assert "校验未通过" in result.stderr and "共 1 个问题" in result.stderr, (args, result.stderr)
    assert not (tmp_path / "models" / "m.tar.gz").exists()


def test_rasa_token_not_on_the_command_line(monkeypatch, tmp_path):
    from bot.cli import up
    from bot.settings import load_settings

    monkeypatch.setenv("ONETRIP_VAR", str(tmp_path))
    monkeypatch.setenv("RASA_TOKEN", "-very-secret-token")
    settings = load_settings()
    for kid in up.children(settings, tmp_path / "m.tar.gz"):
        assert not any("very-secret-token" in part for part in kid.command), kid.command
    rasa = up.children(settings, tmp_path / "m.tar.gz")[0]
    assert rasa.command[1:3] == ["-m", "bot.cli.rasa_run"]
    assert rasa.env["RASA_TOKEN"] == "-very-secret-token"
    # Inside the process, Rasa's own CLI gets it.
    assert rasa_argv(["run", "--enable-api"], "-t") == ["run", "--enable-api", "--auth-token=-t"]
    assert rasa_argv(["train"], "t") == ["train"]


def test_rasa_run_wrapper_parses_like_rasa(monkeypatch):
    """The wrapper's arguments are accepted by Rasa 3.6's own parser, token included."""
    from rasa.cli.arguments import run as run_arguments
    import argparse

    parser = argparse.ArgumentParser()
    run_arguments.set_run_arguments(parser)
    parsed = parser.parse_args(rasa_argv(["run", "--enable-api", "--cors", "*"], "-tok")[1:])
    assert parsed.auth_token == "-tok" and parsed.enable_api
