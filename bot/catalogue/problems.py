"""Mistakes in the YAML a clerk edits, said in Chinese: one reader of YAML files and one wording of
pydantic's validation errors, for the catalogue, the departments' remits and the dialogue scenarios."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple

import yaml

SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(file: Path, problems: List[str], label: Optional[str] = None) -> Optional[dict]:
    """The file's mapping, or None with the reason appended to ``problems`` (named ``label``)."""
    name = label or file.name
    try:
        data = yaml.load(file.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{name}：无法读取（{exc}）")
        return None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" 第{mark.line + 1}行" if mark else ""
        problems.append(f"{name}{line}：YAML 格式错误（{getattr(exc, 'problem', exc)}）")
        return None
    if not isinstance(data, dict):
        problems.append(f"{name}：文件内容应为键值结构")
        return None
    return data


# pydantic's English for limits and formats, in the clerk's words.
LIMITS = {
    "value_error.number.not_le": "应不大于 {}", "value_error.number.not_lt": "应小于 {}",
    "value_error.number.not_ge": "应不小于 {}", "value_error.number.not_gt": "应大于 {}",
    "value_error.any_str.min_length": "至少 {} 个字", "value_error.any_str.max_length": "最多 {} 个字",
    "value_error.list.min_items": "至少 {} 条", "value_error.list.max_items": "最多 {} 条",
}
PLAIN = {
    "type_error.integer": "应为整数", "type_error.float": "应为数字", "type_error.bool": "应为 true 或 false",
    "value_error.date": "日期格式不对（应为 YYYY-MM-DD）", "type_error.date": "日期格式不对（应为 YYYY-MM-DD）",
    "value_error.url": "网址格式不对", "value_error.url.scheme": "网址应以 http:// 或 https:// 开头",
    "type_error.dict": "应为键值结构", "type_error.str": "应为文字",
}


def error_messages(errors: List[Dict[str, Any]], field_names: Mapping[str, str]) -> List[Tuple[tuple, str]]:
    """(location, message) for each of pydantic's errors. A misspelt field name shows up twice (the
    right one missing, the wrong one unknown): it is said once, as a misspelling."""
    missing = {tuple(e["loc"][:-1]): e for e in errors if e["type"] == "value_error.missing"}
    extra = {tuple(e["loc"][:-1]): e for e in errors if e["type"] == "value_error.extra"}
    typos = {parent for parent in missing if parent in extra}
    out: List[Tuple[tuple, str]] = []
    for err in errors:
        loc, kind = tuple(err["loc"]), err["type"]
        if kind == "value_error.missing" and loc[:-1] in typos:
            continue
        if kind == "value_error.extra" and loc[:-1] in typos:
            right = missing[loc[:-1]]["loc"][-1]
            message = f"未知字段，是不是“{field_names.get(right, right)}（{right}）”写错了？"
        elif kind == "value_error.missing":
            message = "缺少此字段"
        elif kind == "value_error.extra":
            message = "未知字段（拼写错误？）"
        elif kind == "type_error.none.not_allowed":
            message = "不能为空"
        elif kind == "type_error.list":
            message = "应为列表（每条一行，以“- ”开头）"
        elif kind in LIMITS:
            message = LIMITS[kind].format((err.get("ctx") or {}).get("limit_value", ""))
        elif kind in PLAIN:
            message = PLAIN[kind]
        elif kind.startswith("type_error"):
            message = f"类型不对：{err['msg']}" if not err["msg"].isascii() else "类型不对（应为文字或列表）"
        else:  # our validators speak Chinese; pydantic's own words are kept only when not said above
            message = err["msg"]
        out.append((loc, message))
    return out
