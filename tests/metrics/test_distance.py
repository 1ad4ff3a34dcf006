"""Distance from target (issue 25 item 5) on the hand-built database of test_target_quality, on SQLite and
PostgreSQL: each project's indicators at its most advanced stage, binned by hand.

  P1 自评: 培训人次 ≥500 → 1000: +100% (bin 90–100%) · 受益人数 明显提升 and 满意度 待定: no number
  P2 自评: 完成数量 ≥10 → 19.9: +99% (bin 90–100%) · 满意度 ≥90% → 95%: +5.6% (bin 0–10%)
  P3 自评: 完成数量 ≥10 → 7: −30% (bin −30…−20%) · 覆盖人数 ≥100人 → 100人次: another unit ·
           项目总成本 ≤120万元 → 132万元: −10% (a ceiling overrun; bin −10…0%)
  → 8 indicators, 5 in the chart; 甲 5 (3 shown, none below), 乙 3 (2 shown, both below).
"""

from __future__ import annotations

import pytest

from dashboard.core import quality as Q
from dashboard.metrics import indicators as IND
from dashboard.metrics.query import clear_caches
from tests.metrics.test_target_quality import build, query


@pytest.fixture
def fixture(db_url):
    ids = build(db_url)
    clear_caches()
    yield db_url, ids
    clear_caches()


def bins(hist: dict) -> dict[int, int]:
    return {k: n for k, _label, n in hist["bins"] if n}


def test_histogram_by_hand(fixture):
    url, _ = fixture
    hist = IND.distance_histogram(query(url))
    assert (hist["total"], hist["shown"]) == (8, 5)
    assert bins(hist) == {9: 2, 0: 1, -3: 1, -1: 1}
    assert hist["excluded"] == {Q.NO_NUMBER: 2, Q.UNIT_DIFFERS: 1}
    assert [label for _k, label, _n in hist["bins"]][:2] == ["-100%～-90%", "-90%～-80%"]
    assert len(hist["bins"]) == 20


def test_histogram_per_department_and_family(fixture):
    url, ids = fixture
    q = query(url)
    yi = IND.distance_histogram(q, department_id=ids["乙"])
    assert (yi["total"], yi["shown"], bins(yi)) == (3, 2, {-3: 1, -1: 1})
    output = IND.distance_histogram(q, family="产出指标")
    assert (output["total"], output["shown"], bins(output)) == (4, 3, {9: 2, -3: 1})
    cost = IND.distance_histogram(q, family="成本指标")
    assert (cost["total"], cost["shown"], bins(cost)) == (1, 1, {-1: 1})
    # the same department through the scope filter
    assert IND.distance_histogram(query(url, departments=(ids["乙"],)))["total"] == 3


def test_by_department(fixture):
    url, _ = fixture
    df = IND.distance_by_department(query(url)).set_index("department")
    assert df.loc["区教育局", ["indicator_count", "shown", "below_target", "reached_target"]].tolist() == [5, 3, 0, 3]
    assert df.loc["区卫健委", ["indicator_count", "shown", "below_target", "reached_target"]].tolist() == [3, 2, 2, 0]
    assert df.loc["区卫健委", "below_share"] == 1.0 and df.loc["区教育局", "below_share"] == 0.0
    assert df.index.tolist()[0] == "区卫健委"  # most below target first
