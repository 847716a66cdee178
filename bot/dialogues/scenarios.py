"""The scenario files of tests/data/dialogues/: schema, loader, and which part (fitting or held-out).

A file::

    # Writer D: blind multi-turn scenarios (fitting part)
    scenarios:
    - id: D012
      kind: form_escape            # the kind of failure the scenario probes; figures are per kind
      persona: migrant_worker
      turns:
      - say: 老板拖了我三个月工资不给，我要投诉
        expect: {matter: renshe.wage_arrears, department: renshe}
      - say: 电话13867900012         # a turn without `expect` is sent but not scored
      - say: 我的工单{ticket}现在处理到哪了   # {ticket}: the conversation's latest ticket number
        expect: {ticket_status: true}
      ticket:                      # checked after the last turn, in the hall's database
        kind: complaint
        department: renshe           # optional
        matter: renshe.wage_arrears  # optional
        contains: ['13867900012', 义乌]

Every problem is reported in Chinese with the file, the scenario's id, the turn and the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

import yaml
from pydantic import BaseModel, Extra, ValidationError, root_validator, validator

from bot.catalogue.problems import SAFE_LOADER, error_messages
from bot.catalogue.schema import CODE_RE, DEPARTMENT_RE
from bot.vocabulary import Aspect, TicketKind


# Expected department "none": the bot says the matter is outside every department's remit.
NO_DEPARTMENT = "none"
TICKET_PLACEHOLDER = "{ticket}"

FITTING, HELD_OUT, UNKNOWN_PART = "fitting", "held-out", "unknown"
PART_LABELS = {
    FITTING: "拟合部分（fitting part：可用于调优）",
    HELD_OUT: "留出部分（held-out part：从不用于调优）",
    UNKNOWN_PART: "未标明是拟合部分还是留出部分",
}

FIELD_NAMES = {
    "id": "编号", "kind": "类别", "persona": "人物", "turns": "对话轮次", "say": "群众说的话",
    "expect": "期望", "ticket": "结束时的工单", "matter": "事项", "aspect": "方面", "clarify": "追问候选",
    "department": "部门", "ticket_kind": "工单类型", "ticket_department": "工单部门",
    "handoff": "转人工", "ticket_status": "工单查询", "contains": "应包含", "scenarios": "场景列表",
}
# Where the same key means something else under the end ticket.
TICKET_FIELD_NAMES = {"kind": "工单类型", "department": "工单部门", "matter": "工单事项"}


def _matter_code(value: Optional[str]) -> Optional[str]:
    if value is not None and not CODE_RE.match(value):
        raise ValueError(f"事项编码“{value}”格式不对，应为“部门.事项”，如 gongan.id_card_renew")
    return value


def _department_code(value: Optional[str], allow_none: bool) -> Optional[str]:
    if value is None or (allow_none and value == NO_DEPARTMENT):
        return value
    if not DEPARTMENT_RE.match(value):
        extra = f"，或 {NO_DEPARTMENT}（不属于任何部门）" if allow_none else ""
        raise ValueError(f"部门编码“{value}”格式不对，应为小写字母，如 gongan{extra}")
    return value


def _ticket_kind(value: Optional[str]) -> Optional[str]:
    if value is not None and value not in TicketKind.values():
        raise ValueError(f"未知的工单类型“{value}”，可选：{', '.join(TicketKind.values())}")
    return value


class _Strict(BaseModel):
    class Config:
        extra = Extra.forbid
        anystr_strip_whitespace = True


class Expect(_Strict):
    """What the bot's replies to one turn must show (every field given must hold)."""

    matter: Optional[str] = None
    aspect: Optional[str] = None
    clarify: Optional[List[str]] = None
    department: Optional[str] = None
    ticket_kind: Optional[str] = None
    ticket_department: Optional[str] = None
    handoff: Optional[bool] = None
    ticket_status: Optional[bool] = None

    _matter = validator("matter", allow_reuse=True)(_matter_code)
    _kind = validator("ticket_kind", allow_reuse=True)(_ticket_kind)

    @validator("aspect")
    def _aspect(cls, v):
        if v is not None and v not in Aspect.values():
            raise ValueError(f"未知的方面“{v}”，可选：{', '.join(Aspect.values())}")
        return v

    @validator("clarify")
    def _clarify(cls, v):
        if v is not None:
            if not v:
                raise ValueError("追问候选不能为空列表")
            for code in v:
                _matter_code(code)
        return v

    @validator("department")
    def _department(cls, v):
        return _department_code(v, allow_none=True)

    @validator("ticket_department")
    def _ticket_department(cls, v):
        return _department_code(v, allow_none=False)

    @root_validator(skip_on_failure=True)
    def _not_empty(cls, values):
        if all(v is None for v in values.values()):
            raise ValueError("expect 为空：要么写出期望的字段，要么去掉 expect（该轮只发送不评分）")
        return values

    def fields(self) -> Dict[str, Any]:
        """The expected fields, as written."""
        return self.dict(exclude_none=True)


class Turn(_Strict):
    say: str
    expect: Optional[Expect] = None

    @validator("say")
    def _say(cls, v):
        if not v:
            raise ValueError("群众说的话不能为空")
        return v


class EndTicket(_Strict):
    """A ticket the conversation must have filed by its end."""

    kind: str
    department: Optional[str] = None  # left out: whichever department the ticket went to
    matter: Optional[str] = None
    contains: List[str] = []

    _kind = validator("kind", allow_reuse=True)(_ticket_kind)
    _matter = validator("matter", allow_reuse=True)(_matter_code)

    @validator("department")
    def _department(cls, v):
        return _department_code(v, allow_none=False)

    @validator("contains", each_item=True)
    def _contains(cls, v):
        if not v:
            raise ValueError("应包含的字符串不能为空")
        return v


class Scenario(_Strict):
    id: str
    kind: str
    persona: str = ""
    turns: List[Turn]
    ticket: Optional[EndTicket] = None

    @validator("id", "kind")
    def _non_empty(cls, v):
        if not v:
            raise ValueError("不能为空")
        return v

    @validator("turns")
    def _some_turns(cls, v):
        if not v:
            raise ValueError("至少要有一轮对话")
        return v

    def checked(self) -> int:
        """How many checks the scenario has: its scored turns, and its end ticket."""
        return sum(1 for t in self.turns if t.expect) + (1 if self.ticket else 0)


class _File(_Strict):
    scenarios: List[Scenario]


class ScenarioError(Exception):
    """A scenario file does not validate; ``problems`` lists every problem, in Chinese."""

    def __init__(self, problems: List[str]):
        self.problems = problems
        super().__init__("场景文件校验未通过：\n" + "\n".join(f"  - {p}" for p in problems))


@dataclass
class ScenarioSet:
    path: Path
    part: str
    header: str
    scenarios: List[Scenario] = field(default_factory=list)

    @property
    def part_label(self) -> str:
        return PART_LABELS[self.part]


def header_comment(text: str) -> str:
    """The comment lines at the top of a file, without their '#'."""
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            lines.append(stripped.lstrip("#").strip())
        elif stripped:
            break
    return "\n".join(lines)


def file_part(path: Path, header: str) -> str:
    """fit_* is the fitting part, holdout_* the held-out part; otherwise the header comment says."""
    name = path.name.lower()
    if re.match(r"(holdout|held[-_]?out)", name):
        return HELD_OUT
    if re.match(r"fit", name):
        return FITTING
    words = header.lower()
    if re.search(r"held[- ]?out|holdout|留出", words):
        return HELD_OUT
    if re.search(r"\bfit(ting)?\b|拟合", words):
        return FITTING
    return UNKNOWN_PART


def _where(loc: List[Union[str, int]], records: list, file: Path) -> tuple:
    """("fit_D.yml 场景 D012 第2轮", remaining loc) for a pydantic error location."""
    where = file.name
    if len(loc) >= 2 and loc[0] == "scenarios" and isinstance(loc[1], int):
        index = loc[1]
        record = records[index] if index < len(records) and isinstance(records[index], dict) else {}
        where += f" 场景 {record.get('id') or '（无编号）'}（第{index + 1}个）"
        loc = loc[2:]
        if len(loc) >= 2 and loc[0] == "turns" and isinstance(loc[1], int):
            where += f" 第{loc[1] + 1}轮"
            loc = loc[2:]
    return where, loc


def _describe(error: ValidationError, file: Path, records: list) -> List[str]:
    problems = []
    for full_loc, message in error_messages(error.errors(), FIELD_NAMES):
        where, loc = _where(list(full_loc), records, file)
        names = [p for p in loc if p != "__root__"]
        path = ".".join(str(p) if isinstance(p, str) else f"[{p + 1}]" for p in names)
        label = ""
        if names and isinstance(names[-1], str):
            under_ticket = len(names) == 2 and names[0] == "ticket"
            label = (TICKET_FIELD_NAMES if under_ticket else FIELD_NAMES).get(names[-1], FIELD_NAMES.get(names[-1], ""))
        field_text = f" 字段 {path}{f'（{label}）' if label else ''}" if path else ""
        problems.append(f"{where}{field_text}：{message}")
    return problems


PHRASING_KIND = "aspect_words"


def _phrasings_as_scenarios(data: Dict[str, Any], file: Path) -> Dict[str, Any]:
    """A phrasing file (tests/data/phrasings/): follow-ups in a few words, each asked right after
    one of the file's `openers` (taken in turn), scored on the aspect its writer meant::

        openers: [我身份证丢了 要补办一张, 家里困难 想申请低保]
        phrasings:
        - {say: 那要带点啥, aspect: materials}
    """
    openers, phrasings = data.get("openers"), data.get("phrasings")
    if not isinstance(openers, list) or not openers or not all(isinstance(o, str) and o.strip() for o in openers):
        raise ScenarioError([f"{file.name}：应有顶层键 openers，其值为开场问题（文字）的列表"])
    if not isinstance(phrasings, list) or not phrasings:
        raise ScenarioError([f"{file.name}：顶层键 phrasings 应为追问的列表，每项含 say 和 aspect"])
    problems, scenarios = [], []
    for number, item in enumerate(phrasings, 1):
        if not isinstance(item, dict) or set(item) != {"say", "aspect"}:
            problems.append(f"{file.name} 第{number}条追问：应只含 say（群众说的话）和 aspect（问的方面）")
            continue
        scenarios.append({"id": f"{file.stem}-{number:03d}", "kind": PHRASING_KIND, "persona": "phrasing",
                          "turns": [{"say": openers[(number - 1) % len(openers)]},
                                    {"say": str(item["say"]), "expect": {"aspect": item["aspect"]}}]})
    if problems:
        raise ScenarioError(problems)
    return {"scenarios": scenarios}


def parse_scenarios(text: str, path: Union[str, Path] = "<场景>") -> ScenarioSet:
    """Validate a scenario file's text; raise ScenarioError listing every problem."""
    file = Path(path)
    try:
        data = yaml.load(text, Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" 第{mark.line + 1}行" if mark else ""
        raise ScenarioError([f"{file.name}{line}：YAML 格式错误（{getattr(exc, 'problem', exc)}）"]) from None
    if isinstance(data, dict) and "phrasings" in data:
        data = _phrasings_as_scenarios(data, file)
    if not isinstance(data, dict) or not isinstance(data.get("scenarios"), list):
        raise ScenarioError([f"{file.name}：应有顶层键 scenarios，其值为场景列表"])
    records = data["scenarios"]
    try:
        parsed = _File.parse_obj(data)
    except ValidationError as exc:
        raise ScenarioError(_describe(exc, file, records)) from None
    problems = []
    seen: Dict[str, int] = {}
    for number, scenario in enumerate(parsed.scenarios, 1):
        if scenario.id in seen:
            problems.append(f"{file.name} 场景 {scenario.id}（第{number}个）：编号与第{seen[scenario.id]}个重复")
        seen.setdefault(scenario.id, number)
        for turn_no, turn in enumerate(scenario.turns, 1):
            if TICKET_PLACEHOLDER in turn.say and turn_no == 1:
                problems.append(f"{file.name} 场景 {scenario.id} 第1轮 字段 say（群众说的话）："
                                f"第一轮还没有工单，不能用 {TICKET_PLACEHOLDER}")
    if not parsed.scenarios:
        problems.append(f"{file.name}：场景列表为空")
    if problems:
        raise ScenarioError(problems)
    header = header_comment(text)
    return ScenarioSet(path=file, part=file_part(file, header), header=header, scenarios=parsed.scenarios)


def load_scenarios(path: Union[str, Path]) -> ScenarioSet:
    """Read and validate one scenario file."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([f"{file}：无法读取（{exc}）"]) from None
    return parse_scenarios(text, file)
