"""An ORM session in one transaction, for tests that build fixtures with model objects (the app itself writes
through dashboard.core.writes and reads through SQLAlchemy Core)."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy.orm import Session

from dashboard.core import db


@contextmanager
def session_scope(url: str):
    """A session in one transaction: committed on success, rolled back on any exception."""
    session = Session(db.get_engine(url), expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
