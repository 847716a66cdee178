"""The catalogue: complete for every matter, faithful to the spec's codes, and clear when wrong."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
import yaml

from bot.catalogue import CatalogueError, load_catalogue
from bot.catalogue.schema import PLACEHOLDERS

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "data" / "catalogue"
SPEC = ROOT.parent / "shared" / "spec"


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue(CATALOGUE)


def spec_rows(name: str):
    path = SPEC / name
    if not path.exists():
        pytest.skip(f"the spec is not beside this checkout ({path})")
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def test_covers_exactly_the_specified_matters(catalogue):
    spec = {row["code"]: row for row in spec_rows("matters.tsv")}
    ours = {guide.code: guide for guide in catalogue.all_guides()}
    assert sorted(ours) == sorted(spec)
    for code, row in spec.items():
        assert ours[code].kind == row["kind"], code
        assert ours[code].department == row["department"], code
        assert ours[code].name == row["name"], code
        if row["kind"] == "bundle":
            assert ours[code].members == row["members"].split(","), code


def test_departments_match_the_spec(catalogue):
    spec = {row["code"]: row["name"] for row in spec_rows("departments.tsv")}
    assert {code: dept.name for code, dept in catalogue.departments.items()} == spec


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


def test_every_field_is_filled_for_every_matter(catalogue):
    for guide in catalogue.all_guides():
        data = guide.dict()
        for text in _strings(data):
            assert text.strip() and text.strip().lower() not in PLACEHOLDERS, (guide.code, text)
        assert len(guide.aliases) >= 5, guide.code
        if guide.kind != "bundle":
            assert guide.materials and guide.conditions and guide.steps, guide.code
        if guide.kind in ("guidance", "complaint"):
            assert guide.ticket and guide.ticket.tell and guide.ticket.response_hours > 0, guide.code


def test_bundle_materials_are_merged_once(catalogue):
    for code in catalogue.bundles:
        merged = catalogue.merged_materials(code)
        names = [m.name for m in merged]
        assert len(names) == len(set(names)), code
    newborn = {m.name: m for m in catalogue.merged_materials("yjs.newborn")}
    shared = [m for m in newborn.values() if len(m.needed_by) > 1]
    assert shared, "a document several newborn matters need should be listed once with all of them"


def _broken_copy(tmp_path: Path, edit) -> Path:
    copy = tmp_path / "catalogue"
    shutil.copytree(CATALOGUE, copy)
    path = copy / "matters" / "gongan.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data["matters"][0])
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return copy


@pytest.mark.parametrize(
    "edit, expected",
    [
        (lambda m: m.pop("steps"), "办理流程：缺少此字段"),
        (lambda m: m.update(summary="待定"), "占位内容"),
        (lambda m: m.update(fees="x"), "未知字段"),
        (lambda m: m.update(related=["gongan.nonexistent"]), "相关事项 gongan.nonexistent 不存在"),
        (lambda m: m.update(visits=3), "到现场次数"),
        (lambda m: m.update(stpes=m.pop("steps")), "未知字段，是不是“办理流程（steps）”写错了？"),
    ],
)
def test_problems_are_named_in_chinese(tmp_path, edit, expected):
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(_broken_copy(tmp_path, edit))
    report = "\n".join(caught.value.problems)
    assert expected in report and "gongan" in report


def test_yaml_syntax_errors_name_the_line(tmp_path):
    copy = tmp_path / "catalogue"
    shutil.copytree(CATALOGUE, copy)
    (copy / "matters" / "gongan.yml").write_text("department: gongan\nmatters: [\n", encoding="utf-8")
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(copy)
    assert "gongan.yml" in caught.value.problems[0] and "YAML" in caught.value.problems[0]


def test_a_misspelt_field_is_one_problem_in_plain_words(tmp_path):
    def misspell(matter):
        matter["stpes"] = matter.pop("steps")
        matter["visits"] = 7

    with pytest.raises(CatalogueError) as caught:
        load_catalogue(_broken_copy(tmp_path, misspell))
    problems = caught.value.problems
    assert len(problems) == 2, problems  # the misspelling once (not "missing" and "unknown"), the limit once
    assert not any("ensure this value" in p or "field required" in p for p in problems), problems
