"""After-sales service tickets (售后服务)

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-04 18:00:00
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
