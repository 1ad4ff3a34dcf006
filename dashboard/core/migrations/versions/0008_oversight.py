"""oversight: verified rectification, deadline extensions, satisfaction votes, result classes, peer groups

Revision ID: 0008_oversight
Revises: 0007_import_layouts
Create Date: 2026-12-06 15:50:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0008_oversight'
down_revision = '0007_import_layouts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('satisfaction_votes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('subject_key', sa.String(length=40), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=True),
    sa.Column('satisfied', sa.Integer(), nullable=False),
    sa.Column('basically', sa.Integer(), nullable=False),
    sa.Column('unsatisfied', sa.Integer(), nullable=False),
    sa.Column('created_batch_id', sa.Integer(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('satisfied >= 0 AND basically >= 0 AND unsatisfied >= 0', name='ck_satisfaction_votes_nonneg'),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batches.id'], ),
    sa.ForeignKeyConstraint(['created_batch_id'], ['import_batches.id'], ),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('year', 'subject_key', name='uq_satisfaction_votes_key')
    )
    with op.batch_alter_table('satisfaction_votes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_satisfaction_votes_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_satisfaction_votes_created_batch_id'), ['created_batch_id'], unique=False)
        batch_op.create_index('ix_satisfaction_votes_year_dept', ['year', 'department_id'], unique=False)

    op.create_table('finding_extensions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('finding_id', sa.Integer(), nullable=False),
    sa.Column('old_deadline', sa.Date(), nullable=True),
    sa.Column('new_deadline', sa.Date(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('approved_by', sa.String(length=100), nullable=True),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('recorded_by', sa.String(length=100), nullable=True),
    sa.Column('created_batch_id', sa.Integer(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batches.id'], ),
    sa.ForeignKeyConstraint(['created_batch_id'], ['import_batches.id'], ),
    sa.ForeignKeyConstraint(['finding_id'], ['findings.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('finding_extensions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_finding_extensions_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_finding_extensions_created_batch_id'), ['created_batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_finding_extensions_finding_id'), ['finding_id'], unique=False)

    with op.batch_alter_table('evaluations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('result_class', sa.Enum('整体退出', '系统调整', '局部优化', '继续实施', name='result_class', native_enum=False, create_constraint=True, length=16), nullable=True))
        batch_op.add_column(sa.Column('policy_since', sa.Integer(), nullable=True))

    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('category', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('original_deadline', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('verified_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('verified_by', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('verification_method', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('exclusion', sa.Enum('历史遗留', '客观原因', name='finding_exclusion', native_enum=False, create_constraint=True, length=16), nullable=True))
        batch_op.add_column(sa.Column('exclusion_reason', sa.Text(), nullable=True))

    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.add_column(sa.Column('peer_group', sa.String(length=60), nullable=True))

    # the deadline a finding had before this revision is its original one
    op.execute("UPDATE findings SET original_deadline = deadline")



def downgrade() -> None:
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_column('peer_group')

    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.drop_column('exclusion_reason')
        batch_op.drop_column('exclusion')
        batch_op.drop_column('verification_method')
        batch_op.drop_column('verified_by')
        batch_op.drop_column('verified_on')
        batch_op.drop_column('original_deadline')
        batch_op.drop_column('category')

    with op.batch_alter_table('evaluations', schema=None) as batch_op:
        batch_op.drop_column('policy_since')
        batch_op.drop_column('result_class')

    with op.batch_alter_table('finding_extensions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_finding_extensions_finding_id'))
        batch_op.drop_index(batch_op.f('ix_finding_extensions_created_batch_id'))
        batch_op.drop_index(batch_op.f('ix_finding_extensions_batch_id'))

    op.drop_table('finding_extensions')
    with op.batch_alter_table('satisfaction_votes', schema=None) as batch_op:
        batch_op.drop_index('ix_satisfaction_votes_year_dept')
        batch_op.drop_index(batch_op.f('ix_satisfaction_votes_created_batch_id'))
        batch_op.drop_index(batch_op.f('ix_satisfaction_votes_batch_id'))

    op.drop_table('satisfaction_votes')
