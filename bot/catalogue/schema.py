"""The catalogue schema: one pydantic model per kind of record in data/catalogue/.

Error messages are in Chinese because the people who edit the catalogue are service-centre
staff, not programmers.
"""

from __future__ import annotations

import re
from typing import List, Literal, Optional

from pydantic import BaseModel, Field, root_validator, validator

from bot.vocabulary import TICKET_MATTER_KINDS, MatterKind

CODE_RE = re.compile(r"^[a-z]+\.[a-z0-9_]+$")
DEPARTMENT_RE = re.compile(r"^[a-z]+$")
# Values that mean "not filled in yet": a guide with these is not a guide.
PLACEHOLDERS = {"待定", "待补充", "暂无", "略", "无", "xxx", "todo", "tbd", "...", "…", "-", "?", "？"}

MaterialForm = Literal["原件", "复印件", "原件和复印件", "电子证照", "表格", "照片"]
Kind = Literal[(MatterKind.SERVICE.value, *TICKET_MATTER_KINDS)]  # type: ignore[valid-type]


def _check_text(value: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ValueError("不能为空")
    if text.lower() in PLACEHOLDERS or re.search(r"(?i)\b(todo|tbd|xxx)\b", text):
        raise ValueError(f"“{text}”是占位内容，请填写真实内容")
    return text


class _Model(BaseModel):
    class Config:
        extra = "forbid"  # a misspelt field name is an error, not silently ignored
        anystr_strip_whitespace = True


class Text(str):
    """A non-empty, non-placeholder string."""

    @classmethod
    def __get_validators__(cls):  # pydantic 1.x hook
        yield cls.validate

    @classmethod
    def validate(cls, value):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise TypeError("应为文字")
        return cls(_check_text(value))


def _non_empty(values: list, what: str) -> list:
    if not values:
        raise ValueError(f"{what}至少要有一项")
    return values


class Material(_Model):
    name: Text
    form: MaterialForm
    copies: int = Field(1, ge=0, le=20)
    exempt: bool = False
    note: Optional[Text] = None


class TimeLimit(_Model):
    legal: Text
    promised: Text
    promised_days: int = Field(..., ge=0, le=365)


class Fee(_Model):
    free: bool
    amount: Optional[Text] = None
    basis: Text

    @root_validator(skip_on_failure=True)
    def _amount_when_charged(cls, values):
        if not values.get("free") and not values.get("amount"):
            raise ValueError("收费事项必须填写 amount（收费金额）")
        return values


class Location(_Model):
    window: Text
    address: Text
    hours: Text


class Online(_Model):
    entry: Text
    url: Text
    full_online: bool
    note: Optional[Text] = None


class TicketInfo(_Model):
    """What a guidance or complaint matter promises once a ticket is opened."""

    tell: List[Text]
    answered_by: Text
    response: Text
    response_hours: int = Field(..., ge=1, le=24 * 30)

    _tell = validator("tell", allow_reuse=True)(lambda v: _non_empty(v, "tell（需要说明的情况）"))


class _Guide(_Model):
    """Fields every 办事指南 has, matter or bundle."""

    code: str
    name: Text
    department: str
    summary: Text
    aliases: List[Text]
    keywords: List[Text]
    steps: List[Text]
    time_limit: TimeLimit
    fee: Fee
    location: Location
    online: Online
    visits: int = Field(..., ge=0, le=1, description="到现场次数：0=跑零次，1=最多跑一次")
    legal_basis: List[Text]
    phone: Text
    related: List[str] = []

    @validator("code")
    def _code_shape(cls, v):
        if not CODE_RE.match(v):
            raise ValueError(f"编码“{v}”格式不对，应为“部门.事项”，如 gongan.id_card_renew")
        return v

    @validator("aliases")
    def _aliases(cls, v):
        return _non_empty(v, "aliases（群众常用说法）")

    @validator("keywords")
    def _keywords(cls, v):
        return _non_empty(v, "keywords（关键词）")

    @validator("steps")
    def _steps(cls, v):
        return _non_empty(v, "steps（办理流程）")

    @validator("legal_basis")
    def _basis(cls, v):
        return _non_empty(v, "legal_basis（设定依据）")


class Matter(_Guide):
    kind: Kind
    conditions: List[Text]
    materials: List[Material]
    ticket: Optional[TicketInfo] = None

    @validator("conditions")
    def _conditions(cls, v):
        return _non_empty(v, "conditions（申请条件）")

    @validator("materials")
    def _materials(cls, v):
        return _non_empty(v, "materials（申请材料）")

    @root_validator(skip_on_failure=True)
    def _ticket_for_tickets(cls, values):
        kind, ticket = values.get("kind"), values.get("ticket")
        if kind in TICKET_MATTER_KINDS and ticket is None:
            raise ValueError(f"{kind} 类事项必须有 ticket（受理说明）")
        if kind == MatterKind.SERVICE and ticket is not None:
            raise ValueError("service 类事项不应有 ticket")
        return values


class Bundle(_Guide):
    kind: Literal["bundle"] = "bundle"
    members: List[str]
    extra_materials: List[Material] = []
    start: Text

    @validator("members")
    def _members(cls, v):
        if len(v) < 2:
            raise ValueError("一件事至少包含两个事项")
        if len(set(v)) != len(v):
            raise ValueError("members 中有重复事项")
        return v


class Department(_Model):
    code: str
    name: Text
    note: Text
    phone: Text
    aliases: List[Text] = []

    @validator("code")
    def _code_shape(cls, v):
        if not DEPARTMENT_RE.match(v):
            raise ValueError(f"部门编码“{v}”只能是小写字母，如 gongan")
        return v


class DepartmentsFile(_Model):
    departments: List[Department]


class MattersFile(_Model):
    department: str
    matters: List[Matter]


class BundlesFile(_Model):
    bundles: List[Bundle]
