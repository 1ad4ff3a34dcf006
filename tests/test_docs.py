"""Docs that tests keep honest: every rule setting and every canonical column is documented."""

import dataclasses
from pathlib import Path

import pytest

from dashboard.settings import Rules

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", [f.name for f in dataclasses.fields(Rules)])
def test_every_rule_setting_is_documented(name):
    assert f"`{name}`" in (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")


def test_readme_shows_the_two_commands_first():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert text.index("make run") < text.index("make test") < text.index("## ")


def test_every_canonical_column_is_documented():
    from data_loaders.schema import TABLES

    doc = ROOT / "docs" / "data-formats.md"
    if not doc.exists():
        pytest.fail("docs/data-formats.md is missing")
    text = doc.read_text(encoding="utf-8")
    missing = [f.label for t in TABLES.values() for f in t.fields if f.label not in text]
    assert not missing
