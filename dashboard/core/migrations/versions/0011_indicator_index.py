"""drop ix_indicators_project_id: uq_indicators_key (project_id, stage, indicator_key) leads with the same column

Revision ID: 0011_indicator_index
Revises: 0010_rounds_questions
Create Date: 2026-12-06 21:30:00

Every lookup by project_id (the project card's indicators, undo, the importer's upsert) is served by the unique
key's index, so the single-column one only cost every indicator insert a second B-tree write.
"""
from alembic import op

revision = '0011_indicator_index'
down_revision = '0010_rounds_questions'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_indicators_project_id', table_name='indicators')


def downgrade() -> None:
    op.create_index('ix_indicators_project_id', 'indicators', ['project_id'], unique=False)
