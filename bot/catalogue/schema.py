"""The catalogue schema: one pydantic model per kind of record in data/catalogue/.

Error messages are in Chinese because the people who edit the catalogue are service-centre
staff, not programmers.
"""

from __future__ import annotations

import re
from datetime import date
from typing import List, Literal, Optional
from urllib.parse import urlparse

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


def is_home_page(url: Optional[str]) -> bool:
    """True for a portal's home page (https://www.zjzwfw.gov.cn/): a link that is not the guide's own."""
    if not url:
        return False
    parsed = urlparse(url.strip())
    return bool(parsed.netloc) and parsed.path in ("", "/") and not parsed.query and not parsed.fragment


def _basis_or_unverified(basis: Optional[str], unverified: bool, what: str) -> None:
    """Every fact carries its own basis (document number and article) or says it was not checked."""
    if not basis and not unverified:
        raise ValueError(f"{what}缺少依据：请填写 basis（文号和条款），无法从公开来源核实的标注 unverified: true")


class Material(_Model):
    name: Text
    form: MaterialForm
    copies: int = Field(1, ge=0, le=20)
    exempt: bool = False
    note: Optional[Text] = None
    basis: Optional[Text] = None            # the rule that requires the document, when checked


class TimeLimit(_Model):
    """法定时限 (legal) and 承诺时限 (promised) are different facts, each with its own basis."""

    legal: Text
    legal_basis: Optional[Text] = None      # e.g. 《中华人民共和国护照法》（2006-04-29）第六条
    legal_unverified: bool = False
    promised: Text
    promised_days: int = Field(..., ge=0, le=365)
    promised_basis: Optional[Text] = None   # the published guide or document that promises it
    promised_unverified: bool = False

    @root_validator(skip_on_failure=True)
    def _bases(cls, values):
        _basis_or_unverified(values.get("legal_basis"), values.get("legal_unverified"), "法定时限（legal）")
        _basis_or_unverified(values.get("promised_basis"), values.get("promised_unverified"), "承诺时限（promised）")
        return values


class Fee(_Model):
    free: bool
    amount: Optional[Text] = None
    basis: Optional[Text] = None            # document number and article, e.g. 发改价格〔2003〕2322号 第一条
    unverified: bool = False

    @root_validator(skip_on_failure=True)
    def _amount_when_charged(cls, values):
        if not values.get("free") and not values.get("amount"):
            raise ValueError("收费事项必须填写 amount（收费金额）")
        _basis_or_unverified(values.get("basis"), values.get("unverified"), "收费")
        return values


class Citation(_Model):
    """One entry of legal_basis: a document in a named version, and the articles relied on."""

    title: Text                             # 《中华人民共和国居民身份证法》
    version: Optional[date] = None          # the version cited: date of promulgation or last amendment
    articles: Optional[Text] = None         # 第十一条、第十二条
    unverified: bool = False
    note: Optional[Text] = None

    @root_validator(skip_on_failure=True)
    def _checked(cls, values):
        if not values.get("unverified"):
            missing = [label for key, label in (("version", "version（版本日期）"), ("articles", "articles（条款）"))
                       if not values.get(key)]
            if missing:
                raise ValueError(f"{values.get('title')}缺少{'、'.join(missing)}；无法核实的标注 unverified: true")
        return values

    def text(self) -> str:
        version = f"（{self.version.isoformat()}版）" if self.version else ""
        return f"{self.title}{version}{self.articles or ''}"


class Source(_Model):
    """Where the guide's content comes from: the official guide's page, or the document it follows."""

    title: Text                             # 浙江政务服务网“居民身份证换领”办事指南
    url: Optional[Text] = None
    generic: bool = False                   # the url is a portal's home page, not this guide's page

    @root_validator(skip_on_failure=True)
    def _generic(cls, values):
        url = values.get("url")
        if url and not re.match(r"^https?://", url):
            raise ValueError(f"网址“{url}”应以 http:// 或 https:// 开头")
        if is_home_page(url) and not values.get("generic"):
            raise ValueError(f"网址“{url}”是门户首页，不是该事项的页面：请填写具体地址，或标注 generic: true")
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
    generic: bool = False                   # the url is a portal's home page (the audit lists it)

    @root_validator(skip_on_failure=True)
    def _generic(cls, values):
        if is_home_page(values.get("url")) and not values.get("generic"):
            raise ValueError(f"网址“{values.get('url')}”是门户首页：请填写该事项的具体地址，或标注 generic: true")
        return values


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
    legal_basis: List[Citation]
    phone: Text
    related: List[str] = []
    source: Source
    verified_on: date

    @validator("legal_basis", pre=True)
    def _structured(cls, v):
        if isinstance(v, list):
            old = [str(i) for i, item in enumerate(v, 1) if isinstance(item, str)]
            if old:
                raise ValueError(f"第{'、'.join(old)}项是旧格式的文字：每项应写成 title / version（版本日期）/ articles"
                                 "（条款）结构，无法核实的标注 unverified: true")
        return v

    @validator("verified_on")
    def _not_future(cls, v):
        if v > date.today():
            raise ValueError(f"核对日期 {v} 晚于今天")
        return v

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
