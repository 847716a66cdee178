"""What the citizen reads about a guide's provenance: the source footer on every answer, a fee or
time limit with its basis on request, and "具体以窗口为准" instead of an unverified fact."""

from __future__ import annotations

from pathlib import Path

import pytest

from actions import render
from bot.catalogue import load_catalogue
from bot.hall.catalogue_store import guide_json
from bot.vocabulary import Aspect

CATALOGUE = Path(__file__).resolve().parents[2] / "data" / "catalogue"
FOOTER = "以浙江政务服务网“居民身份证有效期满换领”办事指南为准（核对于"


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue(CATALOGUE)


@pytest.fixture
def guide(catalogue):
    return guide_json(catalogue, "gongan.id_card_renew")


def test_every_answer_about_a_matter_ends_with_source_and_date(guide):
    for aspect in Aspect.values():
        last = render.answer_text(guide, aspect).splitlines()[-1]
        assert last.startswith(FOOTER), aspect
        assert f"核对于{guide['verified_on']}）" in last and last.endswith("https://www.zjzwfw.gov.cn/"), aspect


def test_bundle_answers_end_with_their_source(catalogue):
    bundle = guide_json(catalogue, "yjs.newborn")
    assert render.bundle_text(bundle).splitlines()[-1].startswith("以浙江政务服务网“新生儿出生一件事”办事指南为准（核对于")
    for aspect in Aspect.values():
        assert "核对于" in render.bundle_answer(bundle, aspect).splitlines()[-1], aspect


def test_basis_on_request(guide):
    text = render.answer_text(guide, Aspect.BASIS)
    assert "收费" in text and "2322号" in text and "第一条" in text
    assert "法定时限：60日——依据：《中华人民共和国居民身份证法》" in text and "第十二条" in text
    assert "承诺时限：具体以窗口为准" in text          # the promise is not checked: not stated
    assert "15个工作日" not in text
    assert "《中华人民共和国居民身份证法》（2011-10-29版）" in text


def test_unverified_facts_are_said_as_at_the_window(catalogue):
    marriage = guide_json(catalogue, "minzheng.marriage")
    assert marriage["fee"]["unverified"] and marriage["time_limit"]["legal_unverified"]
    assert render.answer_text(marriage, Aspect.FEE).splitlines()[1] == "收费：具体以窗口为准。"
    assert render.answer_text(marriage, Aspect.TIME_LIMIT).splitlines()[1] == "办结时限：具体以窗口为准。"
    overview = render.overview_text(marriage)
    assert "· 收费：具体以窗口为准" in overview and "· 时限：具体以窗口为准" in overview
    assert "· 收费：不收费" not in overview
    card = render.card(marriage)
    assert card["fee"] == "具体以窗口为准" and card["source"]["verified_on"] == marriage["verified_on"]


def test_a_checked_fee_and_limit_are_stated(guide):
    assert "20元" in render.answer_text(guide, Aspect.FEE)
    assert "法定60日" in render.answer_text(guide, Aspect.TIME_LIMIT)


def test_time_limit_combinations():
    base = {"legal": "20日", "promised": "5个工作日", "promised_days": 5}
    say = lambda **flags: render._time_limit({"time_limit": {**base, **flags}})  # noqa: E731
    assert say() == "承诺5个工作日（法定20日）"
    assert say(legal_unverified=True) == "承诺5个工作日（法定时限具体以窗口为准）"
    assert say(promised_unverified=True) == "法定20日（承诺时限具体以窗口为准）"
    assert say(legal_unverified=True, promised_unverified=True) == "具体以窗口为准"


def test_a_guide_without_source_has_no_footer(guide):
    guide = dict(guide)
    guide.pop("source")
    assert "为准（核对于" not in render.answer_text(guide, Aspect.FEE)


def test_basis_phrases_find_the_basis_aspect():
    from bot.catalogue.lexicons import aspect_phrases
    from bot.nlu.aspects import find_aspect
    from bot.text.normalize import normalize

    lexicon = aspect_phrases()
    for text in ("依据是什么", "那收费依据是什么？", "这是根据哪条规定", "收这个钱的依据是啥"):
        assert find_aspect(normalize(text), lexicon)[0] == Aspect.BASIS, text
    assert find_aspect(normalize("要多少钱"), lexicon)[0] == Aspect.FEE
    # a complaint's "凭什么" is not a question about the legal basis
    assert (find_aspect(normalize("凭什么让我交"), lexicon) or ("",))[0] != Aspect.BASIS
