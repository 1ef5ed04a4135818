"""Audit log hash chain: seq, prev_hash and hash on every entry, the chain head, existing entries chained in id order

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 09:00:00
"""

import sqlalchemy as sa
from alembic import op

import server.base
from server.audit.chain import GENESIS, content_digest, link  # the chain's definition: the check verifies with the same code

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

_BATCH = 5000


def upgrade() -> None:
    postgres = op.get_context().dialect.name == "postgresql"
    op.create_table('audit_chain',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_audit_chain_one_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))

    # The append-only triggers refuse the back-fill's updates: lift them for this transaction only.
    if postgres:
        op.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    seq, prev_hash, head_hash = _chain_existing_entries()
    op.execute(sa.text("INSERT INTO audit_chain (id, seq, prev_hash, hash) VALUES (1, :seq, :prev, :hash)")
               .bindparams(seq=seq, prev=prev_hash, hash=head_hash))

    with op.batch_alter_table('audit_log', schema=None, recreate='always' if not postgres else 'auto') as batch_op:
        batch_op.alter_column('seq', existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_index(batch_op.f('ix_audit_log_seq'), ['seq'], unique=True)

    if postgres:
        op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
        op.execute(
            """
            CREATE FUNCTION cangku_audit_chain_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'audit_chain only moves forward';
            END $$;
            """
        )
        op.execute(
            "CREATE TRIGGER audit_chain_no_delete BEFORE DELETE ON audit_chain "
            "FOR EACH ROW EXECUTE FUNCTION cangku_audit_chain_forward_only()"
        )
        # The WHEN clause is evaluated without calling the function: appends pay next to nothing for it.
        op.execute(
            "CREATE TRIGGER audit_chain_forward_only BEFORE UPDATE ON audit_chain "
            "FOR EACH ROW WHEN (NEW.seq <= OLD.seq) EXECUTE FUNCTION cangku_audit_chain_forward_only()"
        )
    else:
        _sqlite_append_only_triggers()  # the table was rebuilt, which dropped them
        op.execute(
            "CREATE TRIGGER audit_chain_no_delete BEFORE DELETE ON audit_chain "
            "BEGIN SELECT RAISE(ABORT, 'audit_chain only moves forward'); END"
        )
        op.execute(
            "CREATE TRIGGER audit_chain_forward_only BEFORE UPDATE ON audit_chain WHEN NEW.seq <= OLD.seq "
            "BEGIN SELECT RAISE(ABORT, 'audit_chain only moves forward'); END"
        )


def _chain_existing_entries() -> tuple[int, str, str]:
    """Give the entries written before the chain their places 1..n in id order; returns the head (seq, prev_hash, hash)."""
    log = sa.table(
        'audit_log', sa.column('id', sa.Integer()), sa.column('at', server.base.UTCDateTime()), sa.column('user_id', sa.Integer()),
        sa.column('username', sa.String()), sa.column('device_id', sa.String()), sa.column('action', sa.String()),
        sa.column('target_type', sa.String()), sa.column('target_id', sa.String()), sa.column('details', sa.JSON()),
        sa.column('seq', sa.BigInteger()), sa.column('prev_hash', sa.String()), sa.column('hash', sa.String()),
    )
    place = (
        sa.update(log).where(log.c.id == sa.bindparam('b_id'))
        .values(seq=sa.bindparam('b_seq'), prev_hash=sa.bindparam('b_prev'), hash=sa.bindparam('b_hash'))
    )
    connection = op.get_bind()
    seq, prev, before_last, last_id = 0, GENESIS, GENESIS, 0
    while True:
        rows = connection.execute(
            sa.select(log.c.id, log.c.at, log.c.user_id, log.c.username, log.c.device_id, log.c.action, log.c.target_type,
                      log.c.target_id, log.c.details)
            .where(log.c.id > last_id).order_by(log.c.id).limit(_BATCH)
        ).all()
        if not rows:
            return seq, before_last, prev
        placed = []
        for row in rows:
            seq += 1
            hashed = link(seq, prev, content_digest(row.at, row.user_id, row.username, row.device_id, row.action, row.target_type,
                                                    row.target_id, row.details if row.details is not None else {}))
            placed.append({'b_id': row.id, 'b_seq': seq, 'b_prev': prev, 'b_hash': hashed})
            before_last, prev = prev, hashed
        connection.execute(place, placed)
        last_id = rows[-1].id


def _sqlite_append_only_triggers() -> None:
    for event in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log "
            "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
        )


def downgrade() -> None:
    postgres = op.get_context().dialect.name == "postgresql"
    if postgres:
        op.execute("DROP TRIGGER IF EXISTS audit_chain_forward_only ON audit_chain")
        op.execute("DROP TRIGGER IF EXISTS audit_chain_no_delete ON audit_chain")
        op.execute("DROP FUNCTION IF EXISTS cangku_audit_chain_forward_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_chain_forward_only")
        op.execute("DROP TRIGGER IF EXISTS audit_chain_no_delete")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_seq'))
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('seq')
    if not postgres:
        _sqlite_append_only_triggers()
    op.drop_table('audit_chain')
