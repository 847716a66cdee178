"""Working days after chinesecalendar's last year: the SLA file's overrides (data/sla/calendar-2027.yml)."""

from __future__ import annotations

import datetime as dt
import logging

import chinese_calendar
import pytest

from bot.hall import sla


def at(y, m, d, hh=10, mm=0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=sla.TZ)


def test_the_installed_package_stops_before_2027():
    # Why the override file exists; when a release knows 2027 this test says so (then check the file).
    first, last = sla.package_years()
    assert last == 2026, f"chinesecalendar now knows to {last}: compare data/sla/calendar-2027.yml"
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(dt.date(2027, 2, 8))


def test_due_date_across_spring_festival_2027():
    config = sla.load_config()
    # Thursday 4 February 2027, a complaint: 3 working days. Without the calendar: Feb 5, 8, 9.
    # With it: 春节 off Feb 5-13, Sunday Feb 14 is a 调休 working day, then Feb 15, 16.
    assert sla.deadline("complaint", at(2027, 2, 4), config).due_at == at(2027, 2, 16, 17)
    # 元旦 2027 (Friday) is no working day; the guidance promise after hours on 31 Dec goes to 4 Jan.
    assert not sla.is_workday(dt.date(2027, 1, 1), config)
    assert sla.deadline("guidance", at(2026, 12, 31, 18), config).due_at == at(2027, 1, 4, 17)
    assert sla.is_workday(dt.date(2027, 2, 14), config)  # a 调休 Sunday


def test_without_overrides_2027_is_plain_weekdays_and_warned(caplog, tmp_path):
    bare = sla.load_config(calendars=[])
    sla._warned.discard(2027)
    with caplog.at_level(logging.WARNING, logger="bot.hall.sla"):
        assert sla.is_workday(dt.date(2027, 2, 8), bare)  # wrong, and said so
    assert "2027" in caplog.text
    assert sla.calendar_gaps(dt.date(2026, 12, 3), bare) == [2027]
    assert sla.calendar_gaps(dt.date(2026, 12, 3), sla.load_config()) == []
    warnings = sla.calendar_warnings(dt.date(2026, 12, 3), bare)
    assert any("未覆盖 2027" in w for w in warnings)
    # The shipped file is provisional: that is said too.
    assert any("暂定" in w for w in sla.calendar_warnings(dt.date(2026, 12, 3), sla.load_config()))
    # 2028 is not covered by anything yet: a date far ahead is reported.
    assert sla.calendar_gaps(dt.date(2027, 11, 1), sla.load_config()) == [2028]


def test_operator_file_adds_days_and_refuses_contradictions(tmp_path):
    extra = tmp_path / "sla.yml"
    extra.write_text("holidays: [2028-01-03]\nworkdays: ['2028-01-08']\n", encoding="utf-8")
    config = sla.load_config(str(extra))
    assert not sla.is_workday(dt.date(2028, 1, 3), config)
    assert sla.is_workday(dt.date(2028, 1, 8), config)  # a Saturday
    bad = tmp_path / "bad.yml"
    bad.write_text("holidays: [2028-01-03]\nworkdays: [2028-01-03]\n", encoding="utf-8")
    with pytest.raises(ValueError):
        sla.load_config(str(bad))
    nodate = tmp_path / "nodate.yml"
    nodate.write_text("holidays: [soon]\n", encoding="utf-8")
    with pytest.raises(ValueError):
        sla.load_config(str(nodate))
