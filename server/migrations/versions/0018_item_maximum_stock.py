"""An item's maximum stock per warehouse: more on hand is overstock (库存上限)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 13:00:00
"""

import sqlalchemy as sa
from alembic import op

import server.base

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('max_stock', server.base.FixedDecimal(scale=4, precision=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_column('max_stock')
