"""E-commerce orders: the shop and its order id on a sales order

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-04 18:00:00
"""

import sqlalchemy as sa
from alembic import op

import server.base

revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sales_orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shop', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('shop_order_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('shop_ordered_at', server.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('shop_digest', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_sales_orders_shop_shop_order_id'), ['shop', 'shop_order_id'])


def downgrade() -> None:
    with op.batch_alter_table('sales_orders', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_sales_orders_shop_shop_order_id'), type_='unique')
        batch_op.drop_column('shop_digest')
        batch_op.drop_column('shop_ordered_at')
        batch_op.drop_column('shop_order_id')
        batch_op.drop_column('shop')
