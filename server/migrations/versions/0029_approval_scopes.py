"""Approval rules for requisitions and transfer orders, by amount, category and warehouse

Each rule is for a kind of document (purchase_order, requisition, transfer_order), tried in priority order, and may be
narrowed to an item category and a warehouse. The purchase order bands there were become the purchase_order rules, in
the order of their amounts. Requisitions and transfer orders keep the levels their rules asked for; those waiting for
approval now waited for one approver, as they did before rules.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-04 18:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None

DOCUMENTS = ('requisitions', 'transfer_orders')


def _documents(name: str) -> sa.TableClause:
    return sa.table(name, sa.column('status', sa.String()), sa.column('approval_roles', sa.JSON()))


def upgrade() -> None:
    with op.batch_alter_table('approval_rules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('priority', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('category_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('warehouse_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_approval_rules_category_id_categories'), 'categories', ['category_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_approval_rules_warehouse_id_locations'), 'locations', ['warehouse_id'], ['id'])
    for name in DOCUMENTS:
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.add_column(sa.Column('approval_roles', sa.JSON(), nullable=False, server_default='[]'))

    rules = sa.table('approval_rules', sa.column('id', sa.Integer()), sa.column('doc_type', sa.String()), sa.column('above', sa.Numeric()),
                     sa.column('active', sa.Boolean()), sa.column('priority', sa.Integer()))
    connection = op.get_bind()
    op.execute(rules.update().where(rules.c.doc_type == 'po').values(doc_type='purchase_order'))
    live = connection.execute(sa.select(rules.c.id).where(rules.c.active.is_(True)).order_by(rules.c.above, rules.c.id)).scalars().all()
    for priority, rule_id in enumerate(live, 1):
        op.execute(rules.update().where(rules.c.id == rule_id).values(priority=priority))
    for name in DOCUMENTS:
        documents = _documents(name)
        op.execute(documents.update().where(documents.c.status == 'pending').values(approval_roles=['approver']))


def downgrade() -> None:
    # Before scopes a rule was a band of purchase orders' totals: the others would read as such.
    rules = sa.table('approval_rules', sa.column('doc_type', sa.String()), sa.column('category_id', sa.Integer()),
                     sa.column('warehouse_id', sa.Integer()))
    op.execute(rules.delete().where((rules.c.doc_type != 'purchase_order') | rules.c.category_id.isnot(None) | rules.c.warehouse_id.isnot(None)))
    op.execute(rules.update().values(doc_type='po'))
    for name in DOCUMENTS:
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_column('approval_roles')
    with op.batch_alter_table('approval_rules', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_approval_rules_warehouse_id_locations'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_approval_rules_category_id_categories'), type_='foreignkey')
        batch_op.drop_column('warehouse_id')
        batch_op.drop_column('category_id')
        batch_op.drop_column('priority')
