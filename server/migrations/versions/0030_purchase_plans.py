"""Sales forecasts and purchase plans (采购计划)

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-04 18:00:00
"""

import sqlalchemy as sa
from alembic import op

import server.base

revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lead_time_days', sa.Integer(), nullable=True))
    op.create_table('purchase_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=8), nullable=False),
    sa.Column('horizon', sa.Integer(), nullable=False),
    sa.Column('service_level', server.base.FixedDecimal(scale=2, precision=20), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', server.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', server.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('converted_at', server.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_purchase_plans_created_by_users')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['locations.id'], name=op.f('fk_purchase_plans_warehouse_id_locations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purchase_plans')),
    sa.UniqueConstraint('number', name=op.f('uq_purchase_plans_number'))
    )
    op.create_index(op.f('ix_purchase_plans_status'), 'purchase_plans', ['status'], unique=False)
    op.create_index(op.f('ix_purchase_plans_warehouse_id'), 'purchase_plans', ['warehouse_id'], unique=False)
    op.create_table('purchase_plan_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=24), nullable=False),
    sa.Column('method_reason', sa.String(length=24), nullable=True),
    sa.Column('history_periods', sa.Integer(), nullable=False),
    sa.Column('error', server.base.FixedDecimal(scale=2, precision=20), nullable=True),
    sa.Column('mae', server.base.FixedDecimal(scale=2, precision=20), nullable=True),
    sa.Column('mape', server.base.FixedDecimal(scale=2, precision=20), nullable=True),
    sa.Column('lead_time_days', sa.Integer(), nullable=False),
    sa.Column('lead_time_source', sa.String(length=16), nullable=False),
    sa.Column('forecast_qty', server.base.FixedDecimal(scale=4, precision=20), nullable=False),
    sa.Column('open_demand', server.base.FixedDecimal(scale=4, precision=20), nullable=False),
    sa.Column('held', server.base.FixedDecimal(scale=4, precision=20), nullable=False),
    sa.Column('available', server.base.FixedDecimal(scale=4, precision=20), nullable=False),
    sa.Column('on_order', server.base.FixedDecimal(scale=4, precision=20), nullable=False),
    sa.Column('safety_stock', server.base.FixedDecimal(scale=4, precision=20), nullable=False),
    sa.Column('need', server.base.FixedDecimal(scale=4, precision=20), nullable=False),
    sa.Column('pack_qty', server.base.FixedDecimal(scale=4, precision=20), nullable=True),
    sa.Column('proposed_qty', server.base.FixedDecimal(scale=4, precision=20), nullable=False),
    sa.Column('qty', server.base.FixedDecimal(scale=4, precision=20), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=True),
    sa.Column('selected', sa.Boolean(), nullable=False),
    sa.Column('requisition_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_purchase_plan_lines_item_id_items')),
    sa.ForeignKeyConstraint(['plan_id'], ['purchase_plans.id'], name=op.f('fk_purchase_plan_lines_plan_id_purchase_plans'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requisition_id'], ['requisitions.id'], name=op.f('fk_purchase_plan_lines_requisition_id_requisitions')),
    sa.ForeignKeyConstraint(['supplier_id'], ['partners.id'], name=op.f('fk_purchase_plan_lines_supplier_id_partners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purchase_plan_lines')),
    sa.UniqueConstraint('plan_id', 'line_no', name=op.f('uq_purchase_plan_lines_plan_id_line_no'))
    )
    op.create_index(op.f('ix_purchase_plan_lines_item_id'), 'purchase_plan_lines', ['item_id'], unique=False)
    op.create_index(op.f('ix_purchase_plan_lines_plan_id'), 'purchase_plan_lines', ['plan_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_purchase_plan_lines_plan_id'), table_name='purchase_plan_lines')
    op.drop_index(op.f('ix_purchase_plan_lines_item_id'), table_name='purchase_plan_lines')
    op.drop_table('purchase_plan_lines')
    op.drop_index(op.f('ix_purchase_plans_warehouse_id'), table_name='purchase_plans')
    op.drop_index(op.f('ix_purchase_plans_status'), table_name='purchase_plans')
    op.drop_table('purchase_plans')
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_column('lead_time_days')
