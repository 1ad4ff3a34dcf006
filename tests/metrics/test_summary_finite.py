"""`summary --json` never prints a number JSON lacks (issue 23, item 2): amounts the importer now refuses (two projects
of 1e308 万元) that are already in a database — written before the check, or by hand — give null, never Infinity or
NaN; the other figures stay as computed by hand."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import update

from dashboard.__main__ import main
from dashboard.core import db
from dashboard.core import models as m
from dashboard.core.settings import Rules
from dashboard.metrics import summary as S
from tests import small_fixture as fx


def _no_constants(name):
    raise AssertionError(f"summary --json printed {name}")


def _huge(url: str, ids: dict, *keys: str) -> None:
    with db.get_engine(url).begin() as conn:
        conn.execute(update(m.Project.__table__).where(m.Project.__table__.c.id.in_([ids[k] for k in keys]))
                     .values(adjusted_budget=1e308))


def test_two_projects_of_1e308_give_null_not_infinity(sqlite_url, capsys):
    # SQLite adds doubles to Infinity (the probe's output); PostgreSQL refuses the overflowing sum in the metrics'
    # SQL instead (reported to the lead: aggregates are not this module's). The importer refuses such amounts on both.
    db_url = sqlite_url
    ids = fx.build(db_url)
    _huge(db_url, ids, "P1", "P3")  # 1e308 + 1e308 overflows: the total is no finite number
    code = main(["--db", db_url, "summary", "--year", "2022", "--today", "2023-03-31", "--json"])
    out = capsys.readouterr().out
    assert code == 0
    got = json.loads(out, parse_constant=_no_constants)
    assert got["budget_total"] is None
    # by count: 5 of 7 projects have targets (P1 P2 P4 P5 P6), as in the hand fixture; by funds the ratio of two
    # overflowing totals is no number either
    assert got["target_coverage"] == {"by_count": 0.7143, "by_funds": None}
    assert (got["projects"], got["units"], got["departments"]) == (7, 4, 3)
    assert got["findings"] == {"total": 7, "rectified": 2, "in_progress": 2, "not_started": 3, "overdue": 3,
                               "rate": 0.2857}
    code = main(["--db", db_url, "summary", "--year", "2022", "--today", "2023-03-31"])
    text = capsys.readouterr().out
    assert code == 0 and "预算 — 万元" in text and "inf" not in text


def test_finite_maps_every_non_finite_float_to_none():
    got = S.finite({"a": float("inf"), "b": [float("nan"), 1.5, {"c": float("-inf")}], "d": 2, "e": "x", "f": None})
    assert got == {"a": None, "b": [None, 1.5, {"c": None}], "d": 2, "e": "x", "f": None}
    json.dumps(got, allow_nan=False)


def test_the_briefs_are_written_with_such_data(sqlite_url, tmp_path, capsys):
    # brief and brief --all crashed (exit 1: matplotlib refused an infinite axis in the trend chart)
    ids = fx.build(sqlite_url)
    _huge(sqlite_url, ids, "P1", "P3")
    for args in (["--department", "101", "-o", str(tmp_path / "one.docx")], ["--all", "-o", str(tmp_path / "all.docx")]):
        code = main(["--db", sqlite_url, "brief", "--year", "2022", *args])
        captured = capsys.readouterr()
        assert code == 0, captured.err
        assert "部门简报已写入" in captured.out
    assert (tmp_path / "one.docx").stat().st_size > 10_000 and (tmp_path / "all.docx").stat().st_size > 10_000


def test_postgresql_refuses_the_overflowing_sum_with_a_sentence(pg_url):
    # PostgreSQL raises "value out of range: overflow" where SQLite adds up to Infinity: one sentence saying what to
    # do (the command line prints it with exit 2 once it catches FiguresOutOfRange, see the lead's note)
    ids = fx.build(pg_url)
    _huge(pg_url, ids, "P1", "P3")
    with pytest.raises(S.FiguresOutOfRange) as got:
        S.summary(pg_url, 2022, None, fx.TODAY, Rules())
    assert str(got.value).startswith("2022年的金额合计超出了数字的范围：数据库中有大得不合理的金额（如 1e308 万元）。")
