"""Linking rows to departments, units and projects: how names and codes match, which stored row a file row
means, and creating the departments, units and projects that rows name but nobody stored yet.

`Linker` is the half of the import writer (write.Writer) that owns the organisation and project state
of one transaction; it writes through the writer's `upsert` and reports through its `error_rows`.
"""

from __future__ import annotations

import math
import unicodedata

import numpy as np
import pandas as pd
from sqlalchemy import select

from dashboard.core import models as m
from dashboard.core import writes as w
from data_loaders.cells import strip_format
from data_loaders.problems import WARNING, Problem

T = {t.__tablename__: t.__table__ for t in m.DATA_TABLES}
PROJECT_LINK_COLUMNS = ("id", "year", "code")  # enough to link by code; the rest is loaded when needed


def norm_series(series: pd.Series) -> pd.Series:
    """How names are matched: NFKC (full-width → half-width, （一期） = (一期)) and no whitespace; computed
    once per distinct value (department names repeat a lot)."""
    codes, uniques = pd.factorize(series.astype(object), use_na_sentinel=True)
    nfkc = unicodedata.normalize
    normed = [("".join(nfkc("NFKC", str(x)).split()) or None) for x in uniques] + [None]
    return pd.Series(np.array(normed, dtype=object)[codes], index=series.index, dtype=object)


def _code(x) -> str | None:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    if isinstance(x, float) and x.is_integer():
        x = int(x)
    x = str(x)
    if not x.isascii():  # NFKC of ASCII is ASCII itself: only the rest needs normalising
        x = unicodedata.normalize("NFKC", x)
    return x.strip() or None


def code_series(series: pd.Series) -> pd.Series:
    """Codes as trimmed NFKC text (a code typed as a number still matches its text form).

    Vectorised for the usual case (ASCII codes: NFKC leaves them as they are); the rest one by one.
    """
    if series.dtype.kind in "if" or not len(series):
        vals = series.to_numpy(dtype=object, na_value=None)
        return pd.Series([_code(x) for x in vals], index=series.index, dtype=object)
    obj = series.astype(object)
    is_str = obj.map(type).eq(str).to_numpy() if obj.dtype == object else np.ones(len(obj), bool)
    text = pd.Series(obj.where(is_str, None), index=series.index, dtype="str")
    ascii_ = text.str.isascii().fillna(False).to_numpy(dtype=bool)
    stripped = text.str.strip()
    out = stripped.astype(object).where(stripped.notna() & (stripped != ""), None).to_numpy().copy()
    rest = ~ascii_ & series.notna().to_numpy()
    if rest.any():
        out[rest] = [_code(x) for x in obj.to_numpy()[rest]]
    return pd.Series(out, index=series.index, dtype=object)


# Code look-alikes folded when codes are matched (docs/data-formats.md 编码的比较): the hyphens and dashes people
# and systems type for "-" (U+2010 hyphen, U+2011 non-breaking hyphen, U+2012 figure dash, U+2013 en dash, U+2014
# em dash, U+2015 horizontal bar, U+2212 minus, U+FE58/U+FE63/U+FF0D small and full-width hyphens), every space
# (NBSP, ideographic space, thin spaces …: removed) and letter case.
_CODE_DASHES = str.maketrans({ch: "-" for ch in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"})


def fold_code(code: str) -> str:
    """The form two codes are compared in: NFKC, dashes as "-", no whitespace or invisible marks, upper case.
    `dup-001`, `DUP-001`, `DUP‑001` (non-breaking hyphen), `DUP–001` (en dash) and `DUP 001` all fold to `DUP-001`."""
    if code.isascii():
        return "".join(code.split()).upper()
    text = strip_format(unicodedata.normalize("NFKC", code)).translate(_CODE_DASHES)
    return "".join(text.split()).upper()


def as_object(series: pd.Series) -> pd.Series:
    """A column as Python objects with None for missing (pandas 3 strings use NaN)."""
    return series.astype(object).where(series.notna(), None)


class Linker:
    """Departments, units and projects of one import transaction, as frames plus name/code indexes.

    Expects of the subclass: conn, years, full_projects, batch_id, problems, upsert(), error_rows(), label().
    """

    def load_state(self) -> None:
        c = self.conn
        self.depts = w.read_frame(c, select(T["departments"]))
        self.units = w.read_frame(c, select(T["units"]))
        self._index_orgs()
        self._reload_projects()
        self.created_project_ids: set[int] = set()  # projects this transaction created (no stored records yet)

    def _index_orgs(self) -> None:
        d, u = self.depts, self.units
        self.dept_by_name = dict(zip(norm_series(d["name"]), d["id"])) if len(d) else {}
        self.dept_by_code = dict(zip(d["code"], d["id"])) if len(d) else {}
        self.dept_by_code.pop(None, None)
        self.unit_by_name = dict(zip(norm_series(u["name"]), u["id"])) if len(u) else {}
        self.unit_by_code = dict(zip(u["code"], u["id"])) if len(u) else {}
        self.unit_by_code.pop(None, None)
        self.unit_dept = dict(zip(u["id"], u["department_id"])) if len(u) else {}

    def _refresh_orgs(self) -> None:
        self.depts = w.read_frame(self.conn, select(T["departments"]))
        self.units = w.read_frame(self.conn, select(T["units"]))
        self._index_orgs()

    def _index_projects(self) -> None:
        p = self.projects
        # normalised names are computed only when a row has to be linked by name (see link_projects)
        p["_name_n"] = pd.Series([None] * len(p), index=p.index, dtype=object)
        p["_named"] = False
        p["_code_n"] = code_series(p["code"]) if len(p) else pd.Series(dtype=object)

    def _reload_projects(self) -> None:
        """The projects of the set's years: every column when a 项目 table may update them, else what linking needs."""
        p = T["projects"]
        cols = list(p.columns) if self.full_projects else [p.c[c] for c in PROJECT_LINK_COLUMNS]
        self.projects = w.read_frame(self.conn, select(*cols).where(p.c.year.in_(self.years or [-1])))
        self.project_cols = {c.name for c in cols}
        self._index_projects()

    def need_project_columns(self, *names: str) -> pd.DataFrame:
        """Load more columns of the stored projects only when a step needs them (one query)."""
        missing = [n for n in names if n not in self.project_cols]
        if missing:
            p = T["projects"]
            extra = w.read_frame(self.conn, select(p.c.id, *[p.c[n] for n in missing]).where(p.c.year.in_(self.years or [-1])))
            extra = extra.set_index("id")
            ids = self.projects["id"]
            for n in missing:
                loaded = ids.map(extra[n]).astype(object)
                if n in self.projects.columns:  # projects created by this set already carry the value
                    self.projects[n] = as_object(self.projects[n]).where(self.projects[n].notna(), loaded)
                else:
                    self.projects[n] = loaded
                self.project_cols.add(n)
        return self.projects

    def canonical_codes(self, df: pd.DataFrame, codes: pd.Series, stored: dict, what: str, fieldname: str) -> pd.Series:
        """`codes` (code_series of the rows of `df`) with every code that folds (fold_code) to the same form as a
        stored code, or as an earlier row's, written as that one: the stored spelling first (`stored`: {folded code:
        stored spelling}, stored_folds), else the first row's spelling in plain ASCII, else the first row's.
        Each other spelling gets one WARNING naming both, at the first row of each file and sheet that writes it.
        Linking then compares codes as they stand."""
        if not len(codes) or not codes.notna().any():
            return codes
        ids, uniques = pd.factorize(codes.astype(object), use_na_sentinel=True)
        folded = [fold_code(u) for u in uniques]
        if len(set(folded)) == len(folded) and all(stored.get(f, u) == u for f, u in zip(folded, uniques)):
            return codes  # one spelling per code among the rows, and the stored one where there is one
        canonical = dict(stored)
        # factorize keeps the order of first appearance: the earliest row's spelling wins, a plain ASCII one first
        for k in sorted(range(len(uniques)), key=lambda k: not uniques[k].isascii()):
            canonical.setdefault(folded[k], uniques[k])
        spelled = np.array([canonical[f] for f in folded] + [None], dtype=object)
        out = pd.Series(spelled[ids], index=codes.index, dtype=object)
        differs = [k for k in range(len(uniques)) if spelled[k] != uniques[k]]
        if differs:
            said: set = set()
            for idx in df.index[np.isin(ids, differs)].tolist():
                raw, used = codes.at[idx], out.at[idx]
                key = (df.at[idx, "_file"], df.at[idx, "_sheet"], raw)
                if key in said:
                    continue
                said.add(key)
                self.problems.append(Problem(
                    df.at[idx, "_file"], df.at[idx, "_sheet"], int(df.at[idx, "_row"]), self.label(df.at[idx, "_t"], fieldname),
                    f"{what}「{raw}」与「{used}」只是大小写或连字符、空格的写法不同，按同一{what}处理（使用「{used}」）；"
                    "如果它们确是不同的编码，请改用不同的字母或数字", WARNING))
        return out

    @staticmethod
    def stored_folds(stored) -> dict:
        """{folded code: stored spelling} of stored codes (the first spelling of each folded code)."""
        out: dict = {}
        for c in stored:
            if isinstance(c, str) and c:
                out.setdefault(fold_code(c), c)
        return out

    def project_folds(self) -> dict:
        """{folded code: stored spelling} of the projects of the set's years (this transaction's new ones included),
        over those of every other year (one query, once per transaction): a code is spelled as it was before, the
        same year's spelling first."""
        if getattr(self, "_other_year_folds", None) is None:
            p = T["projects"]
            rows = self.conn.execute(select(p.c.code).where(p.c.code.is_not(None), p.c.year.not_in(self.years or [-1]))
                                     .distinct()).scalars().all()
            self._other_year_folds = self.stored_folds(sorted(rows))
        return {**self._other_year_folds, **self.stored_folds(self.projects["_code_n"].dropna().tolist())}

    def project_codes(self, df: pd.DataFrame) -> pd.Series:
        """The rows' project codes as linking compares them (code_series, then canonical_codes)."""
        codes = code_series(df["project_code"])
        if not codes.notna().any():
            return codes
        return self.canonical_codes(df, codes, self.project_folds(), "项目编码", "project_code")

    def org_codes(self, df: pd.DataFrame) -> pd.DataFrame:
        """The rows' 主管部门编码 and 单位编码 as linking compares them (canonical_codes against the stored ones)."""
        df = df.copy()
        for col, frame, what in (("department_code", self.depts, "主管部门编码"), ("unit_code", self.units, "单位编码")):
            if col in df.columns and df[col].notna().any():
                stored = self.stored_folds(frame["code"].tolist() if len(frame) else [])
                df[col] = self.canonical_codes(df, code_series(df[col]), stored, what, col)
        return df

    def _project_names(self) -> pd.DataFrame:
        p = self.need_project_columns("name", "department_id", "unit_id")
        todo = ~p["_named"].astype(bool)
        if todo.any():
            p.loc[todo, "_name_n"] = norm_series(p.loc[todo, "name"])
            p.loc[todo, "_named"] = True
        return p

    def do_units(self, df: pd.DataFrame) -> None:
        df = self.org_codes(df)
        df["_dn"] = norm_series(df["department"])
        df["_un"] = norm_series(df["unit"])
        df["_dc"] = code_series(df["department_code"])
        df["_uc"] = code_series(df["unit_code"])
        # 主管部门 and 单位名称 are required: the reader refused the rows without them
        # one code per department and one department per code, within the set and against stored ones
        bad = np.zeros(len(df), dtype=bool)
        for key, val, fld, what in (("_dn", "_dc", "department_code", "主管部门"), ("_dc", "_dn", "department_code", "主管部门编码"),
                                    ("_un", "_uc", "unit_code", "单位"), ("_uc", "_un", "unit_code", "单位编码")):
            sub = df.loc[df[key].notna() & df[val].notna(), [key, val]]
            firsts = sub.drop_duplicates(key)
            first_val = sub[key].map(dict(zip(firsts[key], firsts[val])))
            clash = sub.index[(sub[val] != first_val).to_numpy()]
            if len(clash):
                mask = df.index.isin(clash)
                for idx in clash:
                    self.problems.append(Problem(df.at[idx, "_file"], df.at[idx, "_sheet"], int(df.at[idx, "_row"]),
                                                 self.label(df.at[idx, "_t"], fld),
                                                 f"{what}「{df.at[idx, key]}」在本次导入中对应了不同的{'编码' if val in ('_dc', '_uc') else '名称'}（前面的行为「{first_val[idx]}」）"))
                bad |= mask
        df = df.loc[~bad]
        df = self._conflicts(df, ["_un"], ["_dn", "unit_kind", "sector", "contact", "phone"], "unit", "单位")
        # departments: by name, else by code (a renamed department keeps its code)
        depts = df.drop_duplicates("_dn")
        dept_id = depts["_dn"].map(self.dept_by_name)
        by_code = depts["_dc"].map(self.dept_by_code)
        dept_id = dept_id.where(dept_id.notna(), by_code)
        # a code already used by another stored department
        clash = dept_id.notna() & by_code.notna() & (by_code != dept_id)
        for idx in depts.index[clash.to_numpy()]:
            self.problems.append(Problem(df.at[idx, "_file"], df.at[idx, "_sheet"], int(df.at[idx, "_row"]),
                                         self.label(df.at[idx, "_t"], "department_code"),
                                         f"主管部门编码「{df.at[idx, '_dc']}」已属于另一个主管部门"))
        own = df.loc[df["_un"] == df["_dn"]].drop_duplicates("_dn").set_index("_dn")
        inc = pd.DataFrame({"id": dept_id.astype("Int64").to_numpy(), "name": depts["department"].to_numpy(),
                            "code": depts["_dc"].to_numpy()})
        inc["_p_code"] = inc["code"].notna().to_numpy()
        inc["_p_name"] = True
        kinds = depts["_dn"].map(own["unit_kind"] if len(own) else {}).to_numpy()
        sectors = depts["_dn"].map(own["sector"] if len(own) else {}).to_numpy()
        inc["kind"] = kinds
        inc["sector"] = sectors
        inc["_p_kind"] = pd.notna(kinds)
        inc["_p_sector"] = pd.notna(sectors) | depts["_dn"].isin(own.index).to_numpy() & depts["_p_sector"].to_numpy(dtype=bool)
        self.upsert("departments", inc, ["code", "name", "kind", "sector"], self.depts, defaults={"kind": "部门"},
                    returning=True)
        self._refresh_orgs()
        # units
        units = df.drop_duplicates("_un").copy()
        uid = units["_un"].map(self.unit_by_name)
        uid = uid.where(uid.notna(), units["_uc"].map(self.unit_by_code))
        inc = pd.DataFrame({
            "id": uid.astype("Int64").to_numpy(),
            "department_id": units["_dn"].map(self.dept_by_name).to_numpy(),
            "code": units["_uc"].to_numpy(), "name": units["unit"].to_numpy(),
            "kind": units["unit_kind"].to_numpy(), "sector": units["sector"].to_numpy(),
            "contact": units["contact"].to_numpy(), "phone": units["phone"].to_numpy(),
        })
        inc["_p_code"] = inc["code"].notna().to_numpy()
        inc["_p_kind"] = inc["kind"].notna().to_numpy()
        inc["_p_sector"] = units["_p_sector"].to_numpy(dtype=bool)
        # 联系人 / 联系电话 (issue 26): a file without the column keeps the stored contact, a blank cell clears it
        inc["_p_contact"] = units["_p_contact"].to_numpy(dtype=bool)
        inc["_p_phone"] = units["_p_phone"].to_numpy(dtype=bool)
        self.upsert("units", inc, ["department_id", "code", "name", "kind", "sector", "contact", "phone"], self.units,
                    defaults={"kind": "部门"})
        self._refresh_orgs()

    @staticmethod
    def _new_codes(df: pd.DataFrame, new: pd.DataFrame, key: str, code_col: str, taken: dict) -> np.ndarray:
        """Codes for departments / units created from rows like "219-某某镇人民政府" (the reader splits the code off).

        A code is used only when the rows agree on it and nobody has it yet; otherwise the new row has none.
        """
        out = np.full(len(new), None, dtype=object)
        if code_col not in df.columns:
            return out
        pairs = pd.DataFrame({"k": df[key], "c": code_series(df[code_col])}).dropna().drop_duplicates()
        single = pairs.groupby("k")["c"].agg(lambda c: c.iloc[0] if len(c) == 1 else None)
        codes = new[key].map(single).to_numpy(dtype=object)
        seen: set = set()
        for i, c in enumerate(codes):
            if isinstance(c, str) and c not in taken and c not in seen and (pairs["c"] == c).sum() == 1:
                out[i] = c
                seen.add(c)
        return out

    def resolve_orgs(self, df: pd.DataFrame) -> pd.DataFrame:
        """Add _dept_id / _unit_id to rows of any kind, creating unknown departments and units."""
        df = self.org_codes(df)
        df["_dn"] = norm_series(df["department"])
        df["_un"] = norm_series(df["unit"])
        # every row names one or both (schema.ONE_OF): the reader refused the rows naming neither
        # unknown departments named by the rows
        new_d = df.loc[df["_dn"].notna() & ~df["_dn"].isin(list(self.dept_by_name)), ["_dn", "department"]]
        new_d = new_d.drop_duplicates("_dn")
        if len(new_d):
            inc = pd.DataFrame({"id": pd.array([pd.NA] * len(new_d), dtype="Int64"), "name": new_d["department"].to_numpy()})
            inc["code"] = self._new_codes(df, new_d, "_dn", "department_code", self.dept_by_code)
            self.upsert("departments", inc, ["name", "code"], self.depts, defaults={"kind": "部门"})
            self._refresh_orgs()
        df["_dept_id"] = df["_dn"].map(self.dept_by_name).astype("Int64")
        # unknown units: created under the department their rows name
        unknown = df["_un"].notna() & ~df["_un"].isin(list(self.unit_by_name))
        no_dept = unknown & df["_dept_id"].isna()
        self.error_rows(df, no_dept, "unit",
                        "预算单位不在部门单位表中，无法确定其主管部门：请填写主管部门，或先导入部门单位表")
        df = df.loc[~no_dept]
        unknown = df["_un"].notna() & ~df["_un"].isin(list(self.unit_by_name))
        new_u = df.loc[unknown, ["_un", "unit", "_dept_id"]].drop_duplicates("_un")
        if len(new_u):
            inc = pd.DataFrame({"id": pd.array([pd.NA] * len(new_u), dtype="Int64"), "name": new_u["unit"].to_numpy(),
                                "department_id": new_u["_dept_id"].to_numpy()})
            inc["code"] = self._new_codes(df, new_u, "_un", "unit_code", self.unit_by_code)
            self.upsert("units", inc, ["name", "department_id", "code"], self.units, defaults={"kind": "部门"})
            self._refresh_orgs()
        df["_unit_id"] = df["_un"].map(self.unit_by_name).astype("Int64")
        # through the unit names (few distinct values): mapping a nullable-integer column is slow in pandas
        dept_of_unit = {n: self.unit_dept.get(i) for n, i in self.unit_by_name.items()}
        unit_dept = df["_un"].map(dept_of_unit).astype("Int64")
        clash = (df["_dept_id"].notna() & unit_dept.notna() & (df["_dept_id"] != unit_dept)).fillna(False).to_numpy(dtype=bool)
        if clash.any():
            names = dict(zip(self.depts["id"], self.depts["name"]))
            for idx in df.index[clash]:
                self.problems.append(Problem(
                    df.at[idx, "_file"], df.at[idx, "_sheet"], int(df.at[idx, "_row"]), self.label(df.at[idx, "_t"], "unit"),
                    f"预算单位「{df.at[idx, 'unit']}」属于主管部门「{names.get(unit_dept[idx])}」，与本行的主管部门「{df.at[idx, 'department']}」不符"))
            df = df.loc[~clash]
            unit_dept = unit_dept[~clash]
        df["_dept_id"] = df["_dept_id"].where(df["_dept_id"].notna(), unit_dept).astype("Int64")
        return df

    def link_projects(self, df: pd.DataFrame) -> pd.Series:
        """Project id of each row by (年度, 项目编码), else by (年度, 单位 or 部门, 项目名称); <NA> when unknown."""
        P = self.projects
        res = pd.Series(pd.NA, index=df.index, dtype="Int64")
        if "_name" not in df.columns:
            df["_name"] = None
        if not len(P) or not len(df):
            df["_name"] = norm_series(df["project_name"])
            return res
        code = df["_code"]
        has_code = code.notna()
        if has_code.any():
            pc = P.loc[P["_code_n"].notna(), ["year", "_code_n", "id"]]
            left = df.loc[has_code, ["year", "_code"]].reset_index()
            got = left.merge(pc, how="left", left_on=["year", "_code"], right_on=["year", "_code_n"]).set_index("index")["id"]
            res.loc[got.index] = got.astype("Int64")
        # by name: a row with a code not found may still match a stored project that has no code
        need = res.isna()
        if need.any():
            df.loc[need, "_name"] = norm_series(df.loc[need, "project_name"])
            P = self._project_names()
        want = res.isna() & df["_name"].notna()
        if want.any():
            for by, col in (("unit_id", "_unit_id"), ("department_id", "_dept_id")):
                want = res.isna() & df["_name"].notna() & df[col].notna()
                if not want.any():
                    continue
                for coded in (True, False):
                    rows = want & (has_code if coded else ~has_code)
                    if not rows.any():
                        continue
                    cand = P.loc[P["_code_n"].isna()] if coded else P
                    cand = cand.loc[cand[by].notna(), ["year", by, "_name_n", "id"]].copy()
                    cand[by] = cand[by].astype("int64")
                    dup = cand.duplicated(["year", by, "_name_n"], keep=False)
                    ambiguous = cand.loc[dup].drop_duplicates(["year", by, "_name_n"])
                    cand = cand.loc[~dup]
                    left = df.loc[rows, ["year", col, "_name"]].reset_index()
                    left[col] = left[col].astype("int64")
                    got = left.merge(cand, how="left", left_on=["year", col, "_name"],
                                     right_on=["year", by, "_name_n"]).set_index("index")["id"]
                    res.loc[got.index] = res.loc[got.index].where(res.loc[got.index].notna(), got.astype("Int64"))
                    if len(ambiguous) and by == "department_id":
                        amb = left.merge(ambiguous, how="inner", left_on=["year", col, "_name"],
                                         right_on=["year", by, "_name_n"])["index"]
                        mask = df.index.isin(amb) & res.isna().to_numpy()
                        self.error_rows(df, mask, "project_name",
                                        "该部门下有多个同名项目，无法确定是哪一个：请填写项目编码")
                        res.loc[mask] = -1  # marked: neither linked nor created
        return res

    def project_keys(self, df: pd.DataFrame, pid: pd.Series) -> pd.Series:
        """A provisional key per row: the linked project id, else a text key of the project the row would create."""
        key = pd.Series(pid.astype(object).to_numpy(), index=df.index, dtype=object)
        todo = pid.isna().to_numpy()
        if not todo.any():
            return key
        sub = df.loc[todo]
        years = sub["year"].to_numpy()
        codes = sub["_code"].to_numpy(dtype=object)
        coded = pd.notna(codes)
        new_key = np.empty(len(sub), dtype=object)
        # built in plain Python: pandas string concatenation of 100,000 rows costs ~10× more
        new_key[coded] = [f"c|{y}|{c}" for y, c in zip(years[coded], codes[coded])]
        if not coded.all():
            names = sub["_name"].to_numpy(dtype=object)
            depts = sub["_dept_id"].to_numpy(dtype=object)
            named = np.array([f"n|{y}|{d}|{n}" for y, d, n in zip(years, depts, names)], dtype=object)
            new_key[~coded] = named[~coded]
            # a code-less row naming a project that a coded row of this set creates belongs to that project
            coded_new = coded & pd.notna(names)
            alias = dict(zip(named[coded_new], new_key[coded_new]))
            if alias:
                new_key[~coded] = [alias.get(k, k) for k in named[~coded]]
        key.loc[todo] = new_key
        return key

    def prepare_project_rows(self, df: pd.DataFrame) -> pd.DataFrame:
        df = self.resolve_orgs(df)
        df["_code"] = self.project_codes(df)
        df["_name"] = None  # filled by link_projects for the rows that need it
        return df

    def create_projects(self, df: pd.DataFrame, pid: pd.Series, key: pd.Series, attrs: dict[str, pd.Series]) -> pd.Series:
        """Insert the projects that rows name but nobody stored yet; returns pid with the new ids filled in."""
        todo = pid.isna()
        if not todo.any():
            return pid
        rows = df.loc[todo]
        first = rows.assign(_key=key[todo]).drop_duplicates("_key")
        no_name = first["project_name"].isna().to_numpy()
        if no_name.any():
            bad_keys = set(first.loc[no_name, "_key"])
            mask = key.isin(bad_keys).to_numpy() & todo.to_numpy()
            self.error_rows(df, mask, "project_code",
                            "项目编码未找到对应的项目，且本行没有项目名称，无法新建项目：请核对编码或填写项目名称")
            first = first.loc[~no_name]
        if not len(first):
            return pid
        inc = pd.DataFrame({
            "id": pd.array([pd.NA] * len(first), dtype="Int64"),
            "year": first["year"].to_numpy(), "code": first["_code"].to_numpy(),
            "name": first["project_name"].to_numpy(), "department_id": first["_dept_id"].astype(object).to_numpy(),
            "unit_id": first["_unit_id"].astype(object).to_numpy(),
        })
        for col, series in attrs.items():
            inc[col] = series.loc[first.index].to_numpy()
        cols = list(inc.columns.drop("id"))
        ids = self.upsert("projects", inc, cols, self.projects,
                          defaults={"category": "项目支出", "is_key": False}, returning=True)
        new = inc.drop(columns="id").assign(id=ids)
        for col, value in (("category", "项目支出"), ("is_key", False)):
            if col not in new.columns:
                new[col] = value
        new["_name_n"] = first["_name"].to_numpy()
        new["_named"] = True
        new["_code_n"] = first["_code"].to_numpy()
        new["created_batch_id"] = self.batch_id
        new["batch_id"] = self.batch_id
        self.projects = pd.concat([self.projects, new], ignore_index=True)
        self.projects["year"] = self.projects["year"].astype("int64")
        self.created_project_ids.update(ids)
        id_of = dict(zip(first["_key"], ids))
        filled = key[todo].map(id_of)
        pid = pid.copy()
        pid.loc[todo] = filled.astype("Int64")
        return pid

    def link_or_create(self, df: pd.DataFrame, attrs: dict | None = None) -> tuple[pd.DataFrame, pd.Series]:
        pid = self.link_projects(df)
        keep = (pid.fillna(0) >= 0).to_numpy()
        df, pid = df.loc[keep], pid.loc[keep]
        key = self.project_keys(df, pid)
        pid = self.create_projects(df, pid, key, {k: s.loc[df.index] for k, s in (attrs or {}).items()})
        ok = pid.notna().to_numpy()
        return df.loc[ok], pid.loc[ok]
