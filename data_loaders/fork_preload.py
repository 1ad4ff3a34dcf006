"""What the fork server imports before it forks the children of a threaded caller (isolated._fork_server): the
reader with pandas and python-calamine, imported once, and one change to multiprocessing in that process only.

multiprocessing prepares every child by running the caller's `__main__` again, by path or by name. In the web
server `__main__` is the page script itself (Streamlit installs each script run as `__main__`, with its
`__file__`), so every child would run the whole app before reading a byte. A child here only reads a file with
our own code, so the fork server's children skip that step. This module is imported by the fork server alone;
no other process changes.
"""

from multiprocessing import spawn

from data_loaders import isolated  # noqa: F401 - imported before the fork: what every child uses


def _no_main(*_args) -> None:
    """In place of multiprocessing's re-run of the caller's `__main__` (spawn._fixup_main_from_path / _name)."""


spawn._fixup_main_from_path = _no_main
spawn._fixup_main_from_name = _no_main
