"""PostgreSQL commits audit entries unsealed and one sealer at a time links them into the chain: seq, prev_hash and hash
may be NULL, and the append-only trigger lets an unsealed entry take them, once, changing nothing else

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 09:00:00
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

import server.base
from server.audit.chain import GENESIS, content_digest, link  # the chain's definition: the check verifies with the same code

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

_LINKS = ('seq', 'prev_hash', 'hash')
_TYPES: dict[str, sa.types.TypeEngine[Any]] = {'seq': sa.BigInteger(), 'prev_hash': sa.String(length=64), 'hash': sa.String(length=64)}
_BATCH = 5000

# Sealing is the one change an entry takes: from unsealed to all three links set, every other column as it was (compared
# as the row's text, so a column added later is covered too). Any other UPDATE, and every DELETE, is refused as before.
_SEALING_ONLY = """
CREATE OR REPLACE FUNCTION cangku_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    stored record;
    sealed record;
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NEW.seq IS NOT NULL AND NEW.prev_hash IS NOT NULL AND NEW.hash IS NOT NULL THEN
        stored := OLD;
        sealed := NEW;
        stored.seq := NULL; stored.prev_hash := NULL; stored.hash := NULL;
        sealed.seq := NULL; sealed.prev_hash := NULL; sealed.hash := NULL;
        IF stored::text = sealed::text THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only';
END $$;
"""
# As migration 0001 made it.
_NOTHING = """
CREATE OR REPLACE FUNCTION cangku_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END $$;
"""


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        # SQLite chains every entry at commit (one writer at a time), so it never leaves the links NULL; the columns may be
        # NULL there too, so both databases have one schema.
        _sqlite_links(nullable=True)
        return
    for column in _LINKS:
        op.alter_column('audit_log', column, existing_type=_TYPES[column], nullable=True)
    op.execute(_SEALING_ONLY)


def downgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        _sqlite_links(nullable=False)
        return
    op.execute("LOCK TABLE audit_log IN EXCLUSIVE MODE")  # no entry is added unsealed meanwhile (reading goes on)
    _seal_everything()
    op.execute(_NOTHING)
    for column in _LINKS:
        op.alter_column('audit_log', column, existing_type=_TYPES[column], nullable=False)


def _seal_everything() -> None:
    """Link every unsealed entry into the chain from its head, in id order, as the sealer does (server/audit/sealer.py)."""
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
    head = connection.execute(sa.text("SELECT seq, hash FROM audit_chain WHERE id = 1 FOR UPDATE")).first()
    if head is None:
        if connection.execute(sa.select(log.c.id).where(log.c.seq.is_not(None)).limit(1)).first() is not None:
            raise RuntimeError("the audit log has entries but its chain head is missing: run `cangku check` before downgrading")
        connection.execute(sa.text("INSERT INTO audit_chain (id, seq, prev_hash, hash) VALUES (1, 0, :g, :g)").bindparams(g=GENESIS))
        start, prev = 0, GENESIS
    else:
        start, prev = head[0], head[1]
    seq, before_last = start, prev
    while True:
        rows = connection.execute(
            sa.select(log.c.id, log.c.at, log.c.user_id, log.c.username, log.c.device_id, log.c.action, log.c.target_type,
                      log.c.target_id, log.c.details)
            .where(log.c.seq.is_(None)).order_by(log.c.id).limit(_BATCH)
        ).all()
        if not rows:
            break
        placed = []
        for row in rows:
            seq += 1
            hashed = link(seq, prev, content_digest(row.at, row.user_id, row.username, row.device_id, row.action, row.target_type,
                                                    row.target_id, row.details))
            placed.append({'b_id': row.id, 'b_seq': seq, 'b_prev': prev, 'b_hash': hashed})
            before_last, prev = prev, hashed
        connection.execute(place, placed)
    if seq > start:
        connection.execute(sa.text("UPDATE audit_chain SET seq = :seq, prev_hash = :prev, hash = :hash WHERE id = 1")
                           .bindparams(seq=seq, prev=before_last, hash=prev))


def _sqlite_links(*, nullable: bool) -> None:
    """SQLite changes a column by copying the table (a batch); the copy would not have the append-only triggers of 0001
    and 0009, so they are dropped first and made again after, as in 0009."""
    for event in ("UPDATE", "DELETE"):
        op.execute(f"DROP TRIGGER IF EXISTS audit_log_no_{event.lower()}")
    with op.batch_alter_table('audit_log', schema=None, recreate='always') as batch_op:
        for column in _LINKS:
            batch_op.alter_column(column, existing_type=_TYPES[column], nullable=nullable)
    for event in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log "
            "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
        )
