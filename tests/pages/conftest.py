"""Fixtures of the page tests: the hand-made fixture database (tests/pages/fixture_db.py) and the app pointed at it."""

from __future__ import annotations

import pytest
import streamlit as st

from tests.pages import fixture_db
from tests.pages.apptest import ROOT, make_app


@pytest.fixture(scope="session")
def fixture_url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('pages') / 'fixture.db'}"
    ids = fixture_db.build(url)
    return url, ids


@pytest.fixture
def ids(fixture_url):
    return fixture_url[1]


@pytest.fixture
def app_env(fixture_url, monkeypatch):
    """Point the app at the fixture database, judge overdue on a fixed day, start with empty caches."""
    url, _ = fixture_url
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DASHBOARD_TODAY", fixture_db.TODAY)
    # a path with no file: the default rules, whatever dashboard.toml the working directory holds
    monkeypatch.setenv("DASHBOARD_SETTINGS", str(ROOT / "tests" / "pages" / "no-settings.toml"))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield url
    st.cache_data.clear()


SECRET = "x" * 48  # the session secret of password mode in the page tests


@pytest.fixture
def password_mode(app_env, tmp_path, monkeypatch):
    """The app in password mode ([auth] mode = "password" in a settings file of its own)."""
    f = tmp_path / "dashboard.toml"
    f.write_text(f'[auth]\nmode = "password"\nsecret = "{SECRET}"\n', encoding="utf-8")
    monkeypatch.setenv("DASHBOARD_SETTINGS", str(f))
    return app_env


@pytest.fixture
def fresh_db(tmp_path, monkeypatch):
    """Uploads write: give each test its own copy of the fixture database."""
    url = f"sqlite:///{tmp_path / 'upload.db'}"
    fixture_db.build(url)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DASHBOARD_TODAY", fixture_db.TODAY)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield url
    st.cache_data.clear()


@pytest.fixture
def app(app_env):
    return make_app
