"""Approved answers: a staff reply saved as the answer to a citizen's question, served by the bot.

A staff member saves a sent reply of a ticket their department handles (console button or
``POST /api/approved-answers``); a supervisor can withdraw one. The bot asks
``GET /api/approved-answers/match?q=`` for a question it cannot place and, above
``MIN_SCORE`` (bot.hall.similarity), answers "由XX工作人员解答（日期）：…".
Questions and answers are stored masked (bot.privacy): they outlive the ticket's retention.
"""

from __future__ import annotations

from typing import List, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.hall import models
from bot.hall.db import utcnow
from bot.hall.similarity import best_match
from bot.hall.ticket_service import Actor, TicketError, load
from bot.hall.tickets import audit, iso
from bot.privacy import mask_text
from bot.vocabulary import ALL_DEPARTMENT_ROLES

MIN_SCORE = 0.55  # char n-gram cosine; below it the bot says it does not know rather than guess


def as_json(db: Session, row: models.ApprovedAnswer, score: Optional[float] = None) -> dict:
    dept = db.get(models.Department, row.department)
    data = {"id": row.id, "question": row.question, "answer": row.answer, "department": row.department,
            "department_name": dept.name if dept else row.department, "ticket": row.ticket_number,
            "author": row.author, "date": (iso(row.created_at) or "")[:10], "created_at": iso(row.created_at),
            "withdrawn": row.withdrawn_at is not None}
    if score is not None:
        data["score"] = round(score, 3)
    return data


def create(db: Session, actor: Actor, number: str, reply_id: Optional[int], question: str = "",
           answer: str = "") -> models.ApprovedAnswer:
    ticket = load(db, number, actor)
    replies = list(db.execute(select(models.StaffReply).where(models.StaffReply.ticket_number == ticket.number)
                              .order_by(models.StaffReply.id.desc())).scalars())
    if reply_id is not None:
        reply = next((r for r in replies if r.id == reply_id), None)
    else:  # the reply as the transcript shows it (the console's button), or the latest one
        wanted = " ".join((answer or "").split())
        reply = next((r for r in replies if r.status == "sent" and (not wanted or wanted == " ".join(r.text.split())
                                                                    or wanted in " ".join(r.text.split()))), None)
    if reply is None:
        raise TicketError(404, "这张工单没有这条工作人员回复")
    if reply.status != "sent":
        raise TicketError(409, "只有已发送给群众的回复可以存为审核答复")
    answer = reply.text
    question = " ".join((question or ticket.description or "").split())
    answer = (answer or "").strip()
    if not question:
        raise TicketError(422, "请填写群众的问题")
    if not answer:
        raise TicketError(422, "答复内容不能为空")
    row = models.ApprovedAnswer(question=mask_text(question)[:2000], answer=mask_text(answer)[:4000],
                                department=ticket.department, ticket_number=ticket.number,
                                author=actor.name, created_at=utcnow())
    db.add(row)
    db.flush()
    audit(db, actor.name, "approve_answer", ticket.number, f"审核答复 #{row.id}", ip=actor.ip)
    db.commit()
    return row


def withdraw(db: Session, actor: Actor, answer_id: int) -> models.ApprovedAnswer:
    if actor.user.role not in ALL_DEPARTMENT_ROLES:
        raise TicketError(403, "只有主管可以撤回审核答复")
    row = db.get(models.ApprovedAnswer, answer_id)
    if row is None:
        raise TicketError(404, "没有这条审核答复")
    if row.withdrawn_at is None:
        row.withdrawn_at, row.withdrawn_by = utcnow(), actor.name
        audit(db, actor.name, "withdraw_answer", row.ticket_number or "", f"撤回审核答复 #{row.id}", ip=actor.ip)
        db.commit()
    return row


def active(db: Session, department: Optional[str] = None) -> List[models.ApprovedAnswer]:
    stmt = select(models.ApprovedAnswer).where(models.ApprovedAnswer.withdrawn_at.is_(None))
    if department:
        stmt = stmt.where(models.ApprovedAnswer.department == department)
    return list(db.execute(stmt.order_by(models.ApprovedAnswer.id.desc())).scalars())


def match(db: Session, question: str) -> Optional[tuple]:
    """(answer row, score) of the best active approved answer above MIN_SCORE, or None."""
    rows = active(db)
    key, score = best_match(question, [(r, r.question) for r in rows])
    return (key, score) if key is not None and score >= MIN_SCORE else None
