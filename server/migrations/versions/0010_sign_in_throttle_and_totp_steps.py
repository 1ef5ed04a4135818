"""Sign-in throttling per account and address, the last TOTP time step used per user

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 21:00:00
"""

import sqlalchemy as sa
from alembic import op

import server.base

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sign_in_throttles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', server.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('locked_until', server.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_success_at', server.base.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_throttles')),
    sa.UniqueConstraint('username', 'address', name=op.f('uq_sign_in_throttles_username_address'))
    )
    with op.batch_alter_table('sign_in_throttles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_in_throttles_locked_until'), ['locked_until'], unique=False)

    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_login_attempts_address', ['ip', 'at'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')

    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_login_attempts_address')

    with op.batch_alter_table('sign_in_throttles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_throttles_locked_until'))

    op.drop_table('sign_in_throttles')
