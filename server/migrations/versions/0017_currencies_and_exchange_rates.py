"""Currencies and the day's exchange rates; purchase orders, receipts, bills, quotes, sales orders, invoices and payments
carry their currency (and its rate, and their amounts in yuan)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 12:00:00
"""

import sqlalchemy as sa
from alembic import op

import server.base

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def _one(scale: int) -> str:
    """1 as the column stores it: a scaled integer on SQLite, the number itself on PostgreSQL."""
    return str(10 ** scale) if op.get_bind().dialect.name == 'sqlite' else '1'


def _rate(name: str, scale: int = 6) -> sa.Column[object]:
    return sa.Column(name, server.base.FixedDecimal(scale=scale, precision=20), nullable=False, server_default=_one(scale))


def _money(name: str) -> sa.Column[object]:
    return sa.Column(name, server.base.FixedDecimal(scale=2, precision=20), nullable=False, server_default='0')


def upgrade() -> None:
    op.create_table('currencies',
    sa.Column('code', sa.String(length=3), nullable=False),
    sa.Column('name_zh', sa.String(length=50), nullable=False),
    sa.Column('name_en', sa.String(length=50), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_currencies'))
    )
    op.create_table('exchange_rates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('rate', server.base.FixedDecimal(scale=6, precision=20), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('entered_by', sa.Integer(), nullable=True),
    sa.Column('entered_at', server.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('rate > 0', name=op.f('ck_exchange_rates_rate_positive')),
    sa.ForeignKeyConstraint(['currency'], ['currencies.code'], name=op.f('fk_exchange_rates_currency_currencies')),
    sa.ForeignKeyConstraint(['entered_by'], ['users.id'], name=op.f('fk_exchange_rates_entered_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_rates')),
    sa.UniqueConstraint('currency', 'day', name=op.f('uq_exchange_rates_currency_day'))
    )
    with op.batch_alter_table('purchase_orders', schema=None) as batch_op:
        batch_op.add_column(_rate('exchange_rate'))
        batch_op.add_column(_money('total_cny'))
    with op.batch_alter_table('purchase_order_lines', schema=None) as batch_op:
        batch_op.add_column(_rate('received_rate', 10))
    with op.batch_alter_table('receipts', schema=None) as batch_op:
        batch_op.add_column(_rate('exchange_rate'))
    with op.batch_alter_table('bills', schema=None) as batch_op:
        batch_op.add_column(sa.Column('currency', sa.String(length=3), nullable=False, server_default='CNY'))
        batch_op.add_column(_rate('exchange_rate'))
        batch_op.add_column(_money('total_cny'))
        batch_op.add_column(_money('paid_cny'))
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('currency', sa.String(length=3), nullable=False, server_default='CNY'))
        batch_op.add_column(_rate('exchange_rate'))
        batch_op.add_column(_money('amount_cny'))
        batch_op.add_column(_money('unallocated_cny'))
    with op.batch_alter_table('quotes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('currency', sa.String(length=3), nullable=False, server_default='CNY'))
    with op.batch_alter_table('sales_orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('currency', sa.String(length=3), nullable=False, server_default='CNY'))
        batch_op.add_column(_rate('exchange_rate'))
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('currency', sa.String(length=3), nullable=False, server_default='CNY'))
        batch_op.add_column(_rate('exchange_rate'))
        batch_op.add_column(_money('total_cny'))
        batch_op.add_column(_money('paid_cny'))
        batch_op.add_column(_money('credited_cny'))
    # Everything written so far was booked in yuan at 1.
    op.execute('UPDATE purchase_orders SET total_cny = total')
    op.execute('UPDATE bills SET currency = (SELECT currency FROM purchase_orders WHERE purchase_orders.id = bills.po_id), '
               'total_cny = total, paid_cny = paid')
    op.execute('UPDATE payments SET amount_cny = amount, unallocated_cny = unallocated')
    op.execute('UPDATE invoices SET total_cny = total, paid_cny = paid, credited_cny = credited')


def downgrade() -> None:
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        for column in ('credited_cny', 'paid_cny', 'total_cny', 'exchange_rate', 'currency'):
            batch_op.drop_column(column)
    with op.batch_alter_table('sales_orders', schema=None) as batch_op:
        batch_op.drop_column('exchange_rate')
        batch_op.drop_column('currency')
    with op.batch_alter_table('quotes', schema=None) as batch_op:
        batch_op.drop_column('currency')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        for column in ('unallocated_cny', 'amount_cny', 'exchange_rate', 'currency'):
            batch_op.drop_column(column)
    with op.batch_alter_table('bills', schema=None) as batch_op:
        for column in ('paid_cny', 'total_cny', 'exchange_rate', 'currency'):
            batch_op.drop_column(column)
    with op.batch_alter_table('receipts', schema=None) as batch_op:
        batch_op.drop_column('exchange_rate')
    with op.batch_alter_table('purchase_order_lines', schema=None) as batch_op:
        batch_op.drop_column('received_rate')
    with op.batch_alter_table('purchase_orders', schema=None) as batch_op:
        batch_op.drop_column('total_cny')
        batch_op.drop_column('exchange_rate')
    op.drop_table('exchange_rates')
    op.drop_table('currencies')
