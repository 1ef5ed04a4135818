"""After-sales service tickets (售后服务)

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-04 18:00:00
"""

import sqlalchemy as sa
from alembic import op

import server.base

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('service_tickets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', server.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', server.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('serial', sa.String(length=64), nullable=True),
    sa.Column('lot_id', sa.Integer(), nullable=True),
    sa.Column('qty', server.base.FixedDecimal(scale=4, precision=20), nullable=False),
    sa.Column('so_id', sa.Integer(), nullable=False),
    sa.Column('so_line_id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=True),
    sa.Column('shipped_at', server.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reported_on', sa.Date(), nullable=False),
    sa.Column('warranty_days', sa.Integer(), nullable=False),
    sa.Column('problem', sa.String(length=500), nullable=False),
    sa.Column('resolution', sa.String(length=16), nullable=True),
    sa.Column('resolution_note', sa.String(length=500), nullable=False),
    sa.Column('assigned_to', sa.Integer(), nullable=True),
    sa.Column('return_id', sa.Integer(), nullable=True),
    sa.Column('replacement_so_id', sa.Integer(), nullable=True),
    sa.Column('credit_note_id', sa.Integer(), nullable=True),
    sa.Column('refunded_at', server.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', server.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', server.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['assigned_to'], ['users.id'], name=op.f('fk_service_tickets_assigned_to_users')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_service_tickets_created_by_users')),
    sa.ForeignKeyConstraint(['credit_note_id'], ['invoices.id'], name=op.f('fk_service_tickets_credit_note_id_invoices')),
    sa.ForeignKeyConstraint(['customer_id'], ['partners.id'], name=op.f('fk_service_tickets_customer_id_partners')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_service_tickets_invoice_id_invoices')),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_service_tickets_item_id_items')),
    sa.ForeignKeyConstraint(['lot_id'], ['lots.id'], name=op.f('fk_service_tickets_lot_id_lots')),
    sa.ForeignKeyConstraint(['replacement_so_id'], ['sales_orders.id'], name=op.f('fk_service_tickets_replacement_so_id_sales_orders')),
    sa.ForeignKeyConstraint(['return_id'], ['returns.id'], name=op.f('fk_service_tickets_return_id_returns')),
    sa.ForeignKeyConstraint(['so_id'], ['sales_orders.id'], name=op.f('fk_service_tickets_so_id_sales_orders')),
    sa.ForeignKeyConstraint(['so_line_id'], ['sales_order_lines.id'], name=op.f('fk_service_tickets_so_line_id_sales_order_lines')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_tickets')),
    sa.UniqueConstraint('number', name=op.f('uq_service_tickets_number'))
    )
    op.create_index(op.f('ix_service_tickets_customer_id'), 'service_tickets', ['customer_id'], unique=False)
    op.create_index(op.f('ix_service_tickets_item_id'), 'service_tickets', ['item_id'], unique=False)
    op.create_index(op.f('ix_service_tickets_serial'), 'service_tickets', ['serial'], unique=False)
    op.create_index(op.f('ix_service_tickets_so_id'), 'service_tickets', ['so_id'], unique=False)
    op.create_index(op.f('ix_service_tickets_status'), 'service_tickets', ['status'], unique=False)
    op.create_table('service_ticket_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.Column('document', sa.String(length=32), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('at', server.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['service_tickets.id'], name=op.f('fk_service_ticket_entries_ticket_id_service_tickets'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_service_ticket_entries_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_ticket_entries'))
    )
    op.create_index(op.f('ix_service_ticket_entries_ticket_id'), 'service_ticket_entries', ['ticket_id'], unique=False)


def downgrade() -> None:
    op.drop_table('service_ticket_entries')
    op.drop_table('service_tickets')
