"""A document's history reads the audit entries recorded on it: the log indexed by target

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 12:00:00
"""

from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Not in a batch: on SQLite that would copy the table, and the append-only triggers of 0001 and 0009 with it.
    op.create_index('ix_audit_log_target', 'audit_log', ['target_type', 'target_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_audit_log_target', table_name='audit_log')
