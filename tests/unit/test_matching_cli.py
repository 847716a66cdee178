"""``onetrip match`` and ``onetrip eval`` as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(args, stdin: str, tmp_path: Path) -> subprocess.CompletedProcess:
    # The default cache (var/cache, keyed by the catalogue's fingerprint and the code's version), as
    # a user's command has it: a cold cache re-embeds every phrasing, which is the cache's own
    # tests' business (tests/unit/test_matching.py), not this command's.
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], input=stdin.encode("utf-8"),
                          capture_output=True, cwd=ROOT, env=env, timeout=300)


def test_match_output_is_exact(tmp_path: Path) -> None:
    lines = ["社宝卡丢了", "", "   ", "你好", "😀", "身份证到期了\r"]
    out = _run(["match", "--top", "2"], "\n".join(lines) + "\n", tmp_path)
    assert out.returncode == 0, out.stderr.decode()
    rows = out.stdout.decode("utf-8").splitlines()
    assert len(rows) == len(lines)
    for raw, line in zip(lines, rows):
        data = json.loads(line)
        assert list(data) == ["query", "matches", "abstain", "department"]  # department: issue #14
        assert data["query"] == raw.rstrip("\r")
        assert isinstance(data["abstain"], bool)
        assert len(data["matches"]) <= 2
        for m in data["matches"]:
            assert list(m) == ["matter", "department", "score"]
            assert isinstance(m["score"], float) and 0.0 <= m["score"] <= 1.0
    first = json.loads(rows[0])
    assert first["matches"][0] == {"matter": "renshe.social_card_lost", "department": "renshe",
                                   "score": first["matches"][0]["score"]}
    assert first["abstain"] is False
    assert "社宝卡" in rows[0]  # ensure_ascii=False
    assert json.loads(rows[1]) == {"query": "", "matches": [], "abstain": True, "department": None}
    assert json.loads(rows[3])["abstain"] is True


def test_match_survives_invalid_utf8(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "bot.cli", "match"], input=b"\xff\xfe\x00bad\n\xe8\xba\xab\n",
                         capture_output=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0
    rows = [json.loads(line) for line in out.stdout.decode("utf-8").splitlines()]
    assert len(rows) == 2 and all(r["abstain"] for r in rows)


def test_eval_writes_confusion_png(tmp_path: Path) -> None:
    png = tmp_path / "confusion.png"
    out = _run(["eval", "--queries", "tests/data/dev_queries.yml", "--png", str(png)], "", tmp_path)
    assert out.returncode == 0, out.stderr.decode()
    assert "top1" in out.stdout.decode() and png.stat().st_size > 1000
