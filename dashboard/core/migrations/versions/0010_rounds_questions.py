"""collection rounds, the 询问台账, what a batch changed, unit contacts; one redundant index dropped

Revision ID: 0010_rounds_questions
Revises: 0009_audit_chain
Create Date: 2026-12-06 18:24:07

`collection_rounds`: a 报送轮次 (table kind + cut-off + due date) opened by staff or by the first import of it.
`inquiries`: deputies' and committees' questions to departments, their answers and ratings (imported or entered).
`import_batches.changes`: what the batch changed against the state before it. `units.contact` / `units.phone`: who
to call when a unit has not reported. `ix_projects_year_dept` is dropped: `ix_projects_year_dept_name` starts with
the same two columns and serves every query the shorter one did.
"""
import sqlalchemy as sa
from alembic import op

revision = '0010_rounds_questions'
down_revision = '0009_audit_chain'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('collection_rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=True),
    sa.Column('round_key', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('opened_by', sa.String(length=100), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('round_key')
    )
    op.create_table('inquiries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('project_id', sa.Integer(), nullable=True),
    sa.Column('inquiry_key', sa.String(length=40), nullable=False),
    sa.Column('asker', sa.String(length=100), nullable=True),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('asked_on', sa.Date(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_on', sa.Date(), nullable=True),
    sa.Column('rating', sa.Enum('满意', '基本满意', '不满意', name='inquiry_rating', native_enum=False, create_constraint=True, length=16), nullable=True),
    sa.Column('created_batch_id', sa.Integer(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batches.id'], ),
    sa.ForeignKeyConstraint(['created_batch_id'], ['import_batches.id'], ),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], ),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('year', 'inquiry_key', name='uq_inquiries_key')
    )
    with op.batch_alter_table('inquiries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inquiries_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inquiries_created_batch_id'), ['created_batch_id'], unique=False)
        batch_op.create_index('ix_inquiries_year_dept', ['year', 'department_id'], unique=False)

    # plain ADD COLUMN / DROP INDEX: no table copy on SQLite
    op.add_column('import_batches', sa.Column('changes', sa.JSON(), nullable=True))
    op.drop_index('ix_projects_year_dept', table_name='projects')
    op.add_column('units', sa.Column('contact', sa.String(length=100), nullable=True))
    op.add_column('units', sa.Column('phone', sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_column('phone')
        batch_op.drop_column('contact')

    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_projects_year_dept'), ['year', 'department_id'], unique=False)

    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.drop_column('changes')

    with op.batch_alter_table('inquiries', schema=None) as batch_op:
        batch_op.drop_index('ix_inquiries_year_dept')
        batch_op.drop_index(batch_op.f('ix_inquiries_created_batch_id'))
        batch_op.drop_index(batch_op.f('ix_inquiries_batch_id'))

    op.drop_table('inquiries')
    op.drop_table('collection_rounds')
