"""Sales contracts (销售合同) that sales orders draw down

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-04 17:00:00
"""

import sqlalchemy as sa
from alembic import op

import server.base

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sales_contracts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', server.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', server.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_sales_contracts_created_by_users')),
    sa.ForeignKeyConstraint(['customer_id'], ['partners.id'], name=op.f('fk_sales_contracts_customer_id_partners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_contracts')),
    sa.UniqueConstraint('number', name=op.f('uq_sales_contracts_number'))
    )
    op.create_index(op.f('ix_sales_contracts_customer_id'), 'sales_contracts', ['customer_id'], unique=False)
    op.create_index(op.f('ix_sales_contracts_status'), 'sales_contracts', ['status'], unique=False)
    op.create_table('sales_contract_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('unit_price', server.base.FixedDecimal(scale=6, precision=20), nullable=False),
    sa.Column('qty', server.base.FixedDecimal(scale=4, precision=20), nullable=True),
    sa.Column('uom', sa.String(length=32), nullable=False),
    sa.Column('uom_factor', server.base.FixedDecimal(scale=4, precision=20), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['sales_contracts.id'], name=op.f('fk_sales_contract_lines_contract_id_sales_contracts'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_sales_contract_lines_item_id_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_contract_lines')),
    sa.UniqueConstraint('contract_id', 'item_id', name=op.f('uq_sales_contract_lines_contract_id_item_id')),
    sa.UniqueConstraint('contract_id', 'line_no', name=op.f('uq_sales_contract_lines_contract_id_line_no'))
    )
    op.create_index(op.f('ix_sales_contract_lines_contract_id'), 'sales_contract_lines', ['contract_id'], unique=False)
    op.create_index(op.f('ix_sales_contract_lines_item_id'), 'sales_contract_lines', ['item_id'], unique=False)
    with op.batch_alter_table('sales_orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contract_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('contract_warnings', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('contract_exceeded_by', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_sales_orders_contract_id'), ['contract_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_sales_orders_contract_id_sales_contracts'), 'sales_contracts', ['contract_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_sales_orders_contract_exceeded_by_users'), 'users', ['contract_exceeded_by'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('sales_orders', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_sales_orders_contract_exceeded_by_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_sales_orders_contract_id_sales_contracts'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_sales_orders_contract_id'))
        batch_op.drop_column('contract_exceeded_by')
        batch_op.drop_column('contract_warnings')
        batch_op.drop_column('contract_id')
    op.drop_table('sales_contract_lines')
    op.drop_table('sales_contracts')
