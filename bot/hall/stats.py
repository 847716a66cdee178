"""The service centre's figures (issue #17): conversations, self-service, tickets, SLA, 好差评.

Two parts:

* ``ConversationFollower`` reads Rasa's tracker-store ``events`` table (ONETRIP_EVENTS_URL when it
  is SQL, else ONETRIP_TRACKER_URL) from a cursor kept in ``hall_meta`` and keeps one
  ``conversation_stats`` row per conversation (first day, channel, department, messages, human
  mode). It also records wrongly matched questions (a "不是这个" or a 差评 right after a matched
  answer) for review, and finishes citizens' erasures (bot.hall.retention). The figures never
  scan the events table, and deleting a transcript changes no figure.
* ``figures`` computes the JSON of ``GET /api/stats`` for a date range and a department; the
  dashboard draws its per-day series as server-rendered SVG (``chart_svg``) and exports them as
  CSV (``csv_text``).

Definitions (documented in the README):

* conversations: distinct conversations (Rasa sender ids) whose first citizen message falls on a
  day of the range (local time, Asia/Shanghai).
* self_served: those with no ticket, no handoff (转人工 ticket or human mode) and no 差评.
* handed_to_staff: those with a 转人工 ticket or paused for a person.
* tickets: tickets created in the range, by kind.
* within_sla: of the tickets created in the range that were answered or are past their deadline,
  the share first answered (a staff reply or the resolution) by their deadline; null if none.
* first_response_median_s: median seconds from creation to first answer, tickets of the range.
* ratings: 好差评 given in the range, counted by level "1".."5" (5 = 非常满意).
* bad_followed_up: of the 差评 (levels 1-2) given in the range, the share called back in time:
  the 差评's feedback ticket (kind feedback, same conversation, created after the rating) got a
  staff reply or was resolved by its deadline, which for a 差评 is the end of the next working day
  (bot.hall.sla, "1个工作日内回访"). A 差评 without a feedback ticket counts as not called back.
  null when there is no 差评.
* unmatched: the questions the bot could not place, masked (bot.privacy), grouped by wording,
  most frequent first.

A staff member sees their department only: conversations whose first placed matter or any ticket
belongs to it, its tickets, ratings of its tickets or matters; unmatched questions belong to no
department and are shown to supervisors only.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import statistics
from collections import Counter, defaultdict
from typing import Any, Dict, Iterable, List, Optional, Set, Tuple

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot import settings as env
from bot.hall import models, sla
from bot.hall.db import utcnow
from bot.hall.rasa_events import EventsTable, Row, decode, poll_forever, sql_events_url
from bot.privacy import mask_text
from bot.vocabulary import BAD_RATING_MAX, FollowUp, QuestionKind, TicketKind

CURSOR_KEY = "stats_events_cursor"
BATCH = 1000
MAX_DAYS = 366
UNMATCHED_TOP = 20
ERASE_GRACE = dt.timedelta(minutes=10)  # an erasure whose turn never ends is finished anyway
WRONG_INTENT = "correct_matter"  # "不是这个" (data/nlu/matters.yml)
RATING_SLOT = "rating"
LISTEN = "action_listen"


# --- days ------------------------------------------------------------------------------------

def local_day(moment: dt.datetime) -> dt.date:
    """The Asia/Shanghai date of a stored (naive UTC) time."""
    return moment.replace(tzinfo=dt.timezone.utc).astimezone(sla.TZ).date()


def day_bounds(start: dt.date, end: dt.date) -> Tuple[dt.datetime, dt.datetime]:
    """Naive UTC [start 00:00, end+1 00:00) of local days."""
    lo = dt.datetime.combine(start, dt.time(0), tzinfo=sla.TZ).astimezone(dt.timezone.utc).replace(tzinfo=None)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), tzinfo=sla.TZ)
    return lo, hi.astimezone(dt.timezone.utc).replace(tzinfo=None)


def parse_range(start: str, end: str, today: Optional[dt.date] = None) -> Tuple[dt.date, dt.date]:
    """from/to as YYYY-MM-DD (inclusive); the last 7 days by default. ValueError in Chinese."""
    today = today or local_day(utcnow())
    try:
        hi = dt.date.fromisoformat(end) if end else today
        lo = dt.date.fromisoformat(start) if start else hi - dt.timedelta(days=6)
    except ValueError:
        raise ValueError("日期格式应为 YYYY-MM-DD")
    if hi < lo:
        raise ValueError("结束日期不能早于开始日期")
    if (hi - lo).days >= MAX_DAYS:
        raise ValueError(f"统计区间最长 {MAX_DAYS} 天")
    return lo, hi


def _days(lo: dt.date, hi: dt.date) -> List[str]:
    return [(lo + dt.timedelta(days=i)).isoformat() for i in range((hi - lo).days + 1)]


# --- the event follower ----------------------------------------------------------------------

def _event_time(event: Dict[str, Any]) -> dt.datetime:
    ts = event.get("timestamp")
    if isinstance(ts, (int, float)):
        return dt.datetime.fromtimestamp(ts, dt.timezone.utc).replace(tzinfo=None)
    return utcnow()


def _placed_matter(event: Dict[str, Any]) -> Optional[str]:
    """The matter the NLU placed the message on: a matter entity, or a confident match."""
    parse = event.get("parse_data") or {}
    for found in parse.get("entities") or []:
        if isinstance(found, dict) and found.get("entity") == "matter" and found.get("value"):
            return str(found["value"])
    match = parse.get("matter_match") or {}
    matches = match.get("matches") or []
    if matches and not match.get("abstain", True) and not match.get("clarify", False):
        first = matches[0]
        return str(first.get("matter")) if isinstance(first, dict) and first.get("matter") else None
    return None


def _intent(event: Dict[str, Any]) -> str:
    return ((event.get("parse_data") or {}).get("intent") or {}).get("name") or ""


class ConversationFollower:
    """Keeps conversation_stats up to date from the tracker store's events table."""

    def __init__(self, state) -> None:
        self.state = state
        self._table: Optional[EventsTable] = None
        self._departments: Dict[str, str] = {}

    def source(self) -> EventsTable:
        if self._table is None:
            self._table = EventsTable(sql_events_url(self.state.settings))
        return self._table

    def close(self) -> None:
        if self._table is not None:
            self._table.close()

    def _department_of(self, db: Session, code: Optional[str]) -> Optional[str]:
        if not code:
            return None
        if code not in self._departments:
            row = db.get(models.Matter, code)
            self._departments[code] = row.department if row else ""
        return self._departments[code] or None

    def follow_once(self) -> int:
        """Process the events after the cursor (at most one batch); returns how many were read."""
        with self.state.sessions() as db:
            # Take the cursor row's write lock first: two halls on one database never count twice.
            db.execute(update(models.Meta).where(models.Meta.key == CURSOR_KEY).values(value=models.Meta.value))
            meta = db.execute(select(models.Meta).where(models.Meta.key == CURSOR_KEY).with_for_update()).scalar_one_or_none()
            if meta is None:
                meta = models.Meta(key=CURSOR_KEY, value="0")
                db.add(meta)
                db.flush()
            cursor = int(meta.value or 0)
            rows = self.source().rows_after(cursor, BATCH)  # read under the lock, committed with the cursor
            if not rows:
                db.rollback()
                self.finish_erasures(db, [])
                return 0
            self._apply(db, rows)
            meta.value = str(rows[-1][0])
            db.commit()
            self.finish_erasures(db, rows)
            return len(rows)

    def catch_up(self, limit: int = 1000) -> int:
        """Follow until the cursor reaches the end (tests, the CLI)."""
        total = 0
        for _ in range(limit):
            n = self.follow_once()
            total += n
            if n < BATCH:
                break
        return total

    def _apply(self, db: Session, rows: Iterable[Row]) -> None:
        convs: Dict[str, models.ConversationStat] = {}

        def conv(sender: str, at: dt.datetime) -> models.ConversationStat:
            row = convs.get(sender)
            if row is None:
                row = db.get(models.ConversationStat, sender)
                if row is None:
                    row = models.ConversationStat(
                        conversation_id=sender, day=local_day(at).isoformat(), channel="", first_at=at,
                        last_at=at, user_messages=0, handed=False)
                    db.add(row)
                convs[sender] = row
            return row

        for _id, sender, data in rows:
            event = decode(data) if sender else None
            if event is None:
                continue
            kind, at = event.get("event"), _event_time(event)
            if kind == "user":
                row = conv(sender, at)
                row.user_messages += 1
                row.last_at = max(row.last_at, at)
                row.channel = row.channel or (event.get("input_channel") or "")[:60]
                matter = _placed_matter(event)
                if _intent(event) == WRONG_INTENT:
                    self._wrong(db, row, at)
                elif matter:
                    if row.department is None:
                        row.department = self._department_of(db, matter)
                    row.last_question, row.last_matter = (event.get("text") or "")[:2000], matter[:100]
            elif kind == "pause":  # ConversationPaused: a person takes over (human mode)
                conv(sender, at).handed = True
            elif kind == "slot" and event.get("name") == RATING_SLOT:
                value = str(event.get("value") or "")
                if value.isdigit() and int(value) <= BAD_RATING_MAX:
                    row = convs.get(sender) or db.get(models.ConversationStat, sender)
                    if row is not None:
                        convs[sender] = row
                        self._wrong(db, row, at)

    @staticmethod
    def _wrong(db: Session, row: models.ConversationStat, at: dt.datetime) -> None:
        """The last matched question was answered with the wrong matter: keep it for review."""
        if row.last_question and row.last_matter:
            db.add(models.Unmatched(conversation_id=row.conversation_id, text=mask_text(row.last_question),
                                    channel=row.channel or "", created_at=at, kind=QuestionKind.WRONG.value,
                                    matter=row.last_matter))
            row.last_question = row.last_matter = None

    # --- citizens' erasures, finished after the turn that asked for them --------------------------
    def finish_erasures(self, db: Session, rows: List[Row]) -> None:
        pending = list(db.execute(select(models.Erasure).where(models.Erasure.done_at.is_(None))).scalars())
        if not pending:
            return
        now = utcnow()
        for erasure in pending:
            end_id = None
            for row_id, sender, data in rows:
                if sender == erasure.conversation_id and row_id > erasure.after_event_id and LISTEN in (data or ""):
                    event = decode(data) or {}
                    if event.get("event") == "action" and event.get("name") == LISTEN:
                        end_id = row_id
                        break
            if end_id is None and now - erasure.requested_at < ERASE_GRACE:
                continue
            from bot.hall.retention import finish_erasure

            finish_erasure(db, self.state.settings, erasure, end_id)
        db.commit()

    async def _step(self) -> None:
        while await asyncio.to_thread(self.follow_once) >= BATCH:  # a backlog is read without pausing
            pass

    async def run(self) -> None:
        await poll_forever(self._step, env.stats_follow_interval, "figures")


# --- the figures -----------------------------------------------------------------------------

def _median(values: List[float]) -> Optional[float]:
    return round(statistics.median(values), 1) if values else None


def _share(part: int, whole: int) -> Optional[float]:
    return round(part / whole, 4) if whole else None


def follow_up_state(db: Session, rating: models.Rating, tickets: Optional[List[models.Ticket]] = None,
                    now: Optional[dt.datetime] = None) -> Tuple[str, Optional[models.Ticket]]:
    """The call-back state of one rating (bot.vocabulary.FollowUp) and its feedback ticket."""
    if rating.level > BAD_RATING_MAX:
        return FollowUp.NOT_NEEDED.value, None
    if tickets is None:
        tickets = list(db.execute(select(models.Ticket).where(
            models.Ticket.conversation_id == rating.conversation_id,
            models.Ticket.kind == TicketKind.FEEDBACK.value)).scalars())
    candidates = sorted((t for t in tickets if t.kind == TicketKind.FEEDBACK and t.created_at >= rating.created_at
                         - dt.timedelta(seconds=5)), key=lambda t: t.created_at)
    if not candidates:
        return FollowUp.NO_TICKET.value, None
    ticket = candidates[0]
    answered = ticket.first_response_at or ticket.resolved_at
    if answered is not None:
        on_time = ticket.due_at is None or answered <= ticket.due_at
        return (FollowUp.ON_TIME if on_time else FollowUp.LATE).value, ticket
    if ticket.due_at is not None and ticket.due_at < (now or utcnow()):
        return FollowUp.MISSED.value, ticket
    return FollowUp.PENDING.value, ticket


def _rating_departments(db: Session, ratings: List[models.Rating]) -> Dict[int, Optional[str]]:
    numbers = {r.ticket for r in ratings if r.ticket}
    codes = {r.matter for r in ratings if r.matter}
    by_ticket = dict(db.execute(select(models.Ticket.number, models.Ticket.department)
                                .where(models.Ticket.number.in_(numbers))).all()) if numbers else {}
    by_matter = dict(db.execute(select(models.Matter.code, models.Matter.department)
                                .where(models.Matter.code.in_(codes))).all()) if codes else {}
    return {r.id: by_ticket.get(r.ticket) or by_matter.get(r.matter) for r in ratings}


def figures(db: Session, lo: dt.date, hi: dt.date, department: Optional[str] = None,
            now: Optional[dt.datetime] = None) -> Dict[str, Any]:
    """The JSON of GET /api/stats (see the module's doc for every definition)."""
    now = now or utcnow()
    start, end = day_bounds(lo, hi)
    days = _days(lo, hi)
    series: Dict[str, Dict[str, Any]] = {d: {"day": d, "conversations": 0, "self_served": 0, "handed_to_staff": 0,
                                             "tickets": 0, "ratings": 0, "bad_ratings": 0, "unmatched": 0}
                                         for d in days}
    T, R, C, U = models.Ticket, models.Rating, models.ConversationStat, models.Unmatched

    # Conversations and what became of them.
    convs = list(db.execute(select(C.conversation_id, C.day, C.department, C.handed)
                            .where(C.day >= days[0], C.day <= days[-1])).all())
    ids = [c[0] for c in convs]
    ticket_kinds: Dict[str, Set[str]] = defaultdict(set)
    ticket_depts: Dict[str, Set[str]] = defaultdict(set)
    bad: Set[str] = set()
    for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
        for conv, kind, dept in db.execute(select(T.conversation_id, T.kind, T.department)
                                           .where(T.conversation_id.in_(chunk))):
            ticket_kinds[conv].add(kind)
            ticket_depts[conv].add(dept)
        bad.update(db.execute(select(R.conversation_id).where(R.conversation_id.in_(chunk),
                                                              R.level <= BAD_RATING_MAX)).scalars())
    total = served = handed = 0
    for conv, day, dept, paused in convs:
        if department and dept != department and department not in ticket_depts.get(conv, ()):
            continue
        is_handed = bool(paused) or TicketKind.HANDOFF.value in ticket_kinds.get(conv, ())
        is_served = not ticket_kinds.get(conv) and not is_handed and conv not in bad
        total += 1
        handed += is_handed
        served += is_served
        s = series[day]
        s["conversations"] += 1
        s["handed_to_staff"] += is_handed
        s["self_served"] += is_served

    # Tickets: by kind, SLA, first response.
    scope = [T.department == department] if department else []
    tickets = list(db.execute(select(T).where(T.created_at >= start, T.created_at < end, *scope)).scalars())
    by_kind = Counter(t.kind for t in tickets)
    decided = on_time = 0
    waits: List[float] = []
    for t in tickets:
        series[local_day(t.created_at).isoformat()]["tickets"] += 1
        answered = t.first_response_at or t.resolved_at
        if answered is not None:
            waits.append((answered - t.created_at).total_seconds())
        if t.due_at is None:
            continue
        if answered is not None:
            decided += 1
            on_time += answered <= t.due_at
        elif t.due_at < now:
            decided += 1

    # 好差评 and the call-back of each 差评.
    ratings = list(db.execute(select(R).where(R.created_at >= start, R.created_at < end)).scalars())
    if department:
        depts = _rating_departments(db, ratings)
        ratings = [r for r in ratings if depts.get(r.id) == department]
    levels = Counter(r.level for r in ratings)
    bads = [r for r in ratings if r.level <= BAD_RATING_MAX]
    feedback: Dict[str, List[models.Ticket]] = defaultdict(list)
    if bads:
        convs_bad = list({r.conversation_id for r in bads})
        for chunk in (convs_bad[i:i + 500] for i in range(0, len(convs_bad), 500)):
            for t in db.execute(select(T).where(T.conversation_id.in_(chunk), T.kind == TicketKind.FEEDBACK.value)).scalars():
                feedback[t.conversation_id].append(t)
    followed = sum(1 for r in bads if follow_up_state(db, r, feedback.get(r.conversation_id, []), now)[0]
                   == FollowUp.ON_TIME)
    for r in ratings:
        s = series[local_day(r.created_at).isoformat()]
        s["ratings"] += 1
        s["bad_ratings"] += r.level <= BAD_RATING_MAX

    # Questions the bot could not place (no department: supervisors only).
    unmatched: List[Dict[str, Any]] = []
    if not department:
        counts: Counter = Counter()
        shown: Dict[str, str] = {}
        for text_, created in db.execute(select(U.text, U.created_at).where(
                U.created_at >= start, U.created_at < end, U.kind == QuestionKind.UNMATCHED.value)):
            masked = " ".join(mask_text(text_ or "").split())[:500]
            key = masked.lower()
            counts[key] += 1
            shown.setdefault(key, masked)
            series[local_day(created).isoformat()]["unmatched"] += 1
        unmatched = [{"text": shown[k], "count": n}
                     for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:UNMATCHED_TOP]]

    return {
        "from": lo.isoformat(), "to": hi.isoformat(), "department": department,
        "conversations": total,
        "self_served": served,
        "self_served_share": _share(served, total),
        "handed_to_staff": handed,
        "tickets": {kind: by_kind.get(kind, 0) for kind in TicketKind.values()},
        "tickets_total": len(tickets),
        "within_sla": _share(on_time, decided),
        "first_response_median_s": _median(waits),
        "ratings": {str(level): levels.get(level, 0) for level in range(1, 6)},
        "bad_ratings": len(bads),
        "bad_followed_up": _share(followed, len(bads)),
        "unmatched": unmatched,
        "days": [series[d] for d in days],
    }


# --- drawing and export ----------------------------------------------------------------------

SERIES = [  # key, label, colour
    ("conversations", "会话", "#2f6fb0"),
    ("self_served", "机器人独立解答", "#3a9d5d"),
    ("handed_to_staff", "转人工", "#c9a227"),
    ("tickets", "工单", "#7f5aa2"),
    ("bad_ratings", "差评", "#c0392b"),
    ("unmatched", "未匹配提问", "#888888"),
]


def chart_svg(days: List[Dict[str, Any]], key: str, label: str, colour: str,
              width: int = 420, height: int = 140) -> str:
    """One series per day as an SVG bar chart (numbers only: nothing to escape)."""
    n = max(len(days), 1)
    top = max([d[key] for d in days] + [1])
    left, bottom, plot_h = 34, 22, height - 40
    bar = (width - left - 6) / n
    parts = [f'<svg class="chart" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{label}（按日）" data-series="{key}">',
             f'<text x="{left}" y="12" font-size="12">{label}（最高 {top}）</text>',
             f'<line x1="{left}" y1="{height - bottom}" x2="{width - 4}" y2="{height - bottom}" stroke="#999"/>']
    step = max(1, n // 8)
    for i, d in enumerate(days):
        value = d[key]
        h = round(plot_h * value / top, 1)
        x = round(left + i * bar + bar * 0.1, 1)
        parts.append(f'<rect x="{x}" y="{round(height - bottom - h, 1)}" width="{max(round(bar * 0.8, 1), 0.5)}" '
                     f'height="{h}" fill="{colour}"><title>{d["day"]}：{value}</title></rect>')
        if i % step == 0:
            parts.append(f'<text x="{x}" y="{height - 6}" font-size="10">{d["day"][5:]}</text>')
    parts.append("</svg>")
    return "".join(parts)


def charts(f: Dict[str, Any]) -> List[str]:
    return [chart_svg(f["days"], key, label, colour) for key, label, colour in SERIES]


def csv_safe(value: Any) -> str:
    """Citizens' text must not become a spreadsheet formula, and NUL characters break importers."""
    text_ = str(value if value is not None else "").replace("\x00", "")
    return "'" + text_ if text_[:1] in ("=", "+", "-", "@", "\t", "\r") else text_


def csv_response_text(rows: List[List[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([csv_safe(v) for v in row])
    return "\ufeff" + out.getvalue()  # BOM: Excel on Windows opens the Chinese correctly


def csv_text(f: Dict[str, Any]) -> str:
    """The figures per day, then the totals, then the unmatched questions."""
    rows: List[List[Any]] = [["日期"] + [label for _, label, _ in SERIES] + ["好差评"]]
    for d in f["days"]:
        rows.append([d["day"]] + [d[key] for key, _, _ in SERIES] + [d["ratings"]])
    rows.append([])
    rows.append(["指标", "数值"])
    rows.append(["会话", f["conversations"]])
    rows.append(["机器人独立解答", f["self_served"]])
    rows.append(["转人工", f["handed_to_staff"]])
    for kind, label in TicketKind.labels().items():
        rows.append([f"工单：{label}", f["tickets"].get(kind, 0)])
    rows.append(["按时答复率", "" if f["within_sla"] is None else f["within_sla"]])
    rows.append(["首次响应中位数（秒）", "" if f["first_response_median_s"] is None else f["first_response_median_s"]])
    for level in ("5", "4", "3", "2", "1"):
        rows.append([f"好差评 {level} 星", f["ratings"][level]])
    rows.append(["差评按时回访率", "" if f["bad_followed_up"] is None else f["bad_followed_up"]])
    for u in f["unmatched"]:
        rows.append(["未匹配提问", u["text"], u["count"]])
    return csv_response_text(rows)


def ratings_export(db: Session, lo: dt.date, hi: dt.date, department: Optional[str] = None) -> str:
    """好差评 for reporting: one row per rating with matter, department, channel, time, call-back."""
    from bot.hall.tickets import iso
    from bot.vocabulary import RATING_LEVELS, Channel

    start, end = day_bounds(lo, hi)
    R = models.Rating
    ratings = list(db.execute(select(R).where(R.created_at >= start, R.created_at < end).order_by(R.created_at)).scalars())
    depts = _rating_departments(db, ratings)
    if department:
        ratings = [r for r in ratings if depts.get(r.id) == department]
    names = {d.code: d.name for d in db.execute(select(models.Department)).scalars()}
    codes = {r.matter for r in ratings if r.matter}
    matters = dict(db.execute(select(models.Matter.code, models.Matter.name).where(models.Matter.code.in_(codes))).all()) if codes else {}
    labels = FollowUp.labels()
    rows: List[List[Any]] = [["评价时间", "等级", "评价", "事项编码", "事项名称", "部门编码", "部门", "渠道", "关联工单",
                              "回访工单", "回访状态", "回访时间"]]
    now = utcnow()
    for r in ratings:
        state, ticket = follow_up_state(db, r, now=now)
        dept = depts.get(r.id) or ""
        answered = (ticket.first_response_at or ticket.resolved_at) if ticket else None
        rows.append([iso(r.created_at), r.level, RATING_LEVELS.get(r.level, ""), r.matter or "",
                     matters.get(r.matter, ""), dept, names.get(dept, dept), Channel.label_of(r.channel),
                     r.ticket or "", ticket.number if ticket else "", labels.get(state, state),
                     iso(answered) or ""])
    return csv_response_text(rows)


def count_rows(db: Session) -> Dict[str, int]:
    """How many rows each figure-bearing table holds (for the retention report and tests)."""
    return {name: db.execute(select(func.count()).select_from(model)).scalar_one()
            for name, model in (("conversations", models.ConversationStat), ("tickets", models.Ticket),
                                ("ratings", models.Rating), ("unmatched", models.Unmatched))}


def dashboard_context(db: Session, department: Optional[str], start: str, end: str) -> Dict[str, Any]:
    """What templates/figures.html needs: the range, the figures and their charts (or an error)."""
    try:
        lo, hi = parse_range(start[:10], end[:10])
        error = ""
    except ValueError as exc:
        lo, hi = parse_range("", "")
        error = str(exc)
    f = figures(db, lo, hi, department)
    return {"from": lo.isoformat(), "to": hi.isoformat(), "f": f, "charts": charts(f), "error": error,
            "kinds": TicketKind.labels()}
