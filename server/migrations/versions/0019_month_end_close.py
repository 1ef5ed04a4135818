"""Month-end close: the months of the books, open or closed

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 14:00:00
"""

import sqlalchemy as sa
from alembic import op

import server.base

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('periods',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('closed', sa.Boolean(), nullable=False),
    sa.Column('closed_at', server.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.Integer(), nullable=True),
    sa.Column('reopened_at', server.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reopened_by', sa.Integer(), nullable=True),
    sa.Column('reopen_reason', sa.String(length=500), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['closed_by'], ['users.id'], name=op.f('fk_periods_closed_by_users')),
    sa.ForeignKeyConstraint(['reopened_by'], ['users.id'], name=op.f('fk_periods_reopened_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_periods')),
    sa.UniqueConstraint('month', name=op.f('uq_periods_month'))
    )


def downgrade() -> None:
    op.drop_table('periods')
