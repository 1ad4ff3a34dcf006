"""判断日期 (?judge=): the day overdue findings are judged on — today, the year's end + grace_days, or any date.

Fixture findings of 2024 (fixture_db.py): open ones are JY-02 未整改 due 2024-12-31, WJ-01 整改中 due 2025-06-30,
NY-01 未整改 due 2024-06-30, 农业局 整改中 due 2025-03-01; a finding is not overdue on its deadline day.
  2025-03-31 (today of the tests): JY-02, NY-01, 农业局 → 3
  2024-12-31 (year end, grace 0):  NY-01 only (JY-02 is due that day) → 1
  2025-07-01 (a date picked):      all four → 4
"""

from __future__ import annotations

import datetime as dt

from dashboard.core.settings import Rules
from dashboard.ui import filters
from tests.pages.apptest import metrics, table, texts


def test_year_end_plus_grace():
    assert filters.year_end_day(2024, 90) == dt.date(2025, 3, 31)
    assert filters.year_end_day(2023, 0) == dt.date(2023, 12, 31)
    today = dt.date(2026, 1, 5)
    assert filters.judging_day("today", today, 2024, 90) == today
    assert filters.judging_day("yearend", today, 2024, 10) == dt.date(2025, 1, 10)
    assert filters.judging_day("date", today, 2024, 90, dt.date(2025, 7, 1)) == dt.date(2025, 7, 1)
    # the default: the year's end + grace, never after today (2024's findings are not judged in 2026)
    assert filters.judging_day("auto", today, 2024, 90) == dt.date(2025, 3, 31)
    assert filters.judging_day("nonsense", today, 2024, 90) == dt.date(2025, 3, 31)
    assert filters.judging_day("auto", today, 2025, 90) == today  # the year in progress: today
    assert Rules().grace_days == 90


def test_default_is_the_year_end_no_later_than_today_and_is_named_in_the_sidebar(app):
    at = app()  # 2024 + 90 days = 2025-03-31 = today of the tests
    assert metrics(at)["逾期未整改"][0] == "3"
    assert at.radio(key="judge").value == "默认"
    assert "逾期按 2025-03-31 判断" in "\n".join(c.value for c in at.sidebar.caption)
    assert "逾期按 2025-03-31 判断" in texts(at)  # beside the figures too


def test_year_end_with_the_grace_period_from_the_settings_file(app, monkeypatch, tmp_path):
    toml = tmp_path / "dashboard.toml"
    toml.write_text("[rules]\ngrace_days = 0\n", encoding="utf-8")
    monkeypatch.setenv("DASHBOARD_SETTINGS", str(toml))
    at = app(query={"judge": "年末加宽限期"})
    assert at.radio(key="judge").value == "年末加宽限期"
    assert metrics(at)["逾期未整改"][0] == "1"
    assert "逾期按 2024-12-31 判断" in texts(at)
    at = app("rectification", query={"judge": "年末加宽限期"})
    overdue = table(at, "逾期天数", "逾期账龄")
    assert overdue["问题描述"].tolist() == ["项目资金闲置"] and overdue["逾期天数"].tolist() == [184]


def test_a_picked_date_drives_every_page(app):
    at = app(query={"judge": "指定日期", "judge_date": "2025-07-01"})
    assert metrics(at)["逾期未整改"][0] == "4"
    at = app("rectification", query={"judge": "指定日期", "judge_date": "2025-07-01"})
    assert metrics(at)["逾期未整改"][0] == "4"
    assert "2025-07-01 已过整改时限" in texts(at)
    overdue = table(at, "逾期天数", "逾期账龄")
    assert sorted(overdue["逾期天数"].tolist()) == [1, 122, 182, 366]


def test_switching_the_choice_in_the_sidebar(app):
    at = app()
    at.radio(key="judge").set_value("指定日期").run()
    at.date_input(key="judge_date").set_value(dt.date(2024, 12, 31)).run()
    assert metrics(at)["逾期未整改"][0] == "1"
    assert at.radio(key="judge").value == "指定日期"


def test_a_past_year_is_judged_at_its_year_end_not_years_later(app, monkeypatch):
    """Opened on 2026-12-06, 2024's findings are judged on 2025-03-31 (year end + 90 days), not on the clock:
    overdue 90, 274 and 30 days, not every one >180 天."""
    monkeypatch.setenv("DASHBOARD_TODAY", "2026-12-06")
    at = app("rectification")
    assert at.radio(key="judge").value == "默认"
    assert "逾期按 2025-03-31 判断" in "\n".join(c.value for c in at.sidebar.caption)
    assert metrics(at)["逾期未整改"][0] == "3"
    assert sorted(table(at, "逾期天数", "逾期账龄")["逾期天数"].tolist()) == [30, 90, 274]
    at = app("rectification", query={"judge": "今天"})  # the clock, when asked for
    assert sorted(table(at, "逾期天数", "逾期账龄")["逾期天数"].tolist()) == [524, 645, 705, 889]
