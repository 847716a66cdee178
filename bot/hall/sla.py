"""Service-level timers of tickets, in working time.

Working days come from the ``chinese_calendar`` package (official holidays and the 调休
make-up Saturdays/Sundays). The package knows only the years published when it was released
(1.11: to 2026), so the SLA YAML may add ``holidays: [dates]`` and ``workdays: [dates]``: the
shipped ``data/sla/calendar-*.yml`` (2027, from the State Council's notice) and ONETRIP_SLA_FILE
on top. A date outside the package's range and not covered by an override is counted as a plain
weekday, with a loud warning (log and `onetrip up`): `calendar_gaps` says which. Working hours
are 9:00-17:00 Asia/Shanghai (``end: "24:00"`` for until midnight). Defaults are in code;
ONETRIP_SLA_FILE may override any of them.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, FrozenSet, Iterable, List, Optional
from zoneinfo import ZoneInfo

import chinese_calendar
import yaml

from bot import settings
from bot.vocabulary import BAD_RATING_MAX, TICKET_MATTER_KINDS, TicketKind

TZ = ZoneInfo("Asia/Shanghai")
logger = logging.getLogger(__name__)
CALENDAR_DIR = Path(__file__).resolve().parents[2] / "data" / "sla"


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
    holidays: FrozenSet[dt.date] = frozenset()   # days off the package does not know
    workdays: FrozenSet[dt.date] = frozenset()   # 调休 working days the package does not know
    covered_years: FrozenSet[int] = frozenset()  # years whose whole calendar the overrides give
    provisional_years: FrozenSet[int] = frozenset()  # ... from a file marked `provisional: true`


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


def hours_text(config: "SlaConfig") -> str:
    """The working hours as a citizen reads them: "9:00-17:00", "8:30-24:00"."""
    def clock(t: dt.time) -> str:
        return "24:00" if t == dt.time.max else f"{t.hour}:{t.minute:02d}"

    return f"{clock(config.day_start)}-{clock(config.day_end)}"


def _time(value: str) -> dt.time:
    hour, _, minute = str(value).partition(":")
    if int(hour) == 24 and not int(minute or 0):
        return dt.time.max  # "24:00" ends the day: a centre open round the clock says 00:00-24:00
    return dt.time(int(hour), int(minute or 0))


def _dates(values: Iterable, where: str) -> List[dt.date]:
    days = []
    for value in values or []:
        if isinstance(value, dt.date):
            days.append(value)
        else:
            try:
                days.append(dt.date.fromisoformat(str(value).strip()))
            except ValueError:
                raise ValueError(f"{where}: {value!r} is not a date (YYYY-MM-DD)")
    return days


def calendar_files(directory: Path = CALENDAR_DIR) -> List[Path]:
    return sorted(directory.glob("calendar-*.yml")) if directory.is_dir() else []


def load_config(path: Optional[str] = None, calendars: Optional[Iterable[Path]] = None) -> SlaConfig:
    """Defaults, the shipped calendars (data/sla/calendar-*.yml), then the YAML file at ``path``
    or ONETRIP_SLA_FILE.

    File shape::

        working_hours: {start: "09:00", end: "17:00"}
        kinds:
          complaint: {working_days: 5, response: 5个工作日内答复}
        years: [2027]                        # the holidays/workdays below are the whole year
        holidays: [2027-01-01, 2027-02-06]   # days off (法定节假日 and their bridging days)
        workdays: [2027-02-20]               # 调休: a Saturday or Sunday that is a working day
    """
    path = path or settings.sla_file()
    kinds = dict(DEFAULT_KINDS)
    start, end = dt.time(9, 0), dt.time(17, 0)
    holidays: set = set()
    workdays: set = set()
    years: set = set()
    provisional: set = set()
    files = list(calendar_files() if calendars is None else calendars) + ([Path(path)] if path else [])
    for file in files:
        data = yaml.safe_load(Path(file).read_text(encoding="utf-8")) or {}
        holidays.update(_dates(data.get("holidays"), f"{file}: holidays"))
        workdays.update(_dates(data.get("workdays"), f"{file}: workdays"))
        years.update(int(y) for y in data.get("years") or [])
        if data.get("provisional"):
            provisional.update(int(y) for y in data.get("years") or [])
        if file is not files[-1] or not path:
            continue  # the shipped calendars give dates only
        hours = data.get("working_hours") or {}
        start = _time(hours.get("start", "09:00"))
        end = _time(hours.get("end", "17:00"))
        for name, values in (data.get("kinds") or {}).items():
            base = kinds.get(name, KindRule()).__dict__.copy()
            base.update(values or {})
            kinds[name] = KindRule(**base)
    both = holidays & workdays
    if both:
        raise ValueError(f"SLA calendar: {sorted(both)[0]} is both a holiday and a workday")
    config = SlaConfig(day_start=start, day_end=end, kinds=kinds, holidays=frozenset(holidays),
                       workdays=frozenset(workdays), covered_years=frozenset(years),
                       provisional_years=frozenset(provisional))
    if not _logged:  # once per process: the hall's log at start-up
        _logged.append(True)
        for warning in calendar_warnings(dt.datetime.now(TZ).date(), config):
            logger.warning(warning)
    return config


_logged: list = []


def package_years() -> tuple:
    """(first, last) year that chinese_calendar knows."""
    from chinese_calendar import constants

    known = list(constants.holidays) + list(constants.workdays)
    return min(known).year, max(known).year


_warned: set = set()


def _in_range(day: dt.date, config: Optional[SlaConfig]) -> bool:
    first, last = package_years()
    return first <= day.year <= last or (config is not None and day.year in config.covered_years)


def is_workday(day: dt.date, config: Optional[SlaConfig] = None) -> bool:
    config = config if config is not None else _default_config()
    if day in config.holidays:
        return False
    if day in config.workdays:
        return True
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # a year the package does not know and no override covers
        if day.year not in config.covered_years and day.year not in _warned:
            _warned.add(day.year)
            logger.warning("SLA: the holiday calendar does not cover %s; counting plain weekdays. "
                           "Add that year's holidays/workdays to the SLA file (data/sla/calendar-%s.yml).",
                           day.year, day.year)
        return day.weekday() < 5


def calendar_gaps(today: dt.date, config: Optional[SlaConfig] = None, ahead_days: int = 90) -> List[int]:
    """Years from `today` to `ahead_days` later that neither the package nor an override covers."""
    config = config if config is not None else _default_config()
    last = today + dt.timedelta(days=ahead_days)
    return [year for year in range(today.year, last.year + 1)
            if not _in_range(dt.date(year, 1, 1), config)]


def calendar_warnings(today: dt.date, config: Optional[SlaConfig] = None, ahead_days: int = 90) -> List[str]:
    """What `onetrip up` and the hall's log say loudly about the working-day calendar."""
    config = config if config is not None else _default_config()
    first, last = package_years()
    warnings = [f"SLA 工作日历未覆盖 {year} 年（chinesecalendar 只到 {last} 年）：该年的节假日按普通周末计算，"
                f"工单时限会算错。请在 data/sla/calendar-{year}.yml 或 ONETRIP_SLA_FILE 中补充 holidays/workdays。"
                for year in calendar_gaps(today, config, ahead_days)]
    horizon = (today + dt.timedelta(days=ahead_days)).year
    warnings += [f"SLA 工作日历 {year} 年为暂定（provisional）：请按国务院办公厅 {year} 年节假日安排通知核对"
                 f" data/sla/calendar-{year}.yml。"
                 for year in sorted(config.provisional_years) if today.year <= year <= horizon]
    return warnings


_default: Optional[SlaConfig] = None


def _default_config() -> SlaConfig:
    """The configuration when a caller passes none (read once)."""
    global _default
    if _default is None:
        _default = load_config()
    return _default


def next_workday(day: dt.date, config: Optional[SlaConfig] = None) -> dt.date:
    day += dt.timedelta(days=1)
    while not is_workday(day, config):
        day += dt.timedelta(days=1)
    return day


def _local(moment: dt.datetime) -> dt.datetime:
    """Aware local time; naive input is UTC (how the database stores it)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(TZ)


def _at(day: dt.date, time: dt.time) -> dt.datetime:
    if time == dt.time.max:  # a working day ending at "24:00" ends at the next midnight
        return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=TZ)
    return dt.datetime.combine(day, time, tzinfo=TZ)


def end_of_working_day(moment: dt.datetime, config: SlaConfig) -> dt.datetime:
    """17:00 today if today is a working day and it is not yet 17:00, else of the next working day."""
    local = _local(moment)
    day = local.date()
    if is_workday(day, config) and local.time() < config.day_end:
        return _at(day, config.day_end)
    return _at(next_workday(day, config), config.day_end)


def add_working_days(moment: dt.datetime, days: int, config: SlaConfig) -> dt.datetime:
    """17:00 of the Nth working day after the day of ``moment`` (the day itself does not count)."""
    day = _local(moment).date()
    for _ in range(days):
        day = next_workday(day, config)
    return _at(day, config.day_end)


def add_working_hours(moment: dt.datetime, hours: float, config: SlaConfig) -> dt.datetime:
    """Counts only the time between day_start and day_end of working days."""
    local = _local(moment)
    remaining = dt.timedelta(hours=hours)
    day = local.date()
    cursor = local
    while True:
        if is_workday(day, config):
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


@dataclass(frozen=True)
class OfficeHours:
    open: bool
    back_at: dt.datetime  # aware, Asia/Shanghai: now when open, else when staff are next at work


def office_hours(moment: dt.datetime, config: SlaConfig) -> OfficeHours:
    """Whether staff are at work now (working day from the calendar, day_start-day_end), else when."""
    local = _local(moment)
    day = local.date()
    if is_workday(day, config):
        if config.day_start <= local.time() < config.day_end:
            return OfficeHours(True, local)
        if local.time() < config.day_start:
            return OfficeHours(False, _at(day, config.day_start))
    return OfficeHours(False, _at(next_workday(day, config), config.day_start))


WEEKDAYS = "一二三四五六日"


def when_text(moment: dt.datetime, now: dt.datetime) -> str:
    """今天9:00 / 明天9:00 / 10月8日（周三）9:00, for a citizen."""
    local, today = _local(moment), _local(now).date()
    clock = f"{local.hour}:{local.minute:02d}"
    if local.date() == today:
        return f"今天{clock}"
    if local.date() == today + dt.timedelta(days=1):
        return f"明天{clock}"
    return f"{local.month}月{local.day}日（周{WEEKDAYS[local.weekday()]}）{clock}"


def iso_local(moment: dt.datetime) -> str:
    return _local(moment).isoformat(timespec="seconds")
