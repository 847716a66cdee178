"""Service-level timers of tickets, in working time.

Working days come from the ``chinese_calendar`` package (official holidays and the 调休
make-up Saturdays/Sundays), never from a hand-written list. Working hours are 9:00-17:00
Asia/Shanghai. Defaults are in code; ONETRIP_SLA_FILE (YAML) may override any of them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Optional
from zoneinfo import ZoneInfo

import chinese_calendar
import yaml

from bot import settings
from bot.vocabulary import BAD_RATING_MAX, TICKET_MATTER_KINDS, TicketKind

TZ = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class KindRule:
    same_working_day: bool = False
    working_days: int = 0
    working_hours: int = 0
    response: str = ""


@dataclass(frozen=True)
class SlaConfig:
    day_start: dt.time = dt.time(9, 0)
    day_end: dt.time = dt.time(17, 0)
    kinds: Dict[str, KindRule] = field(default_factory=dict)


BAD_FEEDBACK = "feedback_bad"  # the rule for a 差评's feedback ticket (rating 1-2)
DEFAULT_KINDS: Dict[str, KindRule] = {
    TicketKind.GUIDANCE: KindRule(same_working_day=True, response="当天（工作日）内答复"),
    TicketKind.COMPLAINT: KindRule(working_days=3, response="3个工作日内联系您并告知处理情况"),
    TicketKind.CONSULT: KindRule(working_days=3, response="3个工作日内由部门工作人员答复"),
    TicketKind.FALLBACK: KindRule(working_days=3, response="3个工作日内由工作人员答复"),
    TicketKind.HANDOFF: KindRule(working_hours=2, response="工作时间内2小时内由人工客服回复"),
    TicketKind.FEEDBACK: KindRule(working_days=3, response="3个工作日内回复您的评价"),
    # 差评 (rating 1-2): a call back within 1 working day, the cause fixed within 15 days.
    BAD_FEEDBACK: KindRule(working_days=1, response="1个工作日内回访，15日内整改"),
}
DEFAULT_KINDS = {str(name): rule for name, rule in DEFAULT_KINDS.items()}


def _time(value: str) -> dt.time:
    hour, _, minute = str(value).partition(":")
    return dt.time(int(hour), int(minute or 0))


def load_config(path: Optional[str] = None) -> SlaConfig:
    """Defaults, overridden by the YAML file at ``path`` or ONETRIP_SLA_FILE.

    File shape::

        working_hours: {start: "09:00", end: "17:00"}
        kinds:
          complaint: {working_days: 5, response: 5个工作日内答复}
    """
    path = path or settings.sla_file()
    kinds = dict(DEFAULT_KINDS)
    start, end = dt.time(9, 0), dt.time(17, 0)
    if path:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        hours = data.get("working_hours") or {}
        start = _time(hours.get("start", "09:00"))
        end = _time(hours.get("end", "17:00"))
        for name, values in (data.get("kinds") or {}).items():
            base = kinds.get(name, KindRule()).__dict__.copy()
            base.update(values or {})
            kinds[name] = KindRule(**base)
    return SlaConfig(day_start=start, day_end=end, kinds=kinds)


def is_workday(day: dt.date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # a year the package does not know yet: plain weekdays
        return day.weekday() < 5


def next_workday(day: dt.date) -> dt.date:
    day += dt.timedelta(days=1)
    while not is_workday(day):
        day += dt.timedelta(days=1)
    return day


def _local(moment: dt.datetime) -> dt.datetime:
    """Aware local time; naive input is UTC (how the database stores it)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(TZ)


def _at(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=TZ)


def end_of_working_day(moment: dt.datetime, config: SlaConfig) -> dt.datetime:
    """17:00 today if today is a working day and it is not yet 17:00, else of the next working day."""
    local = _local(moment)
    day = local.date()
    if is_workday(day) and local.time() < config.day_end:
        return _at(day, config.day_end)
    return _at(next_workday(day), config.day_end)


def add_working_days(moment: dt.datetime, days: int, config: SlaConfig) -> dt.datetime:
    """17:00 of the Nth working day after the day of ``moment`` (the day itself does not count)."""
    day = _local(moment).date()
    for _ in range(days):
        day = next_workday(day)
    return _at(day, config.day_end)


def add_working_hours(moment: dt.datetime, hours: float, config: SlaConfig) -> dt.datetime:
    """Counts only the time between day_start and day_end of working days."""
    local = _local(moment)
    remaining = dt.timedelta(hours=hours)
    day = local.date()
    cursor = local
    while True:
        if is_workday(day):
            start = max(cursor, _at(day, config.day_start))
            end = _at(day, config.day_end)
            if start < end:
                if start + remaining <= end:
                    return start + remaining
                remaining -= end - start
        day = day + dt.timedelta(days=1)
        cursor = _at(day, config.day_start)


@dataclass(frozen=True)
class Deadline:
    due_at: dt.datetime  # aware, Asia/Shanghai
    promised_response: str


def rule_for(kind: str, rating: Optional[int], config: SlaConfig) -> KindRule:
    if kind == TicketKind.FEEDBACK and rating is not None and rating <= BAD_RATING_MAX:
        return config.kinds[BAD_FEEDBACK]
    return config.kinds.get(kind) or config.kinds[TicketKind.FALLBACK.value]


def deadline(
    kind: str,
    created: dt.datetime,
    config: SlaConfig,
    rating: Optional[int] = None,
    matter_hours: Optional[int] = None,
    matter_response: Optional[str] = None,
) -> Deadline:
    """When a ticket must be answered, and the promise in words.

    A guidance/complaint matter's own ``ticket.response_hours`` wins over the kind's default:
    the catalogue states what each department promises.
    """
    rule = rule_for(kind, rating, config)
    if matter_hours and kind in TICKET_MATTER_KINDS:
        due = add_working_hours(created, matter_hours, config)
    elif rule.working_hours:
        due = add_working_hours(created, rule.working_hours, config)
    elif rule.working_days:
        due = add_working_days(created, rule.working_days, config)
    else:
        due = end_of_working_day(created, config)
    text = matter_response if matter_response and kind in TICKET_MATTER_KINDS else rule.response
    return Deadline(due_at=due, promised_response=text)


def remaining_text(due: Optional[dt.datetime], now: dt.datetime) -> str:
    """剩余 2小时15分 / 已超时 1天3小时, for the queue."""
    if due is None:
        return "—"
    delta = _local(due) - _local(now)
    overdue = delta.total_seconds() < 0
    seconds = abs(int(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = (f"{days}天" if days else "") + (f"{hours}小时" if hours else "")
    if not days:
        parts += f"{minutes}分"
    return ("已超时 " if overdue else "剩余 ") + parts
