"""事项库 API: departments, matter search, one guide."""

from __future__ import annotations

import json
from typing import List, Optional

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.hall import models
from bot.hall.deps import Caller, caller, get_db, get_state
from bot.hall.search import search_codes
from bot.hall.state import HallState

router = APIRouter(tags=["事项库"])


class DepartmentOut(BaseModel):
    code: str
    name: str
    note: str
    phone: str


class DepartmentList(BaseModel):
    items: List[DepartmentOut]


class MatterOut(BaseModel):
    code: str
    name: str
    department: str
    kind: str
    summary: str
    visits: int


class MatterList(BaseModel):
    items: List[MatterOut]
    total: int


@router.get("/departments", response_model=DepartmentList)
def departments(db: Session = Depends(get_db), _: Caller = Depends(caller)):
    rows = db.execute(select(models.Department).order_by(models.Department.code)).scalars()
    return {"items": [{"code": r.code, "name": r.name, "note": r.note, "phone": r.phone} for r in rows]}


def _matter_out(row: models.Matter) -> dict:
    return {"code": row.code, "name": row.name, "department": row.department, "kind": row.kind,
            "summary": row.summary, "visits": row.visits}


@router.get("/matters", response_model=MatterList)
def matters(
    q: str = Query("", max_length=200),
    department: Optional[str] = Query(None, max_length=40),
    kind: Optional[str] = Query(None, max_length=20),
    limit: int = Query(20, ge=1, le=200),
    db: Session = Depends(get_db),
    state: HallState = Depends(get_state),
    _: Caller = Depends(caller),
):
    q = q.strip()
    if q:
        codes = search_codes(state, db, q, max(limit * 3, 20))
        rows_by_code = {
            r.code: r for r in db.execute(select(models.Matter).where(models.Matter.code.in_(codes))).scalars()
        }
        rows = [rows_by_code[c] for c in codes if c in rows_by_code]
    else:
        rows = list(db.execute(select(models.Matter).order_by(models.Matter.code)).scalars())
    if department:
        rows = [r for r in rows if r.department == department]
    if kind:
        rows = [r for r in rows if r.kind == kind]
    return {"items": [_matter_out(r) for r in rows[:limit]], "total": len(rows)}


@router.get("/matters/{code}")
def matter(code: str, db: Session = Depends(get_db), _: Caller = Depends(caller)) -> dict:
    row = db.get(models.Matter, code)
    if row is None:
        raise HTTPException(404, f"事项库中没有编码为“{code[:100]}”的事项")
    data = json.loads(row.data)
    dept = db.get(models.Department, row.department)
    data["department_name"] = dept.name if dept else row.department
    return data
