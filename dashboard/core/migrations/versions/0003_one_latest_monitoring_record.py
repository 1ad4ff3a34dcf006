"""one latest monitoring record per project, enforced by a partial unique index

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 21:00:00

Databases written by two concurrent imports before this revision may hold projects with two records
flagged latest; the flags are recomputed from the dates first (the latest as_of wins), then the index
makes a second flag impossible.
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

_NEWEST = "(SELECT MAX(later.as_of) FROM monitoring AS later WHERE later.project_id = monitoring.project_id)"


def upgrade() -> None:
    op.execute(f"UPDATE monitoring SET is_latest = false WHERE is_latest AND as_of <> {_NEWEST}")
    op.execute(f"UPDATE monitoring SET is_latest = true WHERE NOT is_latest AND as_of = {_NEWEST}")
    op.create_index('uq_monitoring_one_latest', 'monitoring', ['project_id'], unique=True,
                    sqlite_where=sa.text('is_latest'), postgresql_where=sa.text('is_latest'))


def downgrade() -> None:
    op.drop_index('uq_monitoring_one_latest', table_name='monitoring')
