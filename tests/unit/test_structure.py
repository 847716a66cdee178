"""The structure's rules that import-linter cannot see (issue #13): the environment is read in
one module, and the shared vocabulary's codes are spelled only in bot/vocabulary.py."""

from __future__ import annotations

import ast
from pathlib import Path

from bot.vocabulary import FALLBACK_DEPARTMENT, Channel, Role, TicketKind, TicketStatus

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(p for d in ("bot", "actions") for p in (ROOT / d).rglob("*.py") if "migrations" not in p.parts)
CODES = {*TicketKind.values(), *TicketStatus.values(), *Channel.values(), *Role.values(), FALLBACK_DEPARTMENT}


def _docstrings(tree: ast.AST) -> set:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = getattr(node, "body", [])
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def test_environment_is_read_only_in_settings():
    # The benchmarks and scripts too: they hand their environment to child processes through
    # bot.settings.process_env.
    everywhere = SOURCES + sorted(p for d in ("benchmarks", "scripts") for p in (ROOT / d).rglob("*.py"))
    offenders = [str(p.relative_to(ROOT)) for p in everywhere
                 if p.name != "settings.py" and ("os.environ" in p.read_text(encoding="utf-8")
                                                 or "os.getenv" in p.read_text(encoding="utf-8"))]
    assert offenders == [], f"os.environ read outside bot/settings.py: {offenders}"


def test_vocabulary_codes_are_spelled_only_in_their_module():
    """A code used as a value (compared, assigned, passed) must come from bot.vocabulary. Dict keys
    are exempt: they name JSON fields and words ("complaint": "投诉" is an English word)."""
    offenders = []
    for path in SOURCES:
        if path.name == "vocabulary.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        keys = {id(k) for node in ast.walk(tree) if isinstance(node, ast.Dict) for k in node.keys if k is not None}
        skip = keys | _docstrings(tree)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in CODES
                    and id(node) not in skip):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value!r}")
    assert offenders == [], "vocabulary codes spelled outside bot/vocabulary.py:\n" + "\n".join(offenders)
