"""Department knowledge (data/catalogue/remits/): what each department handles, in citizens' words.

One file per department (``<code>.yml``) and ``_outside.yml`` for bodies that are none of ours
(courts, the army, banks, another province's offices). Beside them, data/catalogue/routed/ holds
messages citizens wrote, each with the department that handles it (or ``none``): the training part
of the blind routing sets, and any message a clerk routed by hand. Clerks edit these files, so
every mistake is reported in Chinese with the file, the field and the item, once.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Set, Union

from pydantic import BaseModel, ValidationError, validator

from bot.catalogue import CatalogueError, default_catalogue_path
from bot.catalogue.problems import error_messages, read_yaml
from bot.catalogue.schema import DEPARTMENT_RE, Text
from bot.vocabulary import RequestType

REMITS_DIR = "remits"
ROUTED_DIR = "routed"
OUTSIDE_FILE = "_outside.yml"
NONE_OF_OURS = "none"  # the department of a routed message that is for no department of ours
URL_RE = re.compile(r"^https?://\S+$")

# Field names as a clerk reads them in an error message.
FIELD_NAMES = {
    "department": "部门编码", "remit": "职责说明", "topics": "主管事务", "hotline": "热线电话",
    "hours": "办公时间", "online": "网上入口", "entry": "入口说明", "url": "网址",
    "asks": "咨询说法", "complaints": "投诉说法", "requests": "求助说法", "suggestions": "建议说法",
    "not_handled": "不归本部门管的事", "topic": "事务", "goes_to": "该找谁",
    "outside": "非本系统机构", "body": "机构名称", "what": "管什么", "phrasings": "群众说法",
    "messages": "群众留言", "text": "原话", "style": "写法", "type": "诉求类型", "writer": "来源",
}
# The four phrasing lists, in the order the router reads them (also the request type they show).
PHRASING_FIELDS = ("asks", "complaints", "requests", "suggestions")


class KnowledgeError(CatalogueError):
    """The remit files do not validate; ``problems`` lists each mistake once, in Chinese."""

    def __init__(self, problems: List[str]):
        self.problems = problems
        Exception.__init__(self, "部门职责库校验未通过：\n" + "\n".join(f"  - {p}" for p in problems))


class _Model(BaseModel):
    class Config:
        extra = "forbid"  # a misspelt field name is an error, not silently ignored
        anystr_strip_whitespace = True


def _non_empty(values: list, field: str) -> list:
    if not values:
        raise ValueError(f"至少要有一条（{FIELD_NAMES[field]}）")
    return values


class Online(_Model):
    entry: Text
    url: str

    @validator("url")
    def _url(cls, v: str) -> str:
        if not URL_RE.match(v.strip()):
            raise ValueError(f"“{v}”不是网址，应以 http:// 或 https:// 开头")
        return v.strip()


class NotHandled(_Model):
    topic: Text
    goes_to: Text  # one of our department codes, or the name of a body outside (人民法院)


class Remit(_Model):
    department: str
    remit: Text
    topics: List[Text]
    hotline: Text
    hours: Text
    online: Online
    asks: List[Text]
    complaints: List[Text] = []
    requests: List[Text] = []
    suggestions: List[Text] = []
    not_handled: List[NotHandled] = []

    @validator("department")
    def _code(cls, v: str) -> str:
        if not DEPARTMENT_RE.match(v):
            raise ValueError(f"部门编码“{v}”只能是小写字母，如 gongan")
        return v

    @validator("topics", "asks")
    def _some(cls, v: list, field) -> list:  # noqa: ANN001  (pydantic passes the field)
        return _non_empty(v, field.name)

    def phrasings(self) -> Dict[str, List[str]]:
        return {f: [str(t) for t in getattr(self, f)] for f in PHRASING_FIELDS}


class OutsideBody(_Model):
    body: Text
    what: Text
    phrasings: List[Text]

    @validator("phrasings")
    def _some(cls, v: list) -> list:
        return _non_empty(v, "phrasings")


class OutsideFile(_Model):
    outside: List[OutsideBody]


class RoutedMessage(_Model):
    """A citizen's message and the department that handles it ("none": no department of ours)."""
    text: Text
    department: str
    style: str = ""
    type: Optional[RequestType] = None
    writer: str = ""

    @validator("department")
    def _code(cls, v: str) -> str:
        if v != NONE_OF_OURS and not DEPARTMENT_RE.match(v):
            raise ValueError(f"部门编码“{v}”只能是小写字母，如 gongan；不归本系统任何部门的写 {NONE_OF_OURS}")
        return v

    @validator("type", pre=True)
    def _type(cls, v: object) -> object:
        if v is None or v == "":
            return None
        for kind in RequestType:
            if v in (kind.value, kind.label, kind.name):
                return kind
        raise ValueError(f"诉求类型“{v}”只能是 {'、'.join(k.value for k in RequestType)}")


class RoutedFile(_Model):
    messages: List[RoutedMessage]


@dataclass
class Knowledge:
    remits: Dict[str, Remit]      # department code -> its remit
    outside: List[OutsideBody]    # bodies that are none of ours
    fingerprint: str = ""
    routed: List[RoutedMessage] = field(default_factory=list)  # citizens' messages, department given

    def outside_for(self, department_or_body: str) -> bool:
        return department_or_body not in self.remits

    def without_writers(self, writers: Iterable[str]) -> "Knowledge":
        """The same knowledge without the routed messages of these writers: to score a writer's
        messages with a router that never learnt from them (benchmarks/routing/writers_out_of_fold.py)."""
        left_out = set(writers)
        kept = [m for m in self.routed if m.writer not in left_out]
        return replace(self, routed=kept, fingerprint=f"{self.fingerprint}-without-{'-'.join(sorted(left_out))}")


def remits_path(catalogue_path: Union[str, Path, None] = None) -> Path:
    return (Path(catalogue_path) if catalogue_path else default_catalogue_path()) / REMITS_DIR


def routed_path(catalogue_path: Union[str, Path, None] = None) -> Path:
    return (Path(catalogue_path) if catalogue_path else default_catalogue_path()) / ROUTED_DIR


def _files(root: Path) -> List[Path]:
    return sorted(root.glob("*.yml")) if root.is_dir() else []


def knowledge_fingerprint(catalogue_path: Union[str, Path, None] = None) -> str:
    """A content hash of the remit and routed files: what a fitted router depends on besides the catalogue."""
    digest = hashlib.sha256()
    for root in (remits_path(catalogue_path), routed_path(catalogue_path)):
        for file in _files(root):
            digest.update(f"{root.name}/{file.name}".encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:20]


def _item(data: object, loc: tuple) -> object:
    """The value at pydantic's location ``loc`` inside the raw YAML data, or None."""
    for p in loc:
        if isinstance(data, dict) and p in data:
            data = data[p]
        elif isinstance(data, list) and isinstance(p, int) and p < len(data):
            data = data[p]
        else:
            return None
    return data


def _where(loc: tuple, data: dict) -> str:
    """'投诉说法（complaints） 第12条' from pydantic's location ('complaints', 11)."""
    parts: List[str] = []
    for i, p in enumerate(loc):
        if isinstance(p, int):
            parts.append(f"第{p + 1}条")
            # Name the item too, so the clerk finds it without counting lines.
            item = _item(data, loc[:i + 1])
            label = (item.get("body") or item.get("topic")) if isinstance(item, dict) else None
            if isinstance(label, str):
                parts[-1] += f"（{label}）"
        elif p != "__root__":
            parts.append(f"{FIELD_NAMES.get(p, p)}（{p}）")
    return " ".join(parts)


def _describe(error: ValidationError, file: Path, data: dict, folder: str = REMITS_DIR) -> List[str]:
    problems, seen = [], set()
    for loc, message in error_messages(error.errors(), FIELD_NAMES):
        where = _where(loc, data)
        line = f"{folder}/{file.name} {where}：{message}" if where else f"{folder}/{file.name}：{message}"
        if line not in seen:  # pydantic may report one mistake through several validators
            seen.add(line)
            problems.append(line)
    return problems


def load_knowledge(catalogue_path: Union[str, Path, None] = None,
                   departments: Optional[Dict[str, object]] = None) -> Knowledge:
    """Load and validate the remit files; raise KnowledgeError listing every mistake once.

    ``departments``: the catalogue's departments (code -> record); when given, each remit must
    name one of them and point ``goes_to`` codes at them.
    """
    root = remits_path(catalogue_path)
    if not root.is_dir():
        raise KnowledgeError([f"{root}：找不到部门职责目录 {REMITS_DIR}/"])
    problems: List[str] = []
    remits: Dict[str, Remit] = {}
    outside: List[OutsideBody] = []
    for file in _files(root):
        data = read_yaml(file, problems, f"{REMITS_DIR}/{file.name}")
        if data is None:
            continue
        if file.name == OUTSIDE_FILE:
            try:
                outside = OutsideFile.parse_obj(data).outside
            except ValidationError as exc:
                problems += _describe(exc, file, data)
            continue
        try:
            remit = Remit.parse_obj(data)
        except ValidationError as exc:
            problems += _describe(exc, file, data)
            continue
        name = f"{REMITS_DIR}/{file.name}"
        if remit.department != file.stem:
            problems.append(f"{name} 部门编码（department）：“{remit.department}”应与文件名 {file.stem} 一致")
            continue
        if departments is not None and remit.department not in departments:
            problems.append(f"{name} 部门编码（department）：{remit.department} 不在 departments.yml 中")
        remits[remit.department] = remit
    known = set(departments) if departments is not None else set(remits)
    for code, remit in remits.items():
        for i, item in enumerate(remit.not_handled):
            target = str(item.goes_to)
            if DEPARTMENT_RE.match(target) and target not in known:
                problems.append(f"{REMITS_DIR}/{code}.yml 不归本部门管的事（not_handled） 第{i + 1}条（{item.topic}）"
                                f" 该找谁（goes_to）：部门编码 {target} 不存在（本系统以外的机构请写中文名称）")
            elif target == code:
                problems.append(f"{REMITS_DIR}/{code}.yml 不归本部门管的事（not_handled） 第{i + 1}条（{item.topic}）"
                                f" 该找谁（goes_to）：不能是本部门自己")
    problems += _duplicates(remits)
    routed = _load_routed(routed_path(catalogue_path), known, problems)
    if problems:
        raise KnowledgeError(problems)
    return Knowledge(remits, outside, knowledge_fingerprint(catalogue_path), routed)


def _load_routed(root: Path, known: Set[str], problems: List[str]) -> List[RoutedMessage]:
    """The routed messages; a message's writer is its file's when it names none."""
    routed: List[RoutedMessage] = []
    for file in _files(root):
        data = read_yaml(file, problems, f"{ROUTED_DIR}/{file.name}")
        if data is None:
            continue
        try:
            messages = RoutedFile.parse_obj(data).messages
        except ValidationError as exc:
            problems += _describe(exc, file, data, ROUTED_DIR)
            continue
        for i, message in enumerate(messages):
            if message.department != NONE_OF_OURS and message.department not in known:
                problems.append(f"{ROUTED_DIR}/{file.name} 群众留言（messages） 第{i + 1}条（{message.text[:20]}）"
                                f" 部门编码（department）：{message.department} 不存在（不归本系统任何部门的写 {NONE_OF_OURS}）")
            routed.append(message if message.writer else message.copy(update={"writer": file.stem}))
    return routed


def _duplicates(remits: Dict[str, Remit]) -> List[str]:
    """The same phrasing under two departments teaches the router two answers to one question."""
    owner: Dict[str, str] = {}
    problems = []
    for code, remit in remits.items():
        for texts in remit.phrasings().values():
            for text in texts:
                key = re.sub(r"\W+", "", text)
                other = owner.setdefault(key, code)
                if other != code:
                    problems.append(f"{REMITS_DIR}/{code}.yml：说法“{text}”也写在 {other}.yml 中，"
                                    f"同一句话只能归一个部门")
    return problems
