"""The rule tests/conftest.py applies while collecting: a test that drives Chromium is a browser test, so that
`make test` runs it in its browser run, one test at a time; one left unmarked is marked there (checked here by hand)."""

from tests.conftest import drives_chromium_unmarked


class _Item:
    def __init__(self, fixtures: list[str], marked: bool):
        self.fixturenames, self._marked = fixtures, marked

    def get_closest_marker(self, name: str):
        return object() if self._marked and name == "browser" else None


def test_a_test_driving_chromium_must_be_marked_browser():
    # a test's fixture names are the whole closure: `page` brings `browser`
    assert drives_chromium_unmarked(_Item(["page", "browser", "db_url"], marked=False))
    assert drives_chromium_unmarked(_Item(["phone", "browser"], marked=False))
    assert not drives_chromium_unmarked(_Item(["page", "browser"], marked=True))
    assert not drives_chromium_unmarked(_Item(["db_url", "tmp_path"], marked=False))
    assert not drives_chromium_unmarked(_Item(["page", "sqlite_url"], marked=False))  # "page" as a parameter
