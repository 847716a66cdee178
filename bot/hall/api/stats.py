"""GET /api/stats: the service centre's figures; GET /api/ratings.csv: 好差评 for reporting."""

from __future__ import annotations

from typing import Optional

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from bot.hall import stats
from bot.hall.deps import Caller, caller, get_db
from bot.vocabulary import ALL_DEPARTMENT_ROLES

router = APIRouter(tags=["统计"])


def scoped_department(who: Caller, department: Optional[str]) -> Optional[str]:
    """Supervisors, admins and the service see any department (or all); staff only their own."""
    department = (department or "").strip() or None
    if who.service or who.user.role in ALL_DEPARTMENT_ROLES:
        return department
    if not who.user.department or (department and department != who.user.department):
        raise HTTPException(403, "只能查看本部门的统计")
    return who.user.department


def date_range(start: str, end: str):
    try:
        return stats.parse_range(start, end)
    except ValueError as exc:
        raise HTTPException(422, str(exc))


@router.get("/stats")
def get_stats(
    start: str = Query("", alias="from", max_length=10, description="YYYY-MM-DD（含），默认7天前"),
    end: str = Query("", alias="to", max_length=10, description="YYYY-MM-DD（含），默认今天"),
    department: str = Query("", max_length=40),
    db: Session = Depends(get_db),
    who: Caller = Depends(caller),
) -> dict:
    lo, hi = date_range(start, end)
    return stats.figures(db, lo, hi, scoped_department(who, department))


@router.get("/ratings.csv")
def ratings_csv(
    start: str = Query("", alias="from", max_length=10),
    end: str = Query("", alias="to", max_length=10),
    department: str = Query("", max_length=40),
    db: Session = Depends(get_db),
    who: Caller = Depends(caller),
):
    lo, hi = date_range(start, end)
    body = stats.ratings_export(db, lo, hi, scoped_department(who, department))
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="ratings-{lo}-{hi}.csv"'})
