"""Import of the validated catalogue into the hall database (upsert by code), and guide JSON."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Callable, Iterable, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.catalogue import Catalogue
from bot.hall import models
from bot.vocabulary import MatterKind

FINGERPRINT_KEY = "catalogue_fingerprint"


def guide_json(catalogue: Catalogue, code: str) -> dict:
    """The whole guide as the catalogue holds it; bundles get merged materials and member summaries."""
    guide = catalogue.guide(code)
    data = json.loads(guide.json())
    if guide.kind == MatterKind.BUNDLE:
        data["merged_materials"] = [asdict(m) for m in catalogue.merged_materials(code)]
        data["member_guides"] = [
            {
                "code": member.code,
                "name": member.name,
                "department": member.department,
                "summary": member.summary,
                "visits": member.visits,
                # what a follow-up about the whole bundle answers ("全部办完要多久", "收不收费")
                "time_limit": json.loads(member.time_limit.json()),
                "fee": json.loads(member.fee.json()),
                "conditions": list(member.conditions),
            }
            for member in (catalogue.matters[c] for c in guide.members)
        ]
    return data


def _search_text(guide) -> str:
    return " ".join([guide.code, guide.name, guide.summary, *guide.aliases, *guide.keywords]).lower()


def stored_fingerprint(session: Session) -> Optional[str]:
    row = session.get(models.Meta, FINGERPRINT_KEY)
    return row.value if row else None


def import_catalogue(
    session: Session,
    catalogue: Catalogue,
    progress: Optional[Callable[[Iterable], Iterable]] = None,
) -> int:
    """Upsert departments and guides by code; guides no longer in the catalogue are removed
    (tickets keep their matter code). Returns the number of guides written. Caller commits."""
    for dept in catalogue.departments.values():
        row = session.get(models.Department, dept.code) or models.Department(code=dept.code)
        row.name, row.note, row.phone = dept.name, dept.note, dept.phone
        session.add(row)
    codes = [g.code for g in catalogue.all_guides()]
    iterator = progress(codes) if progress else codes
    count = 0
    for code in iterator:
        guide = catalogue.guide(code)
        row = session.get(models.Matter, code) or models.Matter(code=code)
        row.name, row.department, row.kind = guide.name, guide.department, guide.kind
        row.summary, row.visits = guide.summary, guide.visits
        row.search_text = _search_text(guide)
        row.data = json.dumps(guide_json(catalogue, code), ensure_ascii=False)
        session.add(row)
        count += 1
    known = set(codes)
    for row in session.execute(select(models.Matter)).scalars():
        if row.code not in known:
            session.delete(row)
    meta = session.get(models.Meta, FINGERPRINT_KEY) or models.Meta(key=FINGERPRINT_KEY)
    meta.value = catalogue.fingerprint
    session.add(meta)
    return count
