"""The word lists a service centre edits (data/lexicon/) are checked against their schemas, and a
clerk's mistake is said in Chinese with the file, the entry and the field."""

import shutil
import subprocess
import sys

import pytest

from bot.catalogue import load_catalogue
from bot.catalogue.lexicons import SCHEMAS, LexiconError, _read, lexicon_problems
from bot.settings import ROOT


@pytest.fixture
def lexicon(tmp_path):
    for name in SCHEMAS:
        shutil.copy(ROOT / "data" / "lexicon" / name, tmp_path / name)
    return tmp_path


def test_the_shipped_lexicons_hold_and_name_only_matters_of_the_catalogue():
    catalogue = load_catalogue(ROOT / "data" / "catalogue", max_age_days=None)
    assert lexicon_problems(matter_codes=[*catalogue.matters, *catalogue.bundles]) == []


def _edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize("name, old, new, said", [
    ("cues.yml", "\nfailed_trip: [", "\nfailed_trips: [", "failed_trips：未知字段（拼写错误？）"),
    ("cues.yml", "\nfailed_trip: [没办成,", "\nfailed_trip: ['', 没办成,", "failed_trip：列表里有空的词"),
    ("aspects.yml", "  materials:", "  material:", "未知的方面“material”"),
    ("documents.yml", "    options: [gongan.id_card_lost,", "    options: [id card lost,", "不是事项编码"),
    ("documents.yml", "generic:", "genric:", "未知字段"),
    ("umbrellas.yml", "      yibao.transfer: [医保, 医疗保险]\n  关系转移", "  关系转移", "至少两个事项编码"),
    ("umbrellas.yml", "交了保险, 缴了保险, 交过保险]\n", "交了保险, 缴了保险, 交过保险\n", "YAML 格式错误"),
])
def test_a_clerks_mistake_is_said_in_chinese(lexicon, name, old, new, said):
    _edit(lexicon / name, old, new)
    problems = lexicon_problems(lexicon)
    assert problems and all(p.startswith(str(lexicon / name)) for p in problems), problems
    assert any(said in p for p in problems), problems
    with pytest.raises(LexiconError):
        _read(lexicon / name)


def test_a_matter_the_catalogue_does_not_hold_is_named(lexicon):
    _edit(lexicon / "umbrellas.yml", "renshe.pension_transfer: [养老]", "renshe.pension_transferr: [养老]")
    problems = lexicon_problems(lexicon, matter_codes=["renshe.pension_transfer", "yibao.transfer", "gjj.transfer"])
    assert any("事项库中没有事项“renshe.pension_transferr”" in p for p in problems), problems


def test_catalogue_validate_checks_the_lexicons_too(lexicon):
    command = [sys.executable, "-m", "bot.cli", "catalogue", "validate", str(ROOT / "data" / "catalogue")]
    good = subprocess.run(command + ["--lexicon", str(lexicon)], capture_output=True, text=True, cwd=ROOT)
    assert good.returncode == 0, good.stderr
    assert "词表 4 个" in good.stdout
    _edit(lexicon / "documents.yml", "  lost:\n", "  lost:\n    wrods: [丢]\n")
    bad = subprocess.run(command + ["--lexicon", str(lexicon)], capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 2
    assert "词表校验未通过" in bad.stderr and "actions.lost.wrods：未知字段" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_a_cue_list_read_as_a_pattern_finds_each_word_as_written():
    """Lists that code matches within a larger test (cue_pattern) find every word of the list."""
    from bot.catalogue.lexicons import cue_pattern, cue_words

    for kind in ("done_together", "office_contact", "form_of_paper", "back_here"):
        pattern = cue_pattern(kind)
        assert all(pattern.fullmatch(word) for word in cue_words()[kind]), kind
    assert cue_pattern("form_of_paper").fullmatch("原件") and not cue_pattern("form_of_paper").fullmatch("原件吗")


def test_a_clerks_brackets_in_a_cue_word_make_no_pattern(lexicon, monkeypatch):
    """A word is folded like the text it is looked for in (punctuation dropped): "回来(了)" is the
    word 回来了, never 回来 with an optional 了."""
    import bot.catalogue.lexicons as lexicons

    _edit(lexicon / "cues.yml", "back_here: [", "back_here: [回来(了), ")
    monkeypatch.setattr(lexicons, "LEXICON_DIR", lexicon)
    lexicons.cue_words.cache_clear()
    lexicons.cue_pattern.cache_clear()
    try:
        pattern = lexicons.cue_pattern("back_here")
        assert pattern.search("我现在回来了") and not pattern.search("回来办")
    finally:
        lexicons.cue_words.cache_clear()
        lexicons.cue_pattern.cache_clear()
