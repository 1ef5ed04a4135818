"""The outbox of business events, webhooks and their deliveries

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-04 17:00:00
"""

import sqlalchemy as sa
from alembic import op

import server.base

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('outbox_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('type', sa.String(length=64), nullable=False),
    sa.Column('aggregate_type', sa.String(length=32), nullable=False),
    sa.Column('aggregate_id', sa.String(length=64), nullable=False),
    sa.Column('occurred_at', server.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.Column('fanned_out', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_events'))
    )
    with op.batch_alter_table('outbox_events', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_events_new', ['id'], unique=False, sqlite_where=sa.text('fanned_out = 0'),
                              postgresql_where=sa.text('NOT fanned_out'))

    op.create_table('webhooks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('event_types', sa.JSON(), nullable=False),
    sa.Column('secret', sa.String(length=100), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', server.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_webhooks_created_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhooks'))
    )
    op.create_table('outbox_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('sink', sa.String(length=16), nullable=False),
    sa.Column('webhook_id', sa.Integer(), nullable=True),
    sa.Column('aggregate', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', server.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_attempt_at', server.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answer_code', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('delivered_at', server.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('replays', sa.Integer(), nullable=False),
    sa.CheckConstraint("sink IN ('webhook','amqp')", name=op.f('ck_outbox_deliveries_sink')),
    sa.CheckConstraint("status IN ('pending','delivered','dead')", name=op.f('ck_outbox_deliveries_status')),
    sa.ForeignKeyConstraint(['event_id'], ['outbox_events.id'], name=op.f('fk_outbox_deliveries_event_id_outbox_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['webhook_id'], ['webhooks.id'], name=op.f('fk_outbox_deliveries_webhook_id_webhooks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_deliveries'))
    )
    with op.batch_alter_table('outbox_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_deliveries_aggregate', ['sink', 'webhook_id', 'aggregate', 'status'], unique=False)
        batch_op.create_index('ix_outbox_deliveries_event', ['event_id'], unique=False)
        batch_op.create_index('ix_outbox_deliveries_pending', ['status', 'sink', 'webhook_id', 'event_id'], unique=False)

    op.create_table('outbox_dispatcher',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('holder', sa.String(length=100), nullable=False),
    sa.Column('expires_at', server.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_dispatcher'))
    )


def downgrade() -> None:
    op.drop_table('outbox_dispatcher')
    with op.batch_alter_table('outbox_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_deliveries_pending')
        batch_op.drop_index('ix_outbox_deliveries_event')
        batch_op.drop_index('ix_outbox_deliveries_aggregate')
    op.drop_table('outbox_deliveries')
    op.drop_table('webhooks')
    with op.batch_alter_table('outbox_events', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_events_new', sqlite_where=sa.text('fanned_out = 0'), postgresql_where=sa.text('NOT fanned_out'))
    op.drop_table('outbox_events')
