"""Documents sent by e-mail: what was sent to whom

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-04 17:00:00
"""

import sqlalchemy as sa
from alembic import op

import server.base

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('document_emails',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('number', sa.String(length=64), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=True),
    sa.Column('period_from', sa.Date(), nullable=True),
    sa.Column('period_to', sa.Date(), nullable=True),
    sa.Column('to_addresses', sa.JSON(), nullable=False),
    sa.Column('cc_addresses', sa.JSON(), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('attachment', sa.String(length=200), nullable=False),
    sa.Column('sent_by', sa.Integer(), nullable=True),
    sa.Column('sent_at', server.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('message_id', sa.String(length=255), nullable=False),
    sa.Column('outcome', sa.String(length=8), nullable=False),
    sa.Column('error', sa.String(length=500), nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=True),
    sa.CheckConstraint("outcome IN ('sent','failed')", name=op.f('ck_document_emails_outcome')),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_document_emails_partner_id_partners')),
    sa.ForeignKeyConstraint(['sent_by'], ['users.id'], name=op.f('fk_document_emails_sent_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_emails'))
    )
    op.create_index('ix_document_emails_document', 'document_emails', ['kind', 'number'], unique=False)
    op.create_index(op.f('ix_document_emails_partner_id'), 'document_emails', ['partner_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_document_emails_partner_id'), table_name='document_emails')
    op.drop_index('ix_document_emails_document', table_name='document_emails')
    op.drop_table('document_emails')
