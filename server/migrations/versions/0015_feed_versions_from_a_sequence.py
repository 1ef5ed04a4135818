"""The change feed's versions on PostgreSQL come from a sequence, not from a row every writer locks

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 22:00:00
"""

from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite has one writer at a time: its clock row stays
    op.execute("CREATE SEQUENCE sync_version AS bigint")
    # On from where the clock stood: versions given out before stay behind every new one.
    op.execute(
        "SELECT setval('sync_version', GREATEST(1, COALESCE((SELECT version FROM sync_clock WHERE id = 1), 0),"
        " COALESCE((SELECT max(version) FROM sync_changes), 0)),"
        " COALESCE((SELECT version FROM sync_clock WHERE id = 1), 0) > 0 OR EXISTS (SELECT 1 FROM sync_changes))"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("UPDATE sync_clock SET version = GREATEST(version, (SELECT last_value FROM sync_version)) WHERE id = 1")
    op.execute("DROP SEQUENCE sync_version")
