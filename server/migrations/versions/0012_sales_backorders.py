"""Shipping short: a sales order's backorder (the order it delivers the rest of), and per line what went to a
backorder or was cancelled when the order shipped

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 09:00:00
"""

import sqlalchemy as sa
from alembic import op

import server.base

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sales_orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('backorder_of', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_sales_orders_backorder_of'), ['backorder_of'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_sales_orders_backorder_of_sales_orders'), 'sales_orders', ['backorder_of'], ['id'])

    with op.batch_alter_table('sales_order_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('backordered_qty', server.base.FixedDecimal(scale=4, precision=20), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('cancelled_qty', server.base.FixedDecimal(scale=4, precision=20), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('sales_order_lines', schema=None) as batch_op:
        batch_op.drop_column('cancelled_qty')
        batch_op.drop_column('backordered_qty')

    with op.batch_alter_table('sales_orders', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_sales_orders_backorder_of_sales_orders'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_sales_orders_backorder_of'))
        batch_op.drop_column('backorder_of')
