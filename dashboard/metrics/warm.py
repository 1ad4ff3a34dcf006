"""Warming: project_facts and the per-department aggregates of the default scope, computed before anyone asks.

`warm(url, rules, today)` brings project_facts up to the current data version (metrics.prepare) and computes,
for the latest `years` years over every department, the scope-level figures the first pages show; that
fills the bounded in-process aggregate caches (dashboard.metrics.aggregates, keyed on the data version) that
every later request of any session sums from. It only reads (and rebuilds project_facts as prepare does);
dashboard/ui/warm.py runs it in a background thread when the server starts and after each import.
"""

from __future__ import annotations

import datetime as dt
import time

from dashboard.core.settings import Rules
from dashboard.metrics.coverage import coverage_by_department
from dashboard.metrics.departments import department_ranking
from dashboard.metrics.evaluation import grade_mix_by_department
from dashboard.metrics.findings import findings_by_department
from dashboard.metrics.monitoring import lights_by_department
from dashboard.metrics.options import available_years
from dashboard.metrics.query import Query, Scope, prepare
from dashboard.metrics.totals import kpis

# the figures of the overview and the topic pages at default filters; each sums the per-department aggregates
FIGURES = (kpis, lights_by_department, department_ranking, coverage_by_department, grade_mix_by_department,
           findings_by_department)


def warm(url: str, rules: Rules, today: dt.date, years: int = 1) -> dict:
    """Prepare the facts and compute FIGURES for the latest `years` years; what was warmed, and how long it took."""
    started = time.perf_counter()
    version = prepare(url)
    warmed = []
    for year in available_years(url)[: max(1, int(years))]:
        q = Query(url, version, Scope(year=int(year)), rules, today)
        for fn in FIGURES:
            fn(q)
        warmed.append(int(year))
    return {"version": version, "years": warmed, "seconds": time.perf_counter() - started}
