"""Dashboard: tickets per department and kind, first-response times, overdue, ratings, unmatched."""

from __future__ import annotations

import csv
import io
import statistics
from collections import Counter
from types import SimpleNamespace
from typing import Dict, List, Optional

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bot.hall import models
from bot.hall import stats as figures
from bot.hall.db import utcnow
from bot.hall.deps import get_db
from bot.hall.console.session import Viewer, templates, viewer
from bot.privacy import mask_text
from bot.vocabulary import RATING_LEVELS, TicketKind, TicketStatus

router = APIRouter()


def stats(db: Session, who: Viewer) -> Dict:
    T = models.Ticket
    scope = [] if who.sees_all else [T.department == who.user.department]
    names = {d.code: d.name for d in db.execute(select(models.Department)).scalars()}
    by_dept_kind: Dict[str, Counter] = {}
    for dept, kind, n in db.execute(select(T.department, T.kind, func.count()).where(*scope)
                                    .group_by(T.department, T.kind)):
        by_dept_kind.setdefault(dept, Counter())[kind] = n
    waits: List[float] = [
        (first - created).total_seconds() / 60
        for created, first in db.execute(select(T.created_at, T.first_response_at)
                                         .where(T.first_response_at.isnot(None), *scope))
    ]
    overdue = db.execute(select(func.count()).select_from(T).where(
        T.status != TicketStatus.RESOLVED, T.due_at < utcnow(), *scope)).scalar_one()
    open_count = db.execute(select(func.count()).select_from(T).where(T.status != TicketStatus.RESOLVED, *scope)).scalar_one()
    R, U = models.Rating, models.Unmatched
    rating_scope, unmatched_scope = _citizen_scope(who)
    ratings = Counter(dict(db.execute(select(R.level, func.count()).where(*rating_scope).group_by(R.level)).all()))
    unmatched = [_shown(u) for u in db.execute(select(U).where(*unmatched_scope).order_by(U.id.desc()).limit(50)).scalars()]
    unmatched_total = db.execute(select(func.count(U.id)).where(*unmatched_scope)).scalar_one()
    median: Optional[float] = statistics.median(waits) if waits else None
    depts = [{"code": d, "name": names.get(d, d), "kinds": c, "total": sum(c.values())}
             for d, c in sorted(by_dept_kind.items(), key=lambda x: -sum(x[1].values()))]
    rating_rows = [{"level": lvl, "name": RATING_LEVELS[lvl], "count": ratings.get(lvl, 0)} for lvl in (5, 4, 3, 2, 1)]
    return {
        "departments": depts, "kinds": TicketKind.labels(),
        "median_first_response": median, "responded": len(waits),
        "overdue": overdue, "unresolved": open_count,
        "ratings": rating_rows, "ratings_total": sum(ratings.values()),
        "unmatched": unmatched, "unmatched_total": unmatched_total,
        "max_dept": max([d["total"] for d in depts] or [1]),
        "max_rating": max([r["count"] for r in rating_rows] or [1]) or 1,
    }


def _citizen_scope(who: Viewer):
    """What of the citizens' ratings and questions this viewer may see: supervisors and admins all;
    staff those of their department (a rating through its matter or ticket, a question through the
    matter it was wrongly matched to). A question that matched nothing belongs to no department."""
    if who.sees_all:
        return [], []
    dept = who.user.department
    R, U, M, T = models.Rating, models.Unmatched, models.Matter, models.Ticket
    matters = select(M.code).where(M.department == dept)
    return ([or_(R.matter.in_(matters), R.ticket.in_(select(T.number).where(T.department == dept)))],
            [U.matter.in_(matters)])


def _shown(row: models.Unmatched) -> SimpleNamespace:
    """A citizen's question as staff see it: phone and ID numbers masked, text any page can hold."""
    return SimpleNamespace(id=row.id, created_at=row.created_at, channel=row.channel,
                           kind=getattr(row, "kind", None), matter=getattr(row, "matter", None),
                           text=mask_text(clean_text(row.text or "")))


def clean_text(text: str) -> str:
    """No NUL or other control character (csv refuses NUL; browsers show garbage) and no lone
    surrogate (it cannot be encoded as UTF-8): either would make a whole page answer 500."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    return "".join(ch if ch >= " " or ch in "\t\n" else "\ufffd" for ch in text)


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, who: Viewer = Depends(viewer), db: Session = Depends(get_db)):
    # Figures per day for a date range (issue #17): bot.hall.stats, drawn by figures.html.
    fig = figures.dashboard_context(db, None if who.sees_all else (who.user.department or "-"),
                                    request.query_params.get("from", ""), request.query_params.get("to", ""))
    return templates.TemplateResponse(request, "dashboard.html", {"who": who, "s": stats(db, who), "fig": fig})


@router.get("/dashboard.csv")
def dashboard_csv(who: Viewer = Depends(viewer), db: Session = Depends(get_db)):
    s = stats(db, who)
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["类别", "项目", "子项", "数值"])
    for d in s["departments"]:
        for kind, name in TicketKind.labels().items():
            w.writerow(["工单", d["name"], name, d["kinds"].get(kind, 0)])
    w.writerow(["指标", "首次响应时间中位数（分钟）", "",
                "" if s["median_first_response"] is None else round(s["median_first_response"], 1)])
    w.writerow(["指标", "未办结工单", "", s["unresolved"]])
    w.writerow(["指标", "已超时工单", "", s["overdue"]])
    for r in s["ratings"]:
        w.writerow(["好差评", r["name"], r["level"], r["count"]])
    for u in s["unmatched"]:
        w.writerow(["未匹配", u.channel, u.created_at.isoformat(timespec="seconds"), _csv_safe(u.text)])
    # BOM: Excel on Windows opens the Chinese correctly
    return Response("\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="dashboard.csv"'})


def _csv_safe(text: str) -> str:
    """Citizens' text must not become a spreadsheet formula (and must be writable at all)."""
    text = clean_text(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
