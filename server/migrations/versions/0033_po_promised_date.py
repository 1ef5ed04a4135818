"""The date a supplier promised on a purchase order: its expected date when the order went out

On-time delivery is judged by it, so moving the expected date afterwards does not make a late delivery look on time.
Orders already past draft take their expected date as it stands.

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-04 21:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0033'
down_revision = '0032'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('purchase_orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('promised_date', sa.Date(), nullable=True))
    orders = sa.table('purchase_orders', sa.column('status', sa.String()), sa.column('expected_date', sa.Date()),
                      sa.column('promised_date', sa.Date()))
    op.execute(orders.update().where(orders.c.status != 'draft').values(promised_date=orders.c.expected_date))


def downgrade() -> None:
    with op.batch_alter_table('purchase_orders', schema=None) as batch_op:
        batch_op.drop_column('promised_date')
