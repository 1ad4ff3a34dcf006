"""Page access is derived from the one permission table (dashboard.core.accounts.PERMISSIONS): an account sees a
page exactly when the operation behind it would let the account through — never a page that then refuses it."""

from __future__ import annotations

import uuid

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import registry
from dashboard.core import accounts
from dashboard.core.settings import load_settings
from dashboard.core.vocab import ROLES
from dashboard.ui import auth, common
from tests.pages.apptest import APP

PW = "a good password 1"
OP = accounts.operator("tests")


def _allowed(actor: accounts.Actor, permission: str) -> bool:
    try:
        accounts.require(actor, permission)
    except accounts.Forbidden:
        return False
    return True


@pytest.mark.parametrize("limited", [(), ("区教育局",)], ids=["all departments", "one department"])
@pytest.mark.parametrize("role", ROLES)
def test_the_pages_shown_are_the_operations_allowed(role, limited):
    actor = accounts.Actor("x", role, limited)
    shown = {p.key for pages in registry.sections(actor).values() for p in pages}
    assert shown == {p.key for p in registry.PAGES if _allowed(actor, p.permission)}
    assert "overview" in shown  # every account reads
    # the writing pages by hand: upload for unlimited staff and admins, accounts for unlimited admins
    assert ("upload" in shown) == (role in ("admin", "staff") and not limited)
    assert ("users" in shown) == (role == "admin" and not limited)


def test_every_page_names_a_permission_of_the_table():
    assert {p.permission for p in registry.PAGES} <= set(accounts.PERMISSIONS)


def test_a_department_limited_staff_account_is_shown_no_upload_page(password_mode):
    url = password_mode
    name = f"staff-{uuid.uuid4().hex[:6]}"
    accounts.add_user(url, OP, name, "staff", PW, ("区教育局",))
    token = accounts.login(url, load_settings().auth, name, PW).token
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state[auth.TOKEN_KEY] = token
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    pages = at.session_state[common.PAGES_KEY]
    hidden = {key for key, page in pages.items() if page.visibility == "hidden"}
    assert hidden == {"upload", "audit", "users"}
    # the same account unlimited is shown the upload page
    other = f"staff-{uuid.uuid4().hex[:6]}"
    accounts.add_user(url, OP, other, "staff", PW)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state[auth.TOKEN_KEY] = accounts.login(url, load_settings().auth, other, PW).token
    at.run()
    pages = at.session_state[common.PAGES_KEY]
    assert {key for key, page in pages.items() if page.visibility == "hidden"} == {"audit", "users"}
