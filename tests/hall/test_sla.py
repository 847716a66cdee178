"""Service-level timers in working time: 国庆 and a 调休 Saturday come from chinese_calendar."""

from __future__ import annotations

import datetime as dt

from bot.hall import sla

CFG = sla.load_config()


def at(y, m, d, hh=10, mm=0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=sla.TZ)


def test_calendar_knows_national_day_and_makeup_saturday():
    assert not sla.is_workday(dt.date(2025, 10, 1))   # 国庆
    assert not sla.is_workday(dt.date(2025, 10, 8))   # 国庆 + 中秋 2025: 10/1-10/8
    assert sla.is_workday(dt.date(2025, 10, 11))      # 调休: a working Saturday
    assert sla.is_workday(dt.date(2025, 9, 28))       # 调休: a working Sunday


def test_guidance_same_working_day():
    assert sla.deadline("guidance", at(2025, 9, 30, 10), CFG).due_at == at(2025, 9, 30, 17)
    # after hours on the eve of 国庆: the next working day is 10/9
    assert sla.deadline("guidance", at(2025, 9, 30, 18), CFG).due_at == at(2025, 10, 9, 17)
    # on a 调休 Saturday the hall works
    assert sla.deadline("guidance", at(2025, 10, 11, 9), CFG).due_at == at(2025, 10, 11, 17)


def test_complaint_three_working_days_across_national_day():
    # 9/29 (Mon) + 3 working days: 9/30, [10/1-10/8 holiday], 10/9, 10/10
    assert sla.deadline("complaint", at(2025, 9, 29), CFG).due_at == at(2025, 10, 10, 17)
    # 10/10 (Fri) + 3: 10/11 (调休 Saturday), 10/13, 10/14
    assert sla.deadline("fallback", at(2025, 10, 10), CFG).due_at == at(2025, 10, 14, 17)


def test_handoff_two_working_hours():
    assert sla.deadline("handoff", at(2025, 9, 30, 10), CFG).due_at == at(2025, 9, 30, 12)
    # 16:00 on the eve of 国庆: one hour today, one hour on 10/9
    assert sla.deadline("handoff", at(2025, 9, 30, 16), CFG).due_at == at(2025, 10, 9, 10)
    # before opening on a 调休 Saturday
    assert sla.deadline("handoff", at(2025, 10, 11, 7), CFG).due_at == at(2025, 10, 11, 11)
    # a Sunday that is no 调休
    assert sla.deadline("handoff", at(2025, 10, 12, 12), CFG).due_at == at(2025, 10, 13, 11)


def test_bad_feedback_callback_and_fix():
    d = sla.deadline("feedback", at(2025, 9, 30, 15), CFG, rating=2)
    assert d.due_at == at(2025, 10, 9, 17)
    assert "1个工作日内回访" in d.promised_response and "15日内整改" in d.promised_response
    assert "回访" not in sla.deadline("feedback", at(2025, 9, 30, 15), CFG, rating=5).promised_response


def test_matter_promise_wins_for_complaints():
    d = sla.deadline("complaint", at(2025, 9, 29, 9), CFG, matter_hours=24, matter_response="3个工作日内电话联系")
    assert d.due_at == at(2025, 10, 9, 17) and d.promised_response == "3个工作日内电话联系"


def test_yaml_overrides(tmp_path, monkeypatch):
    path = tmp_path / "sla.yml"
    path.write_text("working_hours: {start: '08:30', end: '17:30'}\nkinds:\n  complaint: {working_days: 5, response: 5个工作日内答复}\n",
                    encoding="utf-8")
    monkeypatch.setenv("ONETRIP_SLA_FILE", str(path))
    cfg = sla.load_config()
    d = sla.deadline("complaint", at(2025, 11, 3), cfg)
    assert d.due_at == at(2025, 11, 10, 17, 30) and d.promised_response == "5个工作日内答复"
    assert cfg.kinds["handoff"].working_hours == 2


def test_remaining_text():
    now = at(2025, 11, 3, 10)
    assert sla.remaining_text(at(2025, 11, 3, 12, 15), now) == "剩余 2小时15分"
    assert sla.remaining_text(at(2025, 11, 2, 9), now).startswith("已超时 1天1小时")


def test_round_the_clock_hours(tmp_path):
    # A service centre open round the clock writes 00:00-24:00 (issue #16's browser test uses it).
    path = tmp_path / "sla.yml"
    path.write_text("working_hours: {start: '00:00', end: '24:00'}\n", encoding="utf-8")
    cfg = sla.load_config(str(path))
    for hh, mm in ((0, 0), (8, 59), (17, 30), (23, 59)):
        assert sla.office_hours(at(2025, 11, 3, hh, mm), cfg).open  # a Monday
    assert not sla.office_hours(at(2025, 11, 2, 12), cfg).open  # a Sunday is still a day off
    assert sla.deadline("handoff", at(2025, 11, 3, 23), cfg).due_at == at(2025, 11, 4, 1)
    assert sla.deadline("guidance", at(2025, 11, 3, 10), cfg).due_at == at(2025, 11, 4, 0)  # midnight


def test_hours_as_a_citizen_reads_them():
    import datetime as dt

    from bot.hall import sla

    assert sla.hours_text(sla.SlaConfig()) == "9:00-17:00"
    assert sla.hours_text(sla.SlaConfig(day_start=dt.time(8, 30), day_end=dt.time.max)) == "8:30-24:00"
