"""Replay scenarios through the REST webhook of running servers, and score them.

Each scenario is one conversation with a fresh sender id; its turns are sent in order, scenarios
run concurrently (a small bound). After every turn the conversation's tickets are read straight
from the hall's database (the hall's API masks phone numbers), so a turn knows which tickets it
created, `{ticket}` in a message becomes the latest ticket's number, and the scenario's end ticket
can be checked word for word.

A turn is right when every expected field holds in the bot's replies of that turn (see
`score_turn`); a conversation is right when all its scored turns are right and its end ticket, if
it expects one, is right. The end-ticket check counts as one more checked turn.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

import httpx
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from bot.db import is_sqlite
from bot.dialogues.scenarios import NO_DEPARTMENT, TICKET_PLACEHOLDER, EndTicket, Expect, Scenario
from bot.hall.db import make_engine, make_sessionmaker
from bot.hall.models import Ticket

WEBHOOK = "/webhooks/rest/webhook"
TIMEOUT = 60.0
TEXT_CHARS = 160  # texts kept in the results
TICKET_FIELDS = ("description", "region", "contact_phone", "reason")
_PHONE_LIKE = re.compile(r"^[\d\s\-－—–+()（）]+$")
_SQUASH = re.compile(r"[\s\-－—–]")


class ReplayError(Exception):
    """The servers or the database cannot be reached; the message says so in Chinese."""


# ---------------------------------------------------------------- the hall's tickets


@dataclass(frozen=True)
class TicketRow:
    number: str
    kind: str
    department: str
    matter: Optional[str]
    description: str
    region: Optional[str]
    contact_phone: Optional[str]
    reason: Optional[str]

    def brief(self) -> Dict[str, Any]:
        return {"number": self.number, "kind": self.kind, "department": self.department,
                "matter": self.matter, "region": self.region,
                "description": _shorten(self.description or "", TEXT_CHARS)}


class HallTickets:
    """Reads one conversation's tickets from the hall's database (SQLAlchemy, read only)."""

    def __init__(self, database_url: str):
        if is_sqlite(database_url):
            path = database_url.split("///", 1)[-1]
            if path and path != ":memory:" and not Path(path).exists():
                raise ReplayError(f"服务大厅的数据库不存在：{path}（--database-url 指向运行中服务的 DATABASE_URL）")
        self.url = database_url
        self.engine = make_engine(database_url)
        self.sessions = make_sessionmaker(self.engine)

    def check(self) -> int:
        """How many tickets the hall holds; ReplayError when the table cannot be read."""
        try:
            with self.sessions() as session:
                return int(session.execute(select(func.count(Ticket.id))).scalar_one())
        except SQLAlchemyError as exc:
            raise ReplayError(f"读不了服务大厅数据库的工单表（{self.url}）：{exc.__class__.__name__}: "
                              f"{str(exc).splitlines()[0]}") from None

    def of(self, conversation_id: str) -> List[TicketRow]:
        """The conversation's tickets, oldest first (the last one is the most recent)."""
        query = (select(Ticket).where(Ticket.conversation_id == conversation_id)
                 .order_by(Ticket.created_at, Ticket.id))
        with self.sessions() as session:
            return [TicketRow(t.number, t.kind, t.department, t.matter, t.description or "", t.region,
                              t.contact_phone, t.reason) for t in session.execute(query).scalars()]

    async def of_async(self, conversation_id: str) -> List[TicketRow]:
        return await asyncio.to_thread(self.of, conversation_id)

    def close(self) -> None:
        self.engine.dispose()


# ---------------------------------------------------------------- scoring


def customs(replies: Iterable[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return [m["custom"] for m in replies if isinstance(m, dict) and isinstance(m.get("custom"), dict)]


def department_of(custom: Dict[str, Any]) -> Tuple[bool, Optional[str]]:
    """(whether the payload names a department, its code): a code, or {"code", "name", "score"}."""
    if "department" not in custom:
        return False, None
    value = custom["department"]
    if isinstance(value, dict):
        value = value.get("code")
    return True, value if isinstance(value, str) or value is None else str(value)


def _has(payloads: Iterable[Dict[str, Any]], **wanted: Any) -> bool:
    """Some payload holds every wanted key with exactly that value."""
    return any(all(k in c and c[k] is v if isinstance(v, bool) else c.get(k) == v for k, v in wanted.items())
               for c in payloads)


def _seen(values: Iterable[Any]) -> str:
    shown = [str(v) for v in dict.fromkeys(values) if v is not None]
    return "、".join(shown) if shown else "无"


def score_turn(expect: Expect, replies: List[Dict[str, Any]], new_tickets: List[TicketRow]) -> List[str]:
    """Why the turn is wrong (one reason per expected field that does not hold); [] when right."""
    found = customs(replies)
    reasons: List[str] = []

    if expect.matter is not None and not _has(found, matter=expect.matter):
        reasons.append(f"事项：期望 {expect.matter}，回复中的事项：{_seen(c.get('matter') for c in found)}")

    if expect.aspect is not None:
        if expect.matter is not None:
            candidates = [c for c in found if c.get("matter") == expect.matter]
        else:
            candidates = [c for c in found if "aspect" in c]
        if not _has(candidates, aspect=expect.aspect):
            whose = f"事项 {expect.matter} 的回复" if expect.matter else "回复"
            reasons.append(f"方面：期望 {expect.aspect}，{whose}中的方面：{_seen(c.get('aspect') for c in candidates)}")

    if expect.clarify is not None:
        offers = [c["clarify"] for c in found if isinstance(c.get("clarify"), list)]
        if not any(set(expect.clarify) <= set(offer) for offer in offers):
            got = " / ".join(",".join(map(str, o)) for o in offers) or "没有追问"
            reasons.append(f"追问：期望候选包含 {','.join(expect.clarify)}，得到 {got}")

    if expect.department is not None:
        named = [department_of(c) for c in found]
        codes = [code for present, code in named if present]
        if expect.department == NO_DEPARTMENT:
            ok = any(present and code is None for present, code in named) or _has(found, outside=True)
        else:
            ok = expect.department in codes
        if not ok:
            got = _seen(code if code is not None else "null" for code in codes) if codes else "回复中没有 department 字段"
            reasons.append(f"部门：期望 {expect.department}，得到 {got}")

    if expect.ticket_kind is not None or expect.ticket_department is not None:
        def wanted(kind: Any, department: Optional[str]) -> bool:
            return ((expect.ticket_kind is None or kind == expect.ticket_kind)
                    and (expect.ticket_department is None or department == expect.ticket_department))

        created = any(wanted(t.kind, t.department) for t in new_tickets)
        announced = any("ticket" in c and wanted(c.get("kind"), department_of(c)[1]) for c in found)
        if not (created or announced):
            made = _seen(f"{t.number}({t.kind}/{t.department})" for t in new_tickets)
            said = _seen(f"{c.get('ticket')}({c.get('kind')}/{department_of(c)[1]})" for c in found if "ticket" in c)
            target = "/".join(x for x in (expect.ticket_kind, expect.ticket_department) if x)
            reasons.append(f"工单：期望本轮建 {target} 工单，本轮新建：{made}，回复中的工单：{said}")

    if expect.handoff is not None and _has(found, handoff=True) != expect.handoff:
        reasons.append("转人工：期望转人工（handoff: true），回复中没有" if expect.handoff else "转人工：不应转人工，却转了")

    if expect.ticket_status is not None and any("tickets" in c for c in found) != expect.ticket_status:
        reasons.append("工单查询：期望回复列出工单状态（tickets），没有" if expect.ticket_status
                       else "工单查询：不应列出工单状态，却列了")
    return reasons


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def _phone_like(text: str) -> bool:
    return bool(_PHONE_LIKE.match(text)) and sum(ch.isdigit() for ch in text) >= 7


def text_contains(needle: str, haystacks: Iterable[Optional[str]]) -> bool:
    """`needle` appears in one of the fields; phone-like strings ignore spaces and hyphens, and
    Traditional and Simplified characters count as the same (the bot may store either)."""
    fields = [h for h in haystacks if h]
    if _phone_like(needle):
        squashed = _SQUASH.sub("", needle)
        return any(squashed in _SQUASH.sub("", h) for h in fields)
    if any(needle in h for h in fields):
        return True
    simple = _t2s().convert(needle)
    return any(simple in _t2s().convert(h) for h in fields)


def _ticket_problems(expected: EndTicket, ticket: TicketRow) -> List[str]:
    problems = []
    if ticket.kind != expected.kind:
        problems.append(f"类型是 {ticket.kind}")
    if expected.department is not None and ticket.department != expected.department:
        problems.append(f"部门是 {ticket.department}")
    if expected.matter is not None and ticket.matter != expected.matter:
        problems.append(f"事项是 {ticket.matter or '无'}")
    fields = [getattr(ticket, name) for name in TICKET_FIELDS]
    problems += [f"不含“{text}”" for text in expected.contains if not text_contains(text, fields)]
    return problems


def score_end_ticket(expected: EndTicket, tickets: List[TicketRow]) -> List[str]:
    """Why no ticket of the conversation is the one expected; [] when one is."""
    wanted = "/".join(x for x in (expected.kind, expected.department, expected.matter) if x)
    if expected.contains:
        wanted += f"，含 {'、'.join(expected.contains)}"
    if not tickets:
        return [f"结束工单：期望 {wanted}；本会话没有工单"]
    judged = [(_ticket_problems(expected, t), t) for t in tickets]
    if any(not problems for problems, _ in judged):
        return []
    problems, closest = min(judged, key=lambda pair: len(pair[0]))
    return [f"结束工单：期望 {wanted}；最接近的工单 {closest.number}（{closest.kind}/{closest.department}/"
            f"{closest.matter or '无事项'}）{'，'.join(problems)}"]


# ---------------------------------------------------------------- results


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def brief_custom(custom: Dict[str, Any]) -> Dict[str, Any]:
    """A payload for the results: scalars kept, big objects (the matter card) summarised."""
    out: Dict[str, Any] = {}
    for key, value in custom.items():
        if isinstance(value, str):
            out[key] = _shorten(value, TEXT_CHARS)
        elif isinstance(value, list):
            out[key] = value[:10] + (["…"] if len(value) > 10 else [])
        elif isinstance(value, dict) and len(json.dumps(value, ensure_ascii=False)) > 100:
            out[key] = {k: value[k] for k in ("code", "name", "score") if k in value} or "{…}"
        else:
            out[key] = value
    return out


@dataclass
class TurnResult:
    index: int  # 1-based
    say: str  # as sent ({ticket} replaced)
    expect: Optional[Dict[str, Any]]
    right: Optional[bool]  # None: not scored
    reasons: List[str] = field(default_factory=list)
    texts: List[str] = field(default_factory=list)
    customs: List[Dict[str, Any]] = field(default_factory=list)
    new_tickets: List[Dict[str, Any]] = field(default_factory=list)
    error: Optional[str] = None


@dataclass
class EndTicketResult:
    expect: Dict[str, Any]
    right: bool
    reasons: List[str]
    tickets: List[Dict[str, Any]]


@dataclass
class ScenarioResult:
    id: str
    kind: str
    persona: str
    sender: str
    turns: List[TurnResult]
    end_ticket: Optional[EndTicketResult] = None

    @property
    def checked(self) -> int:
        return sum(1 for t in self.turns if t.right is not None) + (1 if self.end_ticket else 0)

    @property
    def checks_right(self) -> int:
        return sum(1 for t in self.turns if t.right) + (1 if self.end_ticket and self.end_ticket.right else 0)

    @property
    def right(self) -> bool:
        return self.checks_right == self.checked

    def to_json(self) -> Dict[str, Any]:
        data = asdict(self)
        data["right"] = self.right
        return data


@dataclass
class Tally:
    scenarios: int = 0
    conversations_right: int = 0
    checked: int = 0  # scored turns plus end-ticket checks
    right: int = 0
    end_tickets: int = 0  # of which end-ticket checks

    def add(self, result: ScenarioResult) -> None:
        self.scenarios += 1
        self.conversations_right += int(result.right)
        self.checked += result.checked
        self.right += result.checks_right
        self.end_tickets += int(result.end_ticket is not None)

    @property
    def turn_accuracy(self) -> float:
        return self.right / self.checked if self.checked else 0.0

    @property
    def conversation_accuracy(self) -> float:
        return self.conversations_right / self.scenarios if self.scenarios else 0.0

    def to_json(self) -> Dict[str, Any]:
        return {**asdict(self), "turn_accuracy": round(self.turn_accuracy, 4),
                "conversation_accuracy": round(self.conversation_accuracy, 4)}


def tally(results: Iterable[ScenarioResult]) -> Tuple[Dict[str, Tally], Tally]:
    """Figures per kind (in the order kinds first appear) and in total."""
    kinds: Dict[str, Tally] = {}
    total = Tally()
    for result in results:
        kinds.setdefault(result.kind, Tally()).add(result)
        total.add(result)
    return kinds, total


# ---------------------------------------------------------------- replay


def new_sender(scenario: Scenario) -> str:
    return f"eval-{scenario.id}-{uuid.uuid4().hex[:6]}"


async def replay_scenario(client: httpx.AsyncClient, rasa_url: str, hall: HallTickets,
                          scenario: Scenario) -> ScenarioResult:
    sender = new_sender(scenario)
    url = rasa_url.rstrip("/") + WEBHOOK
    tickets = await hall.of_async(sender)
    turns: List[TurnResult] = []
    for index, turn in enumerate(scenario.turns, 1):
        text, note = turn.say, None
        if TICKET_PLACEHOLDER in text:
            latest = tickets[-1].number if tickets else ""
            text = text.replace(TICKET_PLACEHOLDER, latest)
            if not latest:
                note = f"{TICKET_PLACEHOLDER} 替换为空：此时本会话还没有工单"
        replies: List[Dict[str, Any]] = []
        error = None
        try:
            response = await client.post(url, json={"sender": sender, "message": text})
            response.raise_for_status()
            body = response.json()
            replies = body if isinstance(body, list) else []
        except (httpx.HTTPError, ValueError) as exc:
            error = f"请求失败：{exc.__class__.__name__}: {_shorten(str(exc), 200)}"
        after = await hall.of_async(sender)
        known = {t.number for t in tickets}
        created = [t for t in after if t.number not in known]
        tickets = after
        result = TurnResult(
            index=index, say=text, expect=turn.expect.fields() if turn.expect else None, right=None,
            texts=[_shorten(m["text"], TEXT_CHARS) for m in replies if isinstance(m, dict) and m.get("text")],
            customs=[brief_custom(c) for c in customs(replies)],
            new_tickets=[t.brief() for t in created], error=error,
        )
        if turn.expect:
            result.reasons = ([error] if error else []) + ([note] if note else []) + \
                score_turn(turn.expect, replies, created)
            # A note alone (no ticket for {ticket}) explains, it does not fail the turn.
            result.right = not [r for r in result.reasons if r != note]
        elif error:
            result.reasons = [error]
        turns.append(result)
    end = None
    if scenario.ticket:
        reasons = score_end_ticket(scenario.ticket, tickets)
        end = EndTicketResult(expect=scenario.ticket.dict(exclude_none=True), right=not reasons, reasons=reasons,
                              tickets=[t.brief() for t in tickets])
    return ScenarioResult(scenario.id, scenario.kind, scenario.persona, sender, turns, end)


async def replay(scenarios: List[Scenario], rasa_url: str, hall: HallTickets, concurrency: int = 4,
                 timeout: float = TIMEOUT,
                 progress: Optional[Callable[[ScenarioResult], None]] = None) -> List[ScenarioResult]:
    """Every scenario as its own conversation, `concurrency` at a time; results in the given order."""
    bound = asyncio.Semaphore(max(1, concurrency))
    limits = httpx.Limits(max_connections=max(1, concurrency) * 2)
    async with httpx.AsyncClient(timeout=timeout, limits=limits) as client:
        async def one(scenario: Scenario) -> ScenarioResult:
            async with bound:
                result = await replay_scenario(client, rasa_url, hall, scenario)
            if progress:
                progress(result)
            return result

        return list(await asyncio.gather(*(one(s) for s in scenarios)))


async def check_rasa(rasa_url: str, timeout: float = 10.0) -> None:
    """ReplayError unless a Rasa server answers at `rasa_url`."""
    try:
        async with httpx.AsyncClient(timeout=timeout) as client:
            response = await client.get(rasa_url.rstrip("/") + "/")
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise ReplayError(f"连不上 Rasa 服务器 {rasa_url}（{exc.__class__.__name__}: {exc}）；"
                          f"先用 onetrip up 启动服务，或用 --rasa-url 指定地址") from None
