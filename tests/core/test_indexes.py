"""Issue 28, item 4: no index is kept that another index, a unique constraint or the primary key already covers
(its columns the other's leading columns): every insert of an import pays for each index. Checked on the
migrated database of both engines, table by table, as the database itself reports it."""

from __future__ import annotations

import sqlalchemy as sa

from dashboard.core import db


def _redundant(keys: list[tuple[str, tuple[str, ...], bool]]) -> list[str]:
    """Indexes whose columns lead another key's: a unique index is redundant only beside a key of the same columns."""
    out = []
    for name, cols, unique in keys:
        if name.startswith(("pk:", "uq:")):
            continue
        for other, ocols, _ounique in keys:
            if other == name or ocols[:len(cols)] != cols or len(ocols) < len(cols):
                continue
            if unique and len(ocols) > len(cols):  # a unique index on fewer columns enforces more
                continue
            out.append(f"{name} {cols} is covered by {other} {ocols}")
    return out


def test_the_rule_by_hand():
    keys = [("ix_a", ("year", "dept"), False), ("ix_b", ("year", "dept", "name"), False), ("pk:t", ("id",), True),
            ("ix_id", ("id",), False), ("uq_code", ("code",), True), ("uq:t", ("code", "year"), True)]
    assert _redundant(keys) == ["ix_a ('year', 'dept') is covered by ix_b ('year', 'dept', 'name')",
                                "ix_id ('id',) is covered by pk:t ('id',)"]


def test_no_index_is_covered_by_another_on_either_engine(db_url):
    insp = sa.inspect(db.get_engine(db_url))
    found, tables = [], 0
    for table in insp.get_table_names():
        if table == "alembic_version":
            continue
        tables += 1
        keys = [(ix["name"], tuple(ix["column_names"]), bool(ix["unique"])) for ix in insp.get_indexes(table)
                if None not in ix["column_names"]  # an expression index is left out
                and not ix.get("duplicates_constraint")]  # PostgreSQL: a unique constraint's own index
        pk = insp.get_pk_constraint(table)["constrained_columns"]
        if pk:
            keys.append((f"pk:{table}", tuple(pk), True))
        keys += [(f"uq:{u['name']}", tuple(u["column_names"]), True) for u in insp.get_unique_constraints(table)]
        found += _redundant(keys)
    assert tables >= 10
    assert found == []
