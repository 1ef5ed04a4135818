"""Transfer orders between warehouses: asked for, approved, shipped into transit and received

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04 22:00:00
"""

import sqlalchemy as sa
from alembic import op

import server.base

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def _qty(name: str) -> sa.Column[object]:
    return sa.Column(name, server.base.FixedDecimal(scale=server.base.QTY_SCALE, precision=20), nullable=False)


def upgrade() -> None:
    op.create_table('transfer_orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('from_warehouse_id', sa.Integer(), nullable=False),
    sa.Column('to_warehouse_id', sa.Integer(), nullable=False),
    sa.Column('needed_by', sa.Date(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', server.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', server.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('approved_by', sa.Integer(), nullable=True),
    sa.Column('shipped_at', server.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('received_at', server.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['approved_by'], ['users.id'], name=op.f('fk_transfer_orders_approved_by_users')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_transfer_orders_created_by_users')),
    sa.ForeignKeyConstraint(['from_warehouse_id'], ['locations.id'], name=op.f('fk_transfer_orders_from_warehouse_id_locations')),
    sa.ForeignKeyConstraint(['to_warehouse_id'], ['locations.id'], name=op.f('fk_transfer_orders_to_warehouse_id_locations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer_orders')),
    sa.UniqueConstraint('number', name=op.f('uq_transfer_orders_number'))
    )
    op.create_index(op.f('ix_transfer_orders_status'), 'transfer_orders', ['status'], unique=False)
    op.create_table('transfer_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transfer_id', sa.Integer(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=True),
    sa.Column('serials', sa.JSON(), nullable=False),
    _qty('qty'),
    _qty('shipped_qty'),
    _qty('received_qty'),
    sa.Column('value', server.base.FixedDecimal(scale=2, precision=20), nullable=False),
    sa.Column('from_location_id', sa.Integer(), nullable=True),
    sa.Column('to_location_id', sa.Integer(), nullable=True),
    sa.Column('difference_note', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['from_location_id'], ['locations.id'], name=op.f('fk_transfer_lines_from_location_id_locations')),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_transfer_lines_item_id_items')),
    sa.ForeignKeyConstraint(['lot_id'], ['lots.id'], name=op.f('fk_transfer_lines_lot_id_lots')),
    sa.ForeignKeyConstraint(['to_location_id'], ['locations.id'], name=op.f('fk_transfer_lines_to_location_id_locations')),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfer_orders.id'], name=op.f('fk_transfer_lines_transfer_id_transfer_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer_lines')),
    sa.UniqueConstraint('transfer_id', 'line_no', name=op.f('uq_transfer_lines_transfer_id_line_no'))
    )
    op.create_index(op.f('ix_transfer_lines_transfer_id'), 'transfer_lines', ['transfer_id'], unique=False)


def downgrade() -> None:
    op.drop_table('transfer_lines')
    op.drop_table('transfer_orders')
