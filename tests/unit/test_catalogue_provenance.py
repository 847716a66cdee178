"""Provenance in the catalogue: every guide says where it comes from and when it was checked,
every fee, time limit and citation has its own basis or says it is unverified, and the audit
fails CI only when a change adds an unchecked fact."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml

from bot.catalogue import CatalogueError, load_catalogue
from bot.catalogue.audit import audit, law_key, load_laws, regressions
from bot.cli import main as onetrip

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "data" / "catalogue"


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue(CATALOGUE)


def _copy(tmp_path: Path, edit=None, code: str = "gongan.id_card_renew") -> Path:
    copy = tmp_path / "catalogue"
    shutil.copytree(CATALOGUE, copy)
    if edit:
        path = copy / "matters" / f"{code.split('.')[0]}.yml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        edit(next(m for m in data["matters"] if m["code"] == code))
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return copy


def _problems(path: Path) -> str:
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(path)
    return "\n".join(caught.value.problems)


# --- the schema -------------------------------------------------------------------------------

def test_every_guide_has_provenance(catalogue):
    for guide in catalogue.all_guides():
        assert guide.source.title and guide.verified_on, guide.code
        assert guide.fee.basis or guide.fee.unverified, guide.code
        limit = guide.time_limit
        assert limit.legal_basis or limit.legal_unverified, guide.code
        assert limit.promised_basis or limit.promised_unverified, guide.code
        for citation in guide.legal_basis:
            assert citation.unverified or (citation.version and citation.articles), (guide.code, citation.title)


@pytest.mark.parametrize("field, expected", [
    ("source", "来源：缺少此字段"),
    ("verified_on", "核对日期：缺少此字段"),
])
def test_a_matter_without_provenance_is_refused(tmp_path, field, expected):
    report = _problems(_copy(tmp_path, lambda m: m.pop(field)))
    assert expected in report and "gongan.yml" in report and "gongan.id_card_renew" in report


def test_a_fee_without_basis_is_refused_once_in_chinese(tmp_path):
    def edit(m):
        m["fee"].pop("basis")
        m["fee"].pop("unverified", None)
    report = _problems(_copy(tmp_path, edit))
    assert "gongan.yml" in report and "gongan.id_card_renew" in report and "收费缺少依据" in report
    assert report.count("\n") == 0, "one mistake is reported once"


def test_a_time_limit_keeps_its_own_basis(tmp_path):
    def edit(m):
        m["time_limit"].pop("legal_basis", None)
        m["time_limit"].pop("legal_unverified", None)
    report = _problems(_copy(tmp_path, edit))
    assert "法定时限（legal）缺少依据" in report and "办结时限" in report and "__root__" not in report


def test_an_old_style_citation_is_refused(tmp_path):
    report = _problems(_copy(tmp_path, lambda m: m.update(legal_basis=["《中华人民共和国居民身份证法》第十一条"])))
    assert "设定依据" in report and "旧格式" in report and report.count("\n") == 0


def test_a_checked_citation_names_its_version(tmp_path):
    report = _problems(_copy(tmp_path, lambda m: m["legal_basis"][0].pop("version")))
    assert "version（版本日期）" in report


def test_a_home_page_link_must_be_marked_generic(tmp_path):
    report = _problems(_copy(tmp_path, lambda m: m["source"].pop("generic")))
    assert "门户首页" in report and "generic: true" in report


def test_unverified_facts_are_allowed(tmp_path):
    def edit(m):
        m["fee"] = {"free": False, "amount": "20元", "unverified": True}
        m["time_limit"] = {"legal": "60日", "legal_unverified": True, "promised": "15个工作日",
                           "promised_days": 15, "promised_unverified": True}
        m["legal_basis"] = [{"title": "《某条例》", "unverified": True}]
    guide = load_catalogue(_copy(tmp_path, edit)).matters["gongan.id_card_renew"]
    assert guide.fee.unverified and guide.time_limit.legal_unverified and guide.legal_basis[0].unverified


def test_a_stale_check_is_a_warning_not_an_error(tmp_path):
    path = _copy(tmp_path, lambda m: m.update(verified_on="2020-01-01"))
    catalogue = load_catalogue(path)  # loads
    stale = [w for w in catalogue.warnings if "gongan.id_card_renew" in w]
    assert len(stale) == 1 and "2020-01-01" in stale[0] and "180" in stale[0] and "gongan.yml" in stale[0]
    assert not load_catalogue(path, max_age_days=5000).warnings
    fresh = load_catalogue(CATALOGUE, today=date(2026, 12, 31))
    assert not fresh.warnings


def test_validate_prints_the_stale_warning(tmp_path, capsys):
    path = _copy(tmp_path, lambda m: m.update(verified_on="2020-01-01"))
    assert onetrip(["catalogue", "validate", str(path)]) == 0
    captured = capsys.readouterr()
    assert "gongan.id_card_renew" in captured.err and "重新核对" in captured.err
    assert onetrip(["catalogue", "validate", str(path), "--max-age-days", "5000"]) == 0
    assert "gongan.id_card_renew" not in capsys.readouterr().err


# --- the ten facts of issue #20 --------------------------------------------------------------

def _articles(guide, title_part):
    return " ".join(c.articles or "" for c in guide.legal_basis if title_part in c.title)


def test_the_ten_wrong_facts_are_fixed(catalogue):
    m = catalogue.matters
    renew = m["gongan.id_card_renew"].fee
    assert "20元" in renew.amount and "损坏" in renew.amount and "40元" in renew.amount   # 1
    temp = m["gongan.temp_id_card"].fee
    assert "2322号" in temp.basis and temp.amount == "10元" and not temp.unverified            # 2
    hk = m["gongan.hk_macau_permit"]
    assert "一年多次80元" in hk.fee.amount and "两年多次120元" in hk.fee.amount               # 3
    assert "1186号" in hk.fee.basis and "签注" in hk.fee.basis.split("1186号")[0]              # 4
    assert hk.time_limit.legal == "60日" and "第十一条" in hk.time_limit.legal_basis           # 5
    assert "一次有效15元" in hk.fee.amount and "每次15元" not in hk.fee.amount                # 6
    license_renew = m["gongan.driving_license_renew"]
    assert "机动车驾驶证" not in [x.name for x in license_renew.materials]                     # 7
    assert any("第六十三条" in (x.basis or "") for x in license_renew.materials)
    assert "第二十一条" in m["gongan.residence_permit"].fee.basis                              # 8
    assert "第十四条" not in m["gongan.residence_permit"].fee.basis
    rent = m["gjj.withdraw_rent"].time_limit
    assert rent.legal == "3日" and "第二十五条" in rent.legal_basis                            # 9
    assert not any("治疗满6个月" in c for c in m["canlian.disability_card"].conditions)        # 10
    assert any("一年以上" in c for c in m["canlian.disability_card"].conditions)
    card = m["tuiyi.preferential_card"]
    assert "第十五条" in _articles(card, "退役军人保障法") and "第五十三条" in _articles(card, "退役军人保障法")
    assert "第六十二条" not in _articles(card, "退役军人保障法")


def test_marriage_registration_follows_the_2025_regulation(catalogue):
    for code in ("minzheng.marriage", "minzheng.divorce"):
        guide = catalogue.matters[code]
        assert "居民户口簿" not in [x.name for x in guide.materials], code
        regulation = [c for c in guide.legal_basis if law_key(c.title) == "婚姻登记条例"]
        assert regulation and regulation[0].version == date(2025, 4, 6), code


# --- the audit --------------------------------------------------------------------------------

def test_laws_table_knows_the_current_versions():
    laws = load_laws(CATALOGUE / "laws.yml")
    assert laws["婚姻登记条例"].current == date(2025, 4, 6)
    assert laws[law_key("《财政部 国家税务总局 住房城乡建设部关于调整房地产交易环节契税 营业税优惠政策的通知》")].current.year == 2024


def test_audit_lists_superseded_versions(tmp_path):
    def edit(m):
        m["legal_basis"] = [{"title": "《婚姻登记条例》", "version": "2003-08-08", "articles": "第五条"}]
    path = _copy(tmp_path, edit, code="minzheng.marriage")
    results = audit(load_catalogue(path), load_laws(path / "laws.yml"))
    superseded = [f for f in results["minzheng.marriage"] if f.kind == "superseded"]
    assert superseded and "2025-04-06" in superseded[0].message and "2003-08-08" in superseded[0].message


def test_audit_passes_on_the_catalogue_and_its_baseline(capsys):
    assert onetrip(["catalogue", "audit", str(CATALOGUE)]) == 0
    out = capsys.readouterr().out
    assert "审计通过" in out and "gongan.id_card_renew" in out


def _new_matter(m_source: dict) -> dict:
    new = dict(m_source, code="gongan.new_matter_for_audit", name="审计测试新事项")
    new["aliases"] = ["审计测试新事项的说法一", "审计测试说法二", "审计测试说法三", "审计测试说法四", "审计测试说法五"]
    new["related"] = []
    return new


def test_audit_fails_when_a_new_matter_adds_unverified_facts(tmp_path, capsys):
    copy = _copy(tmp_path)
    path = copy / "matters" / "gongan.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["matters"].append(_new_matter(next(m for m in data["matters"] if m["code"] == "gongan.hukou_move_in")))
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert onetrip(["catalogue", "audit", str(copy)]) == 1
    err = capsys.readouterr().err
    assert "审计未通过" in err and "gongan.new_matter_for_audit" in err
    # an administrator who accepts it regenerates the baseline; then it passes
    assert onetrip(["catalogue", "audit", str(copy), "--write-baseline"]) == 0
    assert onetrip(["catalogue", "audit", str(copy)]) == 0


def test_audit_fails_when_a_checked_fact_loses_its_basis(tmp_path, capsys):
    def edit(m):
        m["fee"]["unverified"] = True
    assert onetrip(["catalogue", "audit", str(_copy(tmp_path, edit, code="gongan.passport"))]) == 1
    assert "gongan.passport" in capsys.readouterr().err


def test_audit_of_a_broken_catalogue_exits_2(tmp_path):
    assert onetrip(["catalogue", "audit", str(_copy(tmp_path, lambda m: m.pop("source")))]) == 2


def test_staleness_alone_never_fails_a_baseline_guide(tmp_path):
    path = _copy(tmp_path, lambda m: m.update(verified_on="2020-01-01"))
    results = audit(load_catalogue(path), {}, today=date(2026, 12, 3))
    assert any(f.kind == "stale" for f in results["gongan.id_card_renew"])
    assert "gongan.id_card_renew" not in regressions(results, {code: [f.id for f in fs if f.kind != "stale"]
                                                                for code, fs in results.items()})
