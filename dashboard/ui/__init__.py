"""Reusable Streamlit UI pieces of the dashboard: filters, KPI cards, charts, tables, export, cached data.

This package is the one door the pages use (tests/test_layers.py): besides its own modules it hands them the
vocabulary, the number formats and the account and audit operations, so that a page imports `dashboard.ui`
and nothing else of the project.
"""

from dashboard.core import accounts, audit, vocab
from dashboard.present import fmt

__all__ = ["accounts", "audit", "fmt", "vocab"]
