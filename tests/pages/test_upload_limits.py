"""The uploader states and enforces our own per-file limit ([limits] max_file_mb), not Streamlit's default."""

from __future__ import annotations

from tests.pages.apptest import make_app


def test_the_uploader_limit_is_ours(fresh_db, tmp_path, monkeypatch):
    at = make_app("upload")
    assert at.get("file_uploader")[0].proto.max_upload_size_mb == 50  # the documented default
    f = tmp_path / "dashboard.toml"
    f.write_text("[limits]\nmax_file_mb = 12.5\n", encoding="utf-8")
    monkeypatch.setenv("DASHBOARD_SETTINGS", str(f))
    at = make_app("upload")
    assert at.get("file_uploader")[0].proto.max_upload_size_mb == 13  # rounded up to whole MB
