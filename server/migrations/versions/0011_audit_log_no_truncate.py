"""The audit log and its chain head refuse TRUNCATE (PostgreSQL; SQLite has no TRUNCATE, and its DELETE without a WHERE
still fires the row triggers that refuse it)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 22:00:00
"""

from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

# TRUNCATE skips the row triggers of 0001 and 0009; a statement trigger is what it fires. It fires for tables emptied
# by TRUNCATE ... CASCADE from a table they reference (users) as well.
_TABLES = ("audit_log", "audit_chain")


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE FUNCTION cangku_audit_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '% cannot be truncated: the audit log is append-only', TG_TABLE_NAME;
        END $$;
        """
    )
    for table in _TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION cangku_audit_no_truncate()"
        )


def downgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    for table in _TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    op.execute("DROP FUNCTION IF EXISTS cangku_audit_no_truncate()")
