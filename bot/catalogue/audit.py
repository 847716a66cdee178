"""The provenance audit: which facts of which guide rest on no checked basis.

``onetrip catalogue audit`` prints, per guide, the facts without a basis, the facts marked
``unverified``, a stale ``verified_on``, generic links (a portal's home page instead of the guide's
own page) and citations of a law version that ``laws.yml`` knows to be superseded. A baseline file
records what the catalogue already carries, so CI fails only when a change adds to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Union

import yaml

from bot.catalogue.schema import is_home_page

LAWS_FILE = "laws.yml"
BASELINE_FILE = "audit-baseline.yml"

# Finding kinds, in the order they are printed, with their Chinese heading.
KINDS = {
    "no_basis": "无依据",
    "unverified": "未核实",
    "superseded": "旧版本",
    "stale": "核对过期",
    "generic_link": "通用链接",
}
# Kinds that come with time alone: listed, but never a regression of a guide in the baseline.
TIME_KINDS = {"stale"}


@dataclass(frozen=True)
class Finding:
    code: str
    kind: str      # a key of KINDS
    key: str       # stable identity of the fact, e.g. "fee", "time_limit.legal", "legal_basis:婚姻登记条例"
    message: str   # what a catalogue editor reads

    @property
    def id(self) -> str:
        return f"{self.kind}:{self.key}"


@dataclass(frozen=True)
class LawVersion:
    title: str
    current: date
    replaces: tuple = ()
    note: str = ""


def law_key(title: str) -> str:
    """《中华人民共和国居民身份证法》（2011年修正） → 居民身份证法"""
    text = re.sub(r"[（(][^）)]*[）)]", "", title or "")
    text = re.sub(r"[《》〈〉\s]", "", text)
    return text[len("中华人民共和国"):] if text.startswith("中华人民共和国") else text


def load_laws(path: Union[str, Path]) -> Dict[str, LawVersion]:
    """law_key → its current version (laws.yml); a replaced document maps to its successor."""
    path = Path(path)
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    table: Dict[str, LawVersion] = {}
    for entry in data.get("laws") or []:
        current = entry["current"]
        if isinstance(current, str):
            current = date.fromisoformat(current)
        law = LawVersion(entry["title"], current, tuple(entry.get("replaces") or ()), entry.get("note") or "")
        table[law_key(law.title)] = law
        for old in law.replaces:
            table[law_key(old)] = law
    return table


def _fact(code: str, key: str, label: str, basis: Optional[str], unverified: bool) -> List[Finding]:
    if not basis:
        return [Finding(code, "no_basis", key, f"{label}没有依据（basis）")]
    if unverified:
        return [Finding(code, "unverified", key, f"{label}未核实（所称依据：{basis}）")]
    return []


def audit_guide(guide, laws: Dict[str, LawVersion], max_age_days: Optional[int], today: date) -> List[Finding]:
    code = guide.code
    findings: List[Finding] = []
    fee, limit = guide.fee, guide.time_limit
    findings += _fact(code, "fee", "收费", fee.basis, fee.unverified)
    findings += _fact(code, "time_limit.legal", f"法定时限“{limit.legal}”", limit.legal_basis,
                      limit.legal_unverified or not limit.legal_basis)
    findings += _fact(code, "time_limit.promised", f"承诺时限“{limit.promised}”", limit.promised_basis,
                      limit.promised_unverified or not limit.promised_basis)
    for citation in guide.legal_basis:
        key = f"legal_basis:{law_key(citation.title)}"
        if citation.unverified:
            what = [] if citation.version else ["未注明版本"]
            what += [] if citation.articles else ["未注明条款"]
            detail = f"（{'、'.join(what)}）" if what else ""
            findings.append(Finding(code, "unverified", key, f"设定依据{citation.title}{citation.articles or ''}未核实{detail}"))
        law = laws.get(law_key(citation.title))
        if law is not None:
            replaced = law_key(citation.title) != law_key(law.title)
            if replaced or citation.version is None or citation.version < law.current:
                cited = "被取代的文件" if replaced else (citation.version.isoformat() if citation.version else "未注明版本")
                findings.append(Finding(code, "superseded", key,
                                        f"设定依据{citation.title}引用{cited}，现行为《{law.title}》{law.current.isoformat()}版"))
    if max_age_days is not None and guide.verified_on < today - timedelta(days=max_age_days):
        findings.append(Finding(code, "stale", "verified_on",
                                f"核对日期 {guide.verified_on.isoformat()} 已超过 {max_age_days} 天"))
    if guide.source.generic or is_home_page(guide.source.url):
        findings.append(Finding(code, "generic_link", "source",
                                f"来源链接是门户首页（{guide.source.url or guide.source.title}），不是该事项的办事指南页面"))
    if guide.online.generic or is_home_page(guide.online.url):
        findings.append(Finding(code, "generic_link", "online", f"网上办理链接是门户首页（{guide.online.url}）"))
    return findings


def audit(catalogue, laws: Dict[str, LawVersion], max_age_days: Optional[int] = 180,
          today: Optional[date] = None) -> Dict[str, List[Finding]]:
    """code → findings, for every guide of the catalogue (empty list: nothing to report)."""
    today = today or date.today()
    return {g.code: audit_guide(g, laws, max_age_days, today) for g in catalogue.all_guides()}


def load_baseline(path: Union[str, Path]) -> Optional[Dict[str, List[str]]]:
    path = Path(path)
    if not path.exists():
        return None
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {code: list(ids or []) for code, ids in (data.get("guides") or {}).items()}


def write_baseline(path: Union[str, Path], results: Dict[str, List[Finding]]) -> None:
    guides = {code: sorted({f.id for f in findings if f.kind not in TIME_KINDS})
              for code, findings in sorted(results.items())}
    header = ("# onetrip catalogue audit 的基线：每个事项已知的未核实事实、通用链接和旧版本引用。\n"
              "# 审计只在新事项带来问题、或已有事项新增问题时失败。核实一项后可重新生成：\n"
              "#   .venv/bin/onetrip catalogue audit data/catalogue --write-baseline\n")
    body = yaml.safe_dump({"guides": guides}, allow_unicode=True, sort_keys=False, width=1000)
    Path(path).write_text(header + body, encoding="utf-8")


def regressions(results: Dict[str, List[Finding]], baseline: Dict[str, List[str]]) -> Dict[str, List[Finding]]:
    """Findings the baseline does not know: every finding of a new guide; for a guide in the
    baseline, findings it did not have (time-only findings such as staleness excepted)."""
    added: Dict[str, List[Finding]] = {}
    for code, findings in results.items():
        if code not in baseline:
            new = list(findings)
        else:
            known = set(baseline[code])
            new = [f for f in findings if f.kind not in TIME_KINDS and f.id not in known]
        if new:
            added[code] = new
    return added


def summary(results: Dict[str, List[Finding]]) -> Dict[str, int]:
    counts = {kind: 0 for kind in KINDS}
    for findings in results.values():
        for f in findings:
            counts[f.kind] += 1
    return counts


def format_report(results: Dict[str, List[Finding]], files: Optional[Dict[str, str]] = None,
                  only: Optional[Iterable[str]] = None) -> List[str]:
    lines: List[str] = []
    wanted = set(only) if only is not None else None
    for code, findings in results.items():
        if not findings or (wanted is not None and code not in wanted):
            continue
        where = f"{files[code]} " if files and code in files else ""
        lines.append(f"{where}{code}（{len(findings)} 项）")
        for kind in KINDS:
            for f in (f for f in findings if f.kind == kind):
                lines.append(f"  [{KINDS[kind]}] {f.message}")
    return lines
