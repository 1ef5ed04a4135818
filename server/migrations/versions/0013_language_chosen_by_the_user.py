"""A user's language is empty until they choose one: until then each device shows its own language

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 06:10:00
"""

from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every stored zh-CN came from the column's old default: no screen let anyone choose a language before. Left in
    # place, it would put an English-speaking user's phone into Chinese at sign-in.
    op.execute("UPDATE users SET language = '' WHERE language = 'zh-CN'")


def downgrade() -> None:
    op.execute("UPDATE users SET language = 'zh-CN' WHERE language = ''")
