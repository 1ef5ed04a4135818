"""Costing and journal: moving-average valuations, move values, the chart of accounts, journal entries

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 07:39:52.067866
"""

import sqlalchemy as sa
from alembic import op

import server.base

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name_zh', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.CheckConstraint("kind IN ('asset','liability','equity','income','expense')", name=op.f('ck_accounts_kind')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accounts')),
    sa.UniqueConstraint('code', name=op.f('uq_accounts_code'))
    )
    op.create_table('journal_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', server.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('source_type', sa.String(length=32), nullable=False),
    sa.Column('source_id', sa.String(length=64), nullable=False),
    sa.Column('memo', sa.String(length=200), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_journal_entries_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journal_entries'))
    )
    with op.batch_alter_table('journal_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journal_entries_at'), ['at'], unique=False)
        batch_op.create_index('ix_journal_entries_source', ['source_type', 'source_id'], unique=False)

    op.create_table('valuations',
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('qty', server.base.FixedDecimal(scale=4, precision=20), nullable=False),
    sa.Column('value', server.base.FixedDecimal(scale=2, precision=20), nullable=False),
    sa.CheckConstraint('qty >= 0', name=op.f('ck_valuations_qty_not_negative')),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_valuations_item_id_items')),
    sa.PrimaryKeyConstraint('item_id', name=op.f('pk_valuations'))
    )
    op.create_table('journal_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('debit', server.base.FixedDecimal(scale=2, precision=20), nullable=False),
    sa.Column('credit', server.base.FixedDecimal(scale=2, precision=20), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('debit = 0 OR credit = 0', name=op.f('ck_journal_lines_one_side')),
    sa.CheckConstraint('debit >= 0 AND credit >= 0', name=op.f('ck_journal_lines_not_negative')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_journal_lines_account_id_accounts')),
    sa.ForeignKeyConstraint(['entry_id'], ['journal_entries.id'], name=op.f('fk_journal_lines_entry_id_journal_entries')),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_journal_lines_item_id_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journal_lines'))
    )
    with op.batch_alter_table('journal_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journal_lines_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_journal_lines_entry_id'), ['entry_id'], unique=False)

    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_column('avg_cost')

    with op.batch_alter_table('moves', schema=None) as batch_op:
        batch_op.add_column(sa.Column('value', server.base.FixedDecimal(scale=2, precision=20), nullable=False, server_default='0'))

    # Stock already on hand gets a valuation row with its quantity; its cost was never recorded, so its value starts at 0.
    op.execute(
        "INSERT INTO valuations (item_id, qty, value) "
        "SELECT item_id, SUM(qty), 0 FROM balances WHERE internal GROUP BY item_id"
    )



def downgrade() -> None:
    with op.batch_alter_table('moves', schema=None) as batch_op:
        batch_op.drop_column('value')

    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('avg_cost', server.base.FixedDecimal(scale=6, precision=20), nullable=False, server_default='0'))

    with op.batch_alter_table('journal_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_journal_lines_entry_id'))
        batch_op.drop_index(batch_op.f('ix_journal_lines_account_id'))

    op.drop_table('journal_lines')
    op.drop_table('valuations')
    with op.batch_alter_table('journal_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_journal_entries_source')
        batch_op.drop_index(batch_op.f('ix_journal_entries_at'))

    op.drop_table('journal_entries')
    op.drop_table('accounts')
