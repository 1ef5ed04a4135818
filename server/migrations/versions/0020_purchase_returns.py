"""Purchase returns: goods sent back to the supplier, and debit notes among the bills

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 18:00:00
"""

import sqlalchemy as sa
from alembic import op

import server.base

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def _zero(name: str, scale: int) -> sa.Column[object]:
    return sa.Column(name, server.base.FixedDecimal(scale=scale, precision=20), nullable=False, server_default='0')


def upgrade() -> None:
    with op.batch_alter_table('purchase_order_lines', schema=None) as batch_op:
        batch_op.add_column(_zero('returned_qty', server.base.QTY_SCALE))
        batch_op.add_column(_zero('returned_rejected_qty', server.base.QTY_SCALE))
    with op.batch_alter_table('bills', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), nullable=False, server_default='bill'))
        batch_op.add_column(sa.Column('credits_id', sa.Integer(), nullable=True))
        batch_op.add_column(_zero('credited', 2))
        batch_op.add_column(_zero('credited_cny', 2))
        batch_op.create_foreign_key(batch_op.f('fk_bills_credits_id_bills'), 'bills', ['credits_id'], ['id'])
    op.create_table('purchase_returns',
    sa.Column('po_id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('supplier_ref', sa.String(length=64), nullable=False),
    sa.Column('debit_note_id', sa.Integer(), nullable=True),
    sa.Column('shipped_at', server.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', server.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', server.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_purchase_returns_created_by_users')),
    sa.ForeignKeyConstraint(['debit_note_id'], ['bills.id'], name=op.f('fk_purchase_returns_debit_note_id_bills')),
    sa.ForeignKeyConstraint(['po_id'], ['purchase_orders.id'], name=op.f('fk_purchase_returns_po_id_purchase_orders')),
    sa.ForeignKeyConstraint(['supplier_id'], ['partners.id'], name=op.f('fk_purchase_returns_supplier_id_partners')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['locations.id'], name=op.f('fk_purchase_returns_warehouse_id_locations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purchase_returns')),
    sa.UniqueConstraint('number', name=op.f('uq_purchase_returns_number'))
    )
    op.create_index(op.f('ix_purchase_returns_po_id'), 'purchase_returns', ['po_id'], unique=False)
    op.create_index(op.f('ix_purchase_returns_status'), 'purchase_returns', ['status'], unique=False)
    op.create_index(op.f('ix_purchase_returns_supplier_id'), 'purchase_returns', ['supplier_id'], unique=False)
    op.create_table('purchase_return_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('return_id', sa.Integer(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('po_line_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Boolean(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=True),
    sa.Column('serials', sa.JSON(), nullable=False),
    sa.Column('qty', server.base.FixedDecimal(scale=server.base.QTY_SCALE, precision=20), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('value', server.base.FixedDecimal(scale=2, precision=20), nullable=False),
    sa.Column('debited_qty', server.base.FixedDecimal(scale=server.base.QTY_SCALE, precision=20), nullable=False),
    sa.Column('move_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_purchase_return_lines_item_id_items')),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_purchase_return_lines_location_id_locations')),
    sa.ForeignKeyConstraint(['lot_id'], ['lots.id'], name=op.f('fk_purchase_return_lines_lot_id_lots')),
    sa.ForeignKeyConstraint(['move_id'], ['moves.id'], name=op.f('fk_purchase_return_lines_move_id_moves')),
    sa.ForeignKeyConstraint(['po_line_id'], ['purchase_order_lines.id'], name=op.f('fk_purchase_return_lines_po_line_id_purchase_order_lines')),
    sa.ForeignKeyConstraint(['return_id'], ['purchase_returns.id'], name=op.f('fk_purchase_return_lines_return_id_purchase_returns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purchase_return_lines')),
    sa.UniqueConstraint('return_id', 'line_no', name=op.f('uq_purchase_return_lines_return_id_line_no'))
    )
    op.create_index(op.f('ix_purchase_return_lines_po_line_id'), 'purchase_return_lines', ['po_line_id'], unique=False)
    op.create_index(op.f('ix_purchase_return_lines_return_id'), 'purchase_return_lines', ['return_id'], unique=False)


def downgrade() -> None:
    op.drop_table('purchase_return_lines')
    op.drop_table('purchase_returns')
    with op.batch_alter_table('bills', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_bills_credits_id_bills'), type_='foreignkey')
        for column in ('credited_cny', 'credited', 'credits_id', 'kind'):
            batch_op.drop_column(column)
    with op.batch_alter_table('purchase_order_lines', schema=None) as batch_op:
        batch_op.drop_column('returned_rejected_qty')
        batch_op.drop_column('returned_qty')
