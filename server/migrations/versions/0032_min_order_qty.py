"""Minimum order quantity (最小起订量) of an item, and on purchase plan lines whether it raised the proposal

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-04 21:00:00
"""

import sqlalchemy as sa
from alembic import op

import server.base

revision = '0032'
down_revision = '0031'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('min_order_qty', server.base.FixedDecimal(scale=4, precision=20), nullable=True))
    with op.batch_alter_table('purchase_plan_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('min_order_qty', server.base.FixedDecimal(scale=4, precision=20), nullable=True))
        batch_op.add_column(sa.Column('raised_to_moq', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('purchase_plan_lines', schema=None) as batch_op:
        batch_op.drop_column('raised_to_moq')
        batch_op.drop_column('min_order_qty')
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_column('min_order_qty')
