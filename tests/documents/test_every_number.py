"""Every number of the brief's page 1 (总体判断) and of the report's 一、主要工作及成效, read back from the .docx and
found among figures computed here — from `summary --json` and from SQL on the tables — on the county demo
(issue 24 items 1, 5, 6): a change is the difference of the two figures shown, parts add up to the total shown,
and no number appears that the data does not give."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import docx
import pytest
from sqlalchemy import func, select

from dashboard import demo, metrics
from dashboard.__main__ import main
from dashboard.core import db
from dashboard.core import models as m
from dashboard.core.settings import Documents, Rules
from dashboard.documents import brief as B
from dashboard.documents import report_document
from tests.documents.docx_read import rows, table_after

TODAY = dt.date(2025, 6, 30)
NOW = dt.datetime(2025, 7, 1, 9, 0)
YEAR = 2024
NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('county') / 'county.db'}"
    db.init_db(url)
    demo.load_demo(url, scale="county", seed=1)
    return url


def _summary(capsys, url, year, department=None) -> dict:
    args = ["--db", url, "summary", "--year", str(year), "--json", "--today", TODAY.isoformat()]
    assert main(args + (["--department", department] if department else [])) == 0
    return json.loads(capsys.readouterr().out)


def _sql(url, stmt):
    with db.get_engine(url).connect() as conn:
        return conn.execute(stmt).all()


def _numbers(text: str) -> list[float]:
    return [float(x.replace(",", "")) for x in NUMBER.findall(text)]


def _shown(value, kind):
    """A figure as the documents display it, as a number: pct in points to 0.1, money to 0.01, score to 0.1."""
    if value is None:
        return None
    return {"pct": round(value * 100, 1), "money": round(value, 2), "score": round(value, 1), "count": int(value)}[kind]


# ------------------------------------------------------------------------------------------------ the brief, page 1


def test_brief_page_one_numbers(county, capsys):
    url = county
    dept_id, name = 0, ""
    for row in _sql(url, select(m.Department.id, m.Department.name).order_by(m.Department.id)):
        if row[1] == "青山区城市管理局":
            dept_id, name = row
    assert dept_id, "the county demo has 青山区城市管理局"
    d = docx.Document(io.BytesIO(B.brief_document(url, YEAR, dept_id, TODAY, Rules(), Documents(), now=NOW)))
    s, p = _summary(capsys, url, YEAR, name), _summary(capsys, url, YEAR - 1, name)

    # page 1 is the verdict: 总体判断 then 建议关注的问题, before any detail list
    heads = [x.text for x in d.paragraphs if x.style.name == "Heading 1"]
    assert heads[:3] == ["一、总体判断", "二、建议关注的问题", "三、主要指标"]
    body = list(d.element.body.iterchildren())
    verdict, in_verdict = [], False
    for x in d.paragraphs:
        if x.style.name == "Heading 1":
            in_verdict = x.text == "一、总体判断"
            continue
        if in_verdict and x.style.name == "正文":
            verdict.append(x.text)
    assert body  # a document
    text = "\n".join(verdict)

    # rank among all, and among the departments of the same kind (SQL: the kind column), both from the ranking
    ranking = metrics.department_ranking(metrics.Query(url, metrics.prepare(url), metrics.Scope(year=YEAR), Rules(),
                                                       TODAY))
    mine = ranking.loc[ranking["department_id"] == dept_id].iloc[0]
    kinds = dict(_sql(url, select(m.Department.id, m.Department.kind)))
    same = ranking[ranking["department_id"].map(kinds) == kinds[dept_id]].dropna(subset=["composite"])
    same = same.sort_values(["composite", "department"], ascending=[False, True])
    kind_rank = list(same["department_id"]).index(dept_id) + 1
    assert (f"综合得分 {mine['composite']:.1f}，在全部 {int(ranking['rank'].notna().sum())} 个主管部门中排第 "
            f"{int(mine['rank'])} 名（上年第 {int(mine['prev_rank'])} 名）；在 {len(same)} 个同类部门中排第 {kind_rank} 名") in text
    assert kinds[dept_id] == "部门" and "同为部门" in text          # peers of the same kind, said so

    # the three largest changes: each figure is summary's, each change the difference of the two shown
    t = table_after(d, "总体判断")
    changes = rows(t)
    assert len(changes) == 3
    labels = {label: (path, kind) for label, path, kind, _ in B.HEADLINE_ROWS}
    sizes = []
    for label, before, now, change, verdict_word in changes:
        path, kind = labels[label]
        assert _shown(B.pick(s, path), kind) == _numbers(now)[0] and _shown(B.pick(p, path), kind) == _numbers(before)[0]
        diff = round(_numbers(now)[0] - _numbers(before)[0], 2)
        assert _numbers(change)[0] == pytest.approx(abs(diff)) and (change[0] == "+") == (diff > 0)
        if kind == "count":   # the change of its share of its base (docs/rules.md), in points
            base = B.COUNT_BASE[path]
            sizes.append(abs(_numbers(now)[0] / B.pick(s, base) - _numbers(before)[0] / B.pick(p, base)) * 100)
        else:
            sizes.append(abs(diff))
        assert verdict_word in ("好转", "变差")
    assert sizes == sorted(sizes, reverse=True)

    # the attention points: every count is summary's; the money without targets is SQL's
    P = m.Project
    budget = func.coalesce(P.adjusted_budget, P.initial_budget)
    [(no_target_money,)] = _sql(url, select(func.sum(budget)).where(
        P.year == YEAR, P.department_id == dept_id, (P.has_target.is_(False)) | (P.has_target.is_(None))))
    points = next(x for x in verdict if x.startswith("关注要点"))
    mon, ev, fi, ind = s["monitoring"], s["evaluations"], s["findings"], s["indicators"]
    assert f"红灯项目 {mon['red']} 个" in points and f"逾期未整改的问题 {fi['overdue']} 个" in points
    assert f"未完成的绩效指标 {ind['not_met']} 个" in points
    expected = {mon["red"], mon["grey"], ev["grades"]["差"], fi["overdue"], ind["not_met"], ev["inflation_flags"],
                Rules().red_lag, round(no_target_money or 0, 2), TODAY.year, TODAY.month, TODAY.day}
    assert set(_numbers(points)) <= {float(x) for x in expected}, _numbers(points)


# ------------------------------------------------------------------------------------------------ the report


def test_report_numbers_are_the_data(county, capsys):
    url = county
    d = docx.Document(io.BytesIO(report_document(url, YEAR, TODAY, Rules(), Documents(), now=NOW)))
    s, p = _summary(capsys, url, YEAR), _summary(capsys, url, YEAR - 1)
    paras, part = [], None
    for x in d.paragraphs:
        if x.style.name == "Heading 1":
            part = x.text
        elif part == "一、主要工作及成效" and x.style.name == "正文":
            paras.append(x.text)
    text = "\n".join(paras)
    P, E, Fd = m.Project, m.Evaluation, m.Finding
    budget = func.coalesce(P.adjusted_budget, P.initial_budget)
    yi = lambda x: round(x / 10_000, 2)

    # 亿元 for totals, changes from the shown figures (38.18亿元 − 36.62亿元 = 1.56亿元)
    [(sql_budget,)] = _sql(url, select(func.sum(budget)).where(P.year == YEAR))
    assert round(sql_budget, 2) == s["budget_total"] and s["budget_total"] >= 10_000
    grown = round((yi(s["budget_total"]) - yi(p["budget_total"])), 2)
    assert (f"涉及预算资金{yi(s['budget_total']):.2f}亿元，比上年{'增加' if grown > 0 else '减少'}"
            + (f"{abs(grown):.2f}亿元" if abs(grown) >= 1 else f"{abs(grown) * 10_000:,.2f}万元")) in text
    for key, sub in (("target_coverage", "by_funds"), ("monitoring", "execution_rate")):
        now, before = _shown(s[key][sub], "pct"), _shown(p[key][sub], "pct")
        words = "提高" if now > before else "下降"
        assert f"{now:.1f}%，比上年{words}{abs(round(now - before, 1)):.1f}个百分点" in text, (key, sub)

    # parts add up to the shown total: budget by fund source (亿元), findings' money by source, result application
    fund_part = re.search(r"分预算类别看，(.+?)（各类别资金", text).group(1)
    parts = [float(x) for x in re.findall(r"个项目、([\d.]+)亿元", fund_part)]
    by_fund = dict(_sql(url, select(P.fund_source, func.sum(budget)).where(P.year == YEAR).group_by(P.fund_source)))
    assert round(sum(parts), 2) == yi(s["budget_total"])
    assert all(abs(a - yi(v)) <= 0.011 for a, v in zip(parts, sorted(by_fund.values(), reverse=True)))
    src = _sql(url, select(func.coalesce(Fd.source, "其他"), func.count(), func.sum(Fd.amount))
               .where(Fd.year == YEAR).group_by(func.coalesce(Fd.source, "其他")))
    for name, count, amount in src:
        assert f"{name}发现{count}个" in text
        if amount:
            assert f"{name}发现{count}个（涉及金额{amount:,.2f}万元）" in text or abs(
                float(re.search(name + r"发现\d+个（涉及金额([\d,.]+)万元）", text).group(1).replace(",", "")) - amount) <= 0.011
    shown_amounts = [float(x.replace(",", "")) for x in re.findall(r"（涉及金额([\d,.]+)万元）", text)]
    total_amount = float(re.search(r"涉及金额合计([\d,.]+)万元", text).group(1).replace(",", ""))
    assert round(sum(shown_amounts), 2) == total_amount == pytest.approx(sum(a or 0 for *_, a in src), abs=0.01)
    results = re.search(r"按评价等级，(.+?)（各等级金额之和即合计数）", text).group(1)
    signed = [(1 if w == "增加" else -1) * float(v.replace(",", "")) for w, v in re.findall(r"合计(增加|减少)([\d,.]+)万元", results)]
    total = re.search(r"下年预算合计(增加|减少)([\d,.]+)万元", text)
    assert round(sum(signed), 2) == (1 if total.group(1) == "增加" else -1) * float(total.group(2).replace(",", ""))
    [(sql_change,)] = _sql(url, select(func.sum(E.next_year_budget_change)).where(E.year == YEAR))
    assert sum(signed) == pytest.approx(sql_change, abs=0.011)

    # what the seeds report and the database holds
    ex = dict(_sql(url, select(P.ex_ante_result, func.count()).where(P.year == YEAR, P.ex_ante_result.is_not(None))
                   .group_by(P.ex_ante_result)))
    assert (f"对{sum(ex.values())}个新增项目开展事前绩效评估，评估结论为支持的{ex.get('支持', 0)}个、调整后支持的"
            f"{ex.get('调整后支持', 0)}个、不予支持的{ex.get('不予支持', 0)}个") in text
    tg = dict(_sql(url, select(P.target_grade, func.count()).where(P.year == YEAR, P.target_grade.is_not(None))
                   .group_by(P.target_grade)))
    assert f"审核{sum(tg.values())}个项目的绩效目标" in text
    key = _sql(url, select(E.object_type, E.fund_amount, E.evaluator, E.deputies_participated)
               .where(E.year == YEAR, E.kind == "财政重点评价"))
    evaluators = {e for _, _, e, _ in key if e}
    assert f"财政部门选取{len(key)}个重点项目和政策开展重点评价" in text
    assert f"涉及资金{yi(sum(a or 0 for _, a, _, _ in key)):.2f}亿元（含部门整体支出和政策的全部资金" in text
    assert f"{len(evaluators)}家第三方机构实施" in text
    assert f"邀请人大代表参与其中{sum(1 for *_, dep in key if dep)}个项目的评价" in text
    kinds = dict(_sql(url, select(E.kind, func.count()).where(E.year == YEAR).group_by(E.kind)))
    assert f"抽查复核{kinds['抽查复核']}个，抽查比例{kinds['抽查复核'] / kinds['单位自评'] * 100:.1f}%" in text
    assert f"组织预算单位开展绩效自评{kinds['单位自评']}个" in text
    objs = dict(_sql(url, select(E.object_type, func.count()).where(E.year == YEAR).group_by(E.object_type)))
    assert "按评价对象，" + "、".join(f"{o}{objs[o]}个" for o in ("项目支出", "部门整体支出", "政策") if objs.get(o)) in text
    assert f"{s['departments']}个主管部门、{s['units']}个预算单位的{s['projects']}个项目" in text
    # the largest result-application case: project, grade, budget before → after (SQL)
    [(obj, change, b0)] = _sql(url, select(P.name, E.next_year_budget_change, budget).join(P, P.id == E.project_id)
                               .where(E.year == YEAR, E.next_year_budget_change.is_not(None))
                               .order_by(func.abs(E.next_year_budget_change).desc(), E.id).limit(1))
    fmt_money = lambda x: f"{yi(x):.2f}亿元" if abs(x) >= 10_000 else f"{x:,.2f}万元"
    assert f"“{obj}”" in text and f"预算由{fmt_money(b0)}调整为{fmt_money(round(b0, 2) + round(change, 2))}" in text

    # a year-end report does not pass August execution off as the year's
    assert "以上执行数据截至2024年8月31日（1-8月），不是全年执行数；全年执行情况以决算为准" in text

    # every number of part 一 is a figure of the data (or a date, or a change between two shown figures)
    allowed = {YEAR, YEAR - 1, YEAR + 1, 1, 8, 31, TODAY.year, TODAY.month, TODAY.day}
    flat = []

    def walk(x):
        if isinstance(x, dict):
            for v in x.values():
                walk(v)
        elif isinstance(x, (int, float)) and not isinstance(x, bool):
            flat.append(float(x))
    walk(s)
    walk(p)
    figures = set(flat) | {round(x * 100, 1) for x in flat if 0 <= x <= 2} | {yi(x) for x in flat} | {
        round(x, 1) for x in flat}
    numbers = _numbers(text)
    unknown = [x for x in numbers if x not in figures and x not in allowed]
    # what remains are the SQL / list figures checked above (per source, per grade, per department, cases, changes)
    checked = set(shown_amounts) | {abs(x) for x in signed} | set(parts) | {float(v) for v in ex.values()} | {
        float(v) for v in tg.values()} | {float(v) for v in objs.values()} | {float(v) for v in kinds.values()}
    checked |= {float(c) for _, c, _ in src} | {float(len(key)), float(len(evaluators))}
    checked |= {float(sum(1 for o, *_ in key if o == obj)) for obj in ("项目支出", "部门整体支出", "政策")}
    lights = metrics.lights_by_department(metrics.Query(url, metrics.prepare(url), metrics.Scope(year=YEAR), Rules(),
                                                        TODAY))
    finds = metrics.findings_by_department(metrics.Query(url, metrics.prepare(url), metrics.Scope(year=YEAR),
                                                         Rules(), TODAY))
    checked |= {float(x) for x in lights["red"]} | {float(x) for x in finds["overdue"]} | {
        float((lights["red"] > 0).sum()), float((finds["overdue"] > 0).sum())}
    # changes against last year: the difference of the two figures as shown, in the unit shown
    def pairs(a, b, path=()):
        if isinstance(a, dict):
            for k in a:
                yield from pairs(a[k], (b or {}).get(k), (*path, k))
        elif isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
            yield path, a, b
    for path, a, b in pairs(s, p):
        checked |= {abs(a - b), round(abs(round(a * 100, 1) - round(b * 100, 1)), 1), round(abs(round(a, 1) - round(b, 1)), 1),
                    round(abs(yi(a) - yi(b)), 2), round(abs(yi(a) - yi(b)) * 10_000, 2)}
    # SQL: money and projects without targets (and so with them), per fund source and per department
    no_t = (P.has_target.is_(False)) | (P.has_target.is_(None))
    [(n_no, money_no)] = _sql(url, select(func.count(), func.sum(budget)).where(P.year == YEAR, no_t))
    checked |= {float(n_no), yi(money_no), float(s["projects"] - n_no), yi(s["budget_total"] - money_no)}
    for _, n_f, b_f, t_f in _sql(url, select(P.fund_source, func.count(), func.sum(budget),
                                             func.sum(budget).filter(P.has_target.is_(True)))
                                 .where(P.year == YEAR).group_by(P.fund_source)):
        checked |= {float(n_f), round((t_f or 0) / b_f * 100, 1)}
    for _, b_d, t_d in _sql(url, select(P.department_id, func.sum(budget), func.sum(budget).filter(P.has_target.is_(True)))
                            .where(P.year == YEAR).group_by(P.department_id)):
        checked.add(round((t_d or 0) / b_d * 100, 1))
    checked |= {float(sum(ex.values())), float(sum(tg.values())), yi(sum(a or 0 for _, a, _, _ in key)),
                float(sum(1 for *_, dep in key if dep)), round(kinds["抽查复核"] / kinds["单位自评"] * 100, 1)}
    # monitoring money (the lights' sums, from the facts table) and result application per grade (SQL)
    checked |= {yi(lights["budget"].sum()), yi(lights["executed"].sum())}
    for _, cut, inc in _sql(url, select(E.grade, func.count().filter(E.next_year_budget_change < 0),
                                        func.count().filter(E.next_year_budget_change > 0))
                            .where(E.year == YEAR).group_by(E.grade)):
        checked |= {float(cut), float(inc)}
    [(cut_all, inc_all)] = _sql(url, select(func.count().filter(E.next_year_budget_change < 0),
                                            func.count().filter(E.next_year_budget_change > 0)).where(E.year == YEAR))
    [(prev_change,)] = _sql(url, select(func.sum(E.next_year_budget_change)).where(E.year == YEAR - 1))
    checked |= {float(cut_all), float(inc_all), round(abs(prev_change), 2), total_amount, round(abs(sum(signed)), 2)}
    # the cases: budget before and after (SQL, top five by the size of the change)
    for b0, c0 in _sql(url, select(budget, E.next_year_budget_change).join(P, P.id == E.project_id)
                       .where(E.year == YEAR, E.next_year_budget_change.is_not(None))
                       .order_by(func.abs(E.next_year_budget_change).desc(), E.id).limit(5)):
        checked |= {round(b0, 2), yi(b0), round(b0 + c0, 2), yi(b0 + c0)}
    rest = [x for x in unknown if x not in checked]
    assert rest == [], " ".join(map(str, rest))
