"""Reviewed changes to the catalogue YAML from the console's review of failed questions.

A supervisor adds a citizen's wording as an alias of a matter (``matters/<dept>.yml``, the
matter's ``aliases``) or as a phrasing of a department (``remits/<dept>.yml``, ``asks``). The
change is a one-line insertion into the file as written (comments and layout kept), so the diff
the supervisor reviews is exactly what is written. Before writing, the whole catalogue with the
change is checked in a temporary copy by ``onetrip catalogue validate`` (and the remit files by
their own loader); the file is replaced atomically, and only if nobody changed it since the
preview. The matcher learns the new wording at the next ``onetrip train`` (which retrains only
the matcher) and the hall's search at the next ``onetrip catalogue import`` / restart.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Tuple

import yaml

from bot import settings as env
from bot.hall.similarity import canonical

TRAIN_NOTE = "已写入事项库。运行 `onetrip train` 重新训练匹配模型（只重训匹配器）后机器人即可识别这一说法。"
MAX_PHRASE = 200


class EditError(Exception):
    """A change that cannot be made; the message is for the supervisor, in Chinese."""


@dataclass(frozen=True)
class Change:
    path: Path          # the file to change
    relative: str       # its path inside the catalogue, for people
    before: str
    after: str
    phrase: str
    target: str         # matter code or department code

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.before.encode("utf-8")).hexdigest()[:16]

    def diff(self) -> str:
        return "".join(difflib.unified_diff(self.before.splitlines(keepends=True), self.after.splitlines(keepends=True),
                                            fromfile=f"a/{self.relative}", tofile=f"b/{self.relative}", n=2))


def _clean(phrase: str) -> str:
    phrase = " ".join((phrase or "").split())
    if not phrase:
        raise EditError("说法不能为空")
    if len(phrase) > MAX_PHRASE:
        raise EditError(f"说法太长（最多 {MAX_PHRASE} 字）")
    if re.search(r"1[3-9]\d{9}|\d{17}[\dXx]", phrase):
        raise EditError("说法里不能有手机号或身份证号")
    return phrase


def _scalar(phrase: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is YAML's)."""
    return json.dumps(phrase, ensure_ascii=False)


def _block_end(lines: List[str], key_line: int, key_indent: int, stop: int) -> Tuple[int, str]:
    """For the block list under lines[key_line] ("key:"), the index after its last item and the
    indentation of its items."""
    indent, last = None, key_line
    for i in range(key_line + 1, stop):
        stripped = lines[i].strip()
        if not stripped or stripped.startswith("#"):
            continue
        current = len(lines[i]) - len(lines[i].lstrip(" "))
        if current < key_indent or (current == key_indent and not stripped.startswith("- ")):
            break
        if current == key_indent and stripped.startswith("- ") and indent is None:
            indent = current  # "key:\n- item" at the key's own indentation
        if indent is not None and current < indent:
            break
        if indent is None and stripped.startswith("- "):
            indent = current
        last = i
    if indent is None:
        raise EditError("找不到要添加的位置（列表为空或格式特殊），请手工编辑")
    return last + 1, " " * indent


def _insert(text: str, key: str, phrase: str, start: int = 0, stop: Optional[int] = None,
            key_indent: Optional[int] = None) -> str:
    lines = text.splitlines(keepends=True)
    stop = len(lines) if stop is None else stop
    pattern = re.compile(rf"^(\s*){re.escape(key)}:\s*(.*)$")
    for i in range(start, stop):
        m = pattern.match(lines[i].rstrip("\n"))
        if not m or (key_indent is not None and len(m.group(1)) != key_indent):
            continue
        rest = m.group(2).strip()
        if rest.startswith("[") and rest.endswith("]"):  # flow list on one line
            inner = rest[1:-1].strip()
            lines[i] = f"{m.group(1)}{key}: [{inner + ', ' if inner else ''}{_scalar(phrase)}]\n"
            return "".join(lines)
        if rest and not rest.startswith("#"):
            raise EditError(f"“{key}”的格式无法自动修改，请手工编辑")
        end, indent = _block_end(lines, i, len(m.group(1)), stop)
        if end > 0 and not lines[end - 1].endswith("\n"):
            lines[end - 1] += "\n"
        lines.insert(end, f"{indent}- {_scalar(phrase)}\n")
        return "".join(lines)
    raise EditError(f"文件中找不到“{key}”")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        raise EditError(f"找不到文件 {path.name}")


def alias_change(catalogue: Path, matter_code: str, phrase: str) -> Change:
    """Add ``phrase`` to the matter's aliases in matters/<department>.yml."""
    phrase = _clean(phrase)
    if not re.fullmatch(r"[a-z]+\.[a-z0-9_]+", matter_code or ""):
        raise EditError("事项编码格式不对")
    department = matter_code.split(".", 1)[0]
    path = catalogue / "matters" / f"{department}.yml"
    before = _read(path)
    data = yaml.safe_load(before) or {}
    record = next((m for m in data.get("matters") or [] if isinstance(m, dict) and m.get("code") == matter_code), None)
    if record is None:
        raise EditError(f"{path.name} 中没有事项 {matter_code}")
    if canonical(phrase) in {canonical(str(a)) for a in record.get("aliases") or []}:
        raise EditError("这个说法已经是该事项的群众说法")
    lines = before.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines)
                  if re.match(rf"^\s*-\s+code:\s*[\"']?{re.escape(matter_code)}[\"']?\s*(#.*)?$", line)), None)
    if start is None:
        raise EditError(f"{path.name} 中找不到“- code: {matter_code}”这一行，请手工编辑")
    record_indent = len(lines[start]) - len(lines[start].lstrip(" "))
    stop = next((i for i in range(start + 1, len(lines))
                 if lines[i].strip() and len(lines[i]) - len(lines[i].lstrip(" ")) <= record_indent), len(lines))
    after = _insert(before, "aliases", phrase, start + 1, stop, key_indent=record_indent + 2)
    return Change(path, f"matters/{path.name}", before, after, phrase, matter_code)


def phrasing_change(catalogue: Path, department: str, phrase: str) -> Change:
    """Add ``phrase`` to the department's ``asks`` in remits/<department>.yml."""
    phrase = _clean(phrase)
    if not re.fullmatch(r"[a-z]+", department or ""):
        raise EditError("部门编码格式不对")
    path = catalogue / "remits" / f"{department}.yml"
    before = _read(path)
    data = yaml.safe_load(before) or {}
    if canonical(phrase) in {canonical(str(a)) for a in data.get("asks") or []}:
        raise EditError("这个说法已经在该部门的群众问法里")
    after = _insert(before, "asks", phrase, key_indent=0)
    return Change(path, f"remits/{path.name}", before, after, phrase, department)


def _check_parsed(change: Change, written: Path) -> None:
    data = yaml.safe_load(written.read_text(encoding="utf-8")) or {}
    if change.relative.startswith("matters/"):
        record = next(m for m in data.get("matters") or [] if m.get("code") == change.target)
        values = record.get("aliases") or []
    else:
        values = data.get("asks") or []
    if change.phrase not in [str(v) for v in values]:
        raise EditError("修改后的文件读不出新说法，请手工编辑")


def validate(catalogue: Path, change: Change) -> None:
    """The whole catalogue with the change, in a temporary copy: `onetrip catalogue validate`."""
    with tempfile.TemporaryDirectory(prefix="onetrip-review-") as tmp:
        copy = Path(tmp) / "catalogue"
        shutil.copytree(catalogue, copy)
        written = copy / change.relative
        written.write_text(change.after, encoding="utf-8")
        _check_parsed(change, written)
        result = subprocess.run([sys.executable, "-m", "bot.cli", "catalogue", "validate", str(copy)],
                                capture_output=True, text=True, timeout=300, env=env.process_env())
        if result.returncode != 0:
            problems = (result.stderr or result.stdout).strip().replace(str(copy) + os.sep, "")
            raise EditError("事项库校验未通过，未写入：\n" + problems[-2000:])
        if change.relative.startswith("remits/"):
            _validate_remits(copy)


def _validate_remits(copy: Path) -> None:
    from bot.catalogue import load_catalogue
    from bot.routing.knowledge import KnowledgeError, load_knowledge

    try:
        load_knowledge(copy, load_catalogue(copy).departments)
    except KnowledgeError as exc:
        raise EditError("部门职责校验未通过，未写入：\n" + "\n".join(exc.problems)[:2000])


def apply(catalogue: Path, change: Change, expected_digest: str) -> None:
    """Validate, then replace the file atomically if it is still what the supervisor reviewed."""
    current = _read(change.path)
    if hashlib.sha256(current.encode("utf-8")).hexdigest()[:16] != expected_digest or current != change.before:
        raise EditError("文件在预览后已被修改，请重新预览")
    validate(catalogue, change)
    tmp = change.path.with_suffix(".yml.tmp")
    tmp.write_text(change.after, encoding="utf-8")
    os.replace(tmp, change.path)
