"""The bottom layer: settings, vocabulary, schema, database, the one write path, the rules, accounts and
the audit trail. Imports nothing else of the project and never Streamlit."""
