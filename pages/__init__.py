"""The page scripts: Streamlit runs each one through st.Page (dashboard/registry.py); never imported."""
