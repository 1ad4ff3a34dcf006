"""`python -m dashboard summary --json` on the hand-built fixture equals the hand-computed figures."""

import json
import subprocess
import sys

from dashboard.__main__ import main
from tests import small_fixture as fx

EXPECTED_2022 = {
    "year": 2022, "department": None, "departments": 3, "units": 4, "projects": 7,
    "budget_total": 1000.0,
    "target_coverage": {"by_count": 0.7143, "by_funds": 0.7},
    "monitoring": {"as_of": "2022-08-31", "reported": 5, "green": 2, "yellow": 1, "red": 2, "grey": 1,
                   "execution_rate": 0.6257},
    "evaluations": {"count": 10, "avg_score": 85.22, "grades": {"优": 4, "良": 4, "中": 1, "差": 1},
                    "by_kind": {"单位自评": 4, "部门评价": 1, "财政重点评价": 4, "抽查复核": 1},
                    "inflation_flags": 2},
    "findings": {"total": 7, "rectified": 2, "in_progress": 2, "not_started": 3, "overdue": 3, "rate": 0.2857},
    # the hand fixture has no indicators; tests/data_loaders/test_indicators.py checks the figures per layout
    "indicators": {"count": 0, "met": 0, "not_met": 0, "unknown": 0},
    # the two 已整改 findings are verified (small_fixture), none extended, excluded or repeated: 2/7 both ways
    "rectification": {"verified": 2, "reported_unverified": 0, "direct_rate": 0.2857, "overall_rate": 0.2857,
                      "extended": 0, "repeat": 0},
    # 5 evaluated projects P1 P2 P3 P4 P6; none has a 结果应用 text, only P2 a 下年预算调整 (−20) → RA3 = 4; no
    # 2021 evaluations → RA1 0; P2 差 with −20 and no 2023 project → RA2 0; no policy → 0
    "result_application": {"consecutive_poor": 0, "poor_budget_up": 0, "no_application": 4, "policies_due": 0},
    # no indicators (TQ1–TQ6 and TQ8 judge a project's indicators), and no two departments' names alike (TQ7)
    "target_quality": {"flags": 0, "projects_flagged": 0,
                       "by_rule": {"TQ1": 0, "TQ2": 0, "TQ3": 0, "TQ4": 0, "TQ5": 0, "TQ6": 0, "TQ7": 0, "TQ8": 0}},
    # nor 部门整体 forms; tests/metrics/test_department_wide.py checks them
    "department_wide": {"departments": 0, "budget_total": 0.0, "indicators": 0},
    # nor collection rounds (报送轮次); tests/metrics/test_rounds.py checks them
    "rounds": {"current": None},
}


def _summary(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr().out
    return code, out


def test_summary_json_equals_hand_figures(db_url, capsys):
    fx.build(db_url)
    code, out = _summary(capsys, "--db", db_url, "summary", "--year", "2022", "--today", "2023-03-31", "--json")
    assert code == 0
    assert json.loads(out) == EXPECTED_2022
    assert list(json.loads(out)) == list(EXPECTED_2022)          # keys in the contract's order


def test_summary_for_one_department_by_code_or_name(db_url, capsys):
    fx.build(db_url)
    for key in ("101", "青山区教育局"):
        _, out = _summary(capsys, "--db", db_url, "summary", "--year", "2022", "--department", key,
                          "--today", "2023-03-31", "--json")
        s = json.loads(out)
        assert s["department"] == "青山区教育局"
        assert (s["departments"], s["units"], s["projects"], s["budget_total"]) == (1, 2, 3, 350.0)
        assert s["target_coverage"] == {"by_count": 0.6667, "by_funds": 0.4286}
        assert s["monitoring"] == {"as_of": "2022-08-31", "reported": 3, "green": 1, "yellow": 1, "red": 1,
                                   "grey": 0, "execution_rate": 0.48}
        assert s["evaluations"]["count"] == 5 and s["evaluations"]["avg_score"] == 82.25
        assert s["findings"] == {"total": 3, "rectified": 1, "in_progress": 1, "not_started": 1, "overdue": 1,
                                 "rate": 0.3333}


def test_overdue_depends_on_today(sqlite_url, capsys):
    fx.build(sqlite_url)
    _, out = _summary(capsys, "--db", sqlite_url, "summary", "--year", "2022", "--today", "2023-04-01", "--json")
    assert json.loads(out)["findings"]["overdue"] == 4      # F2's deadline day has passed


def test_unknown_department_is_a_clear_error(sqlite_url, capsys):
    fx.build(sqlite_url)
    code = main(["--db", sqlite_url, "summary", "--year", "2022", "--department", "不存在的局", "--json"])
    assert code == 2
    assert "找不到主管部门" in capsys.readouterr().err


def test_empty_year_gives_zeros_not_errors(sqlite_url, capsys):
    fx.build(sqlite_url)
    _, out = _summary(capsys, "--db", sqlite_url, "summary", "--year", "2030", "--json")
    s = json.loads(out)
    assert s["projects"] == 0 and s["target_coverage"] == {"by_count": None, "by_funds": None}
    assert s["monitoring"]["as_of"] is None and s["findings"]["rate"] is None


def test_module_entry_point_runs(sqlite_url):
    fx.build(sqlite_url)
    done = subprocess.run([sys.executable, "-m", "dashboard", "--db", sqlite_url, "summary", "--year", "2022",
                           "--today", "2023-03-31"], check=False, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0
    assert "项目 7 个" in done.stdout and "逾期 3" in done.stdout


def test_init_is_repeatable(sqlite_url, capsys):
    assert main(["--db", sqlite_url, "init"]) == 0
    assert main(["--db", sqlite_url, "init"]) == 0
    from alembic.script import ScriptDirectory

    from dashboard.core import db

    assert ScriptDirectory(str(db.MIGRATIONS)).get_current_head() in capsys.readouterr().out


def test_summary_invariants_on_county_demo(db_url, capsys):
    """On the demo data: lights add up to reported, grades and kinds to the count, statuses to the total,
    ratios within 0–1, and the counts match plain SQL counts."""
    from sqlalchemy import text

    from dashboard import demo
    from dashboard.core import db

    db.init_db(db_url)
    demo.load_demo(db_url, scale="county", seed=3)
    for year in (2022, 2023, 2024):
        _, out = _summary(capsys, "--db", db_url, "summary", "--year", str(year), "--today", "2025-06-30",
                          "--json")
        s = json.loads(out)
        m, e, f = s["monitoring"], s["evaluations"], s["findings"]
        assert m["green"] + m["yellow"] + m["red"] == m["reported"] > 0
        assert sum(e["grades"].values()) == e["count"] == sum(e["by_kind"].values()) > 0
        assert f["rectified"] + f["in_progress"] + f["not_started"] == f["total"] > 0
        assert 0 <= f["overdue"] <= f["total"] - f["rectified"]
        for ratio in (*s["target_coverage"].values(), f["rate"]):
            assert 0 <= ratio <= 1
        assert 0 < m["execution_rate"] < 1.5
        with db.get_engine(db_url).connect() as conn:
            n, budget = conn.execute(text(
                "SELECT COUNT(*), SUM(COALESCE(adjusted_budget, initial_budget)) FROM projects WHERE year = :y"),
                {"y": year}).one()
            n_eval = conn.execute(text("SELECT COUNT(*) FROM evaluations WHERE year = :y"), {"y": year}).scalar()
        assert s["projects"] == n and s["budget_total"] == round(budget, 2) and e["count"] == n_eval
        r = s["rounds"]["current"]  # the demo's round: its latest monitoring checkpoint (dashboard.demo.data)
        if r is not None:
            assert year == 2024 and r["kind"] == "monitoring" and r["as_of"] == m["as_of"]
            assert r["units"] == s["units"] and 0 < r["late"] < r["reported"] < r["units"]
