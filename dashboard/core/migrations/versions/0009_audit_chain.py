"""audit chain: each audit_log entry carries the hash of the one before it; sessions record when last used;
accounts keep their own view (preferences)

Revision ID: 0009_audit_chain
Revises: 0008_oversight
Create Date: 2026-12-06 16:10:00

`audit_log.chain` is "<algorithm>:<hex>" = hash(previous entry's chain + the entry's content) (dashboard.core.audit);
meta 'audit_chain' holds the newest entry's chain, so an entry removed at the end is noticed too. Entries written
before this revision are chained here, in id order, with SHA-256 (the append-only triggers are lifted for that one
UPDATE and put back).
"""
import sqlalchemy as sa
from alembic import context, op

revision = '0009_audit_chain'
down_revision = '0008_oversight'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ADD COLUMN (no batch copy on SQLite, which would drop the append-only triggers)
    op.add_column('audit_log', sa.Column('chain', sa.String(length=80), nullable=True))
    op.add_column('auth_sessions', sa.Column('last_seen_at', sa.DateTime(), nullable=True))
    op.add_column('users', sa.Column('preferences', sa.JSON(), nullable=True))
    head = ''
    if not context.is_offline_mode():
        head = _chain_existing()
    meta = sa.table('meta', sa.column('key', sa.String), sa.column('value', sa.String))
    op.execute(meta.insert().values(key='audit_chain', value=head))


def _chain_existing() -> str:
    from dashboard.core.audit import chain_hash  # lazy: the one definition of an entry's hash, when it runs

    bind = op.get_bind()
    log = sa.table('audit_log', sa.column('id', sa.Integer), sa.column('time', sa.DateTime),
                   sa.column('user', sa.String), sa.column('role', sa.String), sa.column('action', sa.String),
                   sa.column('detail', sa.JSON), sa.column('chain', sa.String))
    rows = bind.execute(sa.select(log).order_by(log.c.id)).mappings().all()
    if not rows:
        return ''
    dialect = bind.dialect.name
    if dialect == 'sqlite':
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    elif dialect == 'postgresql':
        op.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
    previous = ''
    for r in rows:
        previous = chain_hash(previous, r, 'sha256')
        bind.execute(sa.update(log).where(log.c.id == r['id']).values(chain=previous))
    if dialect == 'sqlite':
        op.execute("CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
                   "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END")
    elif dialect == 'postgresql':
        op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
    return previous


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('preferences')
    with op.batch_alter_table('auth_sessions', schema=None) as batch_op:
        batch_op.drop_column('last_seen_at')
    op.execute("DELETE FROM meta WHERE key = 'audit_chain'")
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_column('chain')
