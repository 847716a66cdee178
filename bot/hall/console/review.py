"""Learning from failures (issue #17): the review of failed questions, approved answers, exports.

/console/review (supervisors): unmatched and wrongly matched questions grouped by similarity,
each group added as an alias of a matter or a phrasing of a department (a reviewed, validated
change to the catalogue YAML, bot.hall.catalogue_edit) or dismissed; the approved answers, with
withdraw. /console/tickets/{number}/approved-answer saves a staff reply as an approved answer.
/console/stats.csv and /console/ratings.csv export the figures and the 好差评.
"""

from __future__ import annotations

from typing import Dict, List, Optional
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.hall import approved, catalogue_edit, models, stats
from bot.hall.console.session import Viewer, check_csrf, templates, viewer
from bot.hall.db import utcnow
from bot.hall.deps import client_ip, get_db, get_state
from bot.hall.similarity import group
from bot.hall.state import HallState
from bot.hall.ticket_service import Actor, TicketError
from bot.hall.tickets import audit
from bot.privacy import mask_text
from bot.vocabulary import QuestionKind, ReviewOutcome

router = APIRouter()

OPEN_LIMIT = 5000   # the most recent open questions that are grouped
GROUPS_SHOWN = 60
GROUP_THRESHOLD = 0.5


def supervisor(who: Viewer = Depends(viewer)) -> Viewer:
    if not who.sees_all:
        raise HTTPException(403, "仅主管可以复盘未解答的问题")
    return who


# --- exports ---------------------------------------------------------------------------------

def _scope(who: Viewer) -> Optional[str]:
    if who.sees_all:
        return None
    if not who.user.department:
        raise HTTPException(403, "只能查看本部门的统计")
    return who.user.department


def _range(start: str, end: str):
    try:
        return stats.parse_range(start[:10], end[:10])
    except ValueError as exc:
        raise HTTPException(422, str(exc))


def _csv(body: str, name: str) -> Response:
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/stats.csv")
def stats_csv(start: str = Query("", alias="from"), end: str = Query("", alias="to"),
              who: Viewer = Depends(viewer), db: Session = Depends(get_db)):
    lo, hi = _range(start, end)
    return _csv(stats.csv_text(stats.figures(db, lo, hi, _scope(who))), f"stats-{lo}-{hi}.csv")


@router.get("/ratings.csv")
def ratings_csv(start: str = Query("", alias="from"), end: str = Query("", alias="to"),
                who: Viewer = Depends(viewer), db: Session = Depends(get_db)):
    lo, hi = _range(start, end)
    return _csv(stats.ratings_export(db, lo, hi, _scope(who)), f"ratings-{lo}-{hi}.csv")


# --- the review page -------------------------------------------------------------------------

def open_groups(db: Session) -> List[Dict]:
    U = models.Unmatched
    rows = list(db.execute(select(U).where(U.review.is_(None)).order_by(U.id.desc()).limit(OPEN_LIMIT)).scalars())
    by_id = {r.id: r for r in rows}
    out = []
    for g in group(((r.id, mask_text(r.text or "")) for r in rows), GROUP_THRESHOLD)[:GROUPS_SHOWN]:
        members = [by_id[i] for i, _ in g.items]
        wrong = [m for m in members if m.kind == QuestionKind.WRONG]
        matters = sorted({m.matter for m in wrong if m.matter})
        out.append({"text": g.text, "count": g.count, "ids": ",".join(str(m.id) for m in members),
                    "wordings": g.wordings()[:6], "wrong": len(wrong), "unmatched": g.count - len(wrong),
                    "matters": matters, "suggest": matters[0] if matters else ""})
    return out


def _page(request: Request, who: Viewer, db: Session, message: str = "", error: str = "", status: int = 200):
    matters = db.execute(select(models.Matter.code, models.Matter.name).order_by(models.Matter.code)).all()
    departments = db.execute(select(models.Department).order_by(models.Department.code)).scalars().all()
    answers = [approved.as_json(db, a) for a in approved.active(db)]
    return templates.TemplateResponse(request, "review.html", {
        "who": who, "groups": open_groups(db), "matters": matters, "departments": departments,
        "answers": answers, "message": message, "error": error,
    }, status_code=status)


@router.get("/review", response_class=HTMLResponse)
def review(request: Request, message: str = "", who: Viewer = Depends(supervisor), db: Session = Depends(get_db)):
    return _page(request, who, db, message=message[:500])


def _ids(raw: str) -> List[int]:
    try:
        ids = [int(x) for x in raw.split(",") if x.strip()]
    except ValueError:
        raise HTTPException(422, "问题编号格式不对")
    if not ids or len(ids) > OPEN_LIMIT:
        raise HTTPException(422, "没有选中问题")
    return ids


def _change(state: HallState, target: str, action: str, phrase: str):
    catalogue = state.settings.catalogue_path
    if action == ReviewOutcome.ALIAS:
        return catalogue_edit.alias_change(catalogue, target.split()[0] if target else "", phrase)
    if action == ReviewOutcome.PHRASING:
        return catalogue_edit.phrasing_change(catalogue, target, phrase)
    raise HTTPException(422, "未知的处理方式")


@router.post("/review/preview", response_class=HTMLResponse)
def preview(request: Request, ids: str = Form(...), action: str = Form(...), target: str = Form("", max_length=120),
            phrase: str = Form("", max_length=400), csrf: str = Form(""), who: Viewer = Depends(supervisor),
            db: Session = Depends(get_db), state: HallState = Depends(get_state)):
    check_csrf(who, csrf)
    _ids(ids)
    try:
        change = _change(state, target.strip(), action, phrase)
    except catalogue_edit.EditError as exc:
        return _page(request, who, db, error=str(exc), status=422)
    return templates.TemplateResponse(request, "review_preview.html", {
        "who": who, "change": change, "diff": change.diff(), "ids": ids, "action": action,
        "target": change.target, "digest": change.digest,
    })


@router.post("/review/apply", response_class=HTMLResponse)
def apply(request: Request, ids: str = Form(...), action: str = Form(...), target: str = Form("", max_length=120),
          phrase: str = Form("", max_length=400), digest: str = Form(""), csrf: str = Form(""),
          who: Viewer = Depends(supervisor), db: Session = Depends(get_db), state: HallState = Depends(get_state)):
    check_csrf(who, csrf)
    numbers = _ids(ids)
    try:
        change = _change(state, target.strip(), action, phrase)
        catalogue_edit.apply(state.settings.catalogue_path, change, digest)
    except catalogue_edit.EditError as exc:
        return _page(request, who, db, error=str(exc), status=422)
    _mark(db, numbers, f"{action}:{change.target}")
    audit(db, who.user.username, "review_" + action, change.target, f"{change.relative}：{change.phrase}"[:400],
          ip=client_ip(request))
    db.commit()
    note = f"已把“{change.phrase}”写入 {change.relative}。{catalogue_edit.TRAIN_NOTE}"
    return RedirectResponse(f"/console/review?message={quote(note)}", status_code=303)


@router.post("/review/dismiss")
def dismiss(request: Request, ids: str = Form(...), csrf: str = Form(""), who: Viewer = Depends(supervisor),
            db: Session = Depends(get_db)):
    check_csrf(who, csrf)
    numbers = _ids(ids)
    _mark(db, numbers, ReviewOutcome.DISMISSED.value)
    audit(db, who.user.username, "review_dismiss", "", f"忽略 {len(numbers)} 条问题", ip=client_ip(request))
    db.commit()
    return RedirectResponse(f"/console/review?message={quote(f'已忽略 {len(numbers)} 条问题')}", status_code=303)


def _mark(db: Session, ids: List[int], outcome: str) -> None:
    now = utcnow()
    for row in db.execute(select(models.Unmatched).where(models.Unmatched.id.in_(ids))).scalars():
        if row.review is None:
            row.review, row.reviewed_at = outcome[:160], now


# --- approved answers ------------------------------------------------------------------------

@router.post("/tickets/{number}/approved-answer")
def save_approved(request: Request, number: str, reply_id: Optional[int] = Form(None),
                  answer: str = Form("", max_length=4000), question: str = Form("", max_length=2000),
                  csrf: str = Form(""), who: Viewer = Depends(viewer), db: Session = Depends(get_db)):
    check_csrf(who, csrf)
    try:
        row = approved.create(db, Actor(who.user, client_ip(request)), number, reply_id, question, answer)
        notice = f"已存为审核答复 #{row.id}，机器人会用它回答相似的问题"
    except TicketError as exc:
        if exc.status in (403, 404) and "工单" in exc.reason:
            raise HTTPException(exc.status, exc.reason)
        notice = exc.reason
    return RedirectResponse(f"/console/tickets/{quote(number)}?notice={quote(notice)}", status_code=303)


@router.post("/approved/{answer_id}/withdraw")
def withdraw_approved(request: Request, answer_id: int, csrf: str = Form(""), who: Viewer = Depends(supervisor),
                      db: Session = Depends(get_db)):
    check_csrf(who, csrf)
    try:
        approved.withdraw(db, Actor(who.user, client_ip(request)), answer_id)
    except TicketError as exc:
        raise HTTPException(exc.status, exc.reason)
    return RedirectResponse(f"/console/review?message={quote(f'已撤回审核答复 #{answer_id}')}", status_code=303)
