"""Reusable Streamlit UI pieces of the dashboard: filters, KPI cards, charts, formatting, export, cached data."""
