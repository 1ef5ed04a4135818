"""Units and discounts on documents: a line counts in the item's unit or a pack of it, with its own and its document's
discount; who confirmed a sales order selling below cost

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05 10:00:00
"""

import sqlalchemy as sa
from alembic import op

import server.base

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

ORDER_LINES = ('quote_lines', 'purchase_order_lines', 'sales_order_lines')
PRICED_LINES = ('bill_lines', 'invoice_lines')
HEADERS = ('quotes', 'purchase_orders', 'sales_orders')


def _percent(name: str) -> sa.Column[object]:
    return sa.Column(name, server.base.FixedDecimal(scale=2, precision=20), nullable=False, server_default='0')


def _unit_columns() -> list[sa.Column[object]]:
    return [
        sa.Column('uom', sa.String(length=32), nullable=False, server_default=''),
        sa.Column('uom_factor', server.base.FixedDecimal(scale=server.base.QTY_SCALE, precision=20), nullable=False, server_default='1'),
    ]


def upgrade() -> None:
    for table in ORDER_LINES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in (*_unit_columns(), _percent('discount'), _percent('doc_discount')):
                batch_op.add_column(column)
    for table in PRICED_LINES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in _unit_columns():
                batch_op.add_column(column)
    for table in HEADERS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(_percent('discount'))
    with op.batch_alter_table('sales_orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('below_cost_by', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_sales_orders_below_cost_by_users'), 'users', ['below_cost_by'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('sales_orders', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_sales_orders_below_cost_by_users'), type_='foreignkey')
        batch_op.drop_column('below_cost_by')
    for table in HEADERS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('discount')
    for table in (*ORDER_LINES, *PRICED_LINES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name in ('doc_discount', 'discount', 'uom_factor', 'uom'):
                if name.startswith('uom') or table in ORDER_LINES:
                    batch_op.drop_column(name)
