"""saved import layouts (导入版式)

Revision ID: 0007_import_layouts
Revises: 0006_department_wide
Create Date: 2026-12-06 13:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0007_import_layouts'
down_revision = '0006_department_wide'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'import_layouts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=60), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('columns', sa.JSON(), nullable=False),
        sa.Column('created_by', sa.String(length=100), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('name'),
    )


def downgrade() -> None:
    op.drop_table('import_layouts')
