"""Opening receivables and payables: invoices and bills of kind opening carry no order

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 20:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('bills', schema=None) as batch_op:
        batch_op.alter_column('po_id', existing_type=sa.Integer(), nullable=True)
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.alter_column('so_id', existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM invoices WHERE so_id IS NULL")
    op.execute("DELETE FROM bills WHERE po_id IS NULL")
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.alter_column('so_id', existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('bills', schema=None) as batch_op:
        batch_op.alter_column('po_id', existing_type=sa.Integer(), nullable=False)
