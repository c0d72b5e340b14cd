"""registration events and department subscriptions

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 00:00:00
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

import gateway.persistence.types  # noqa: F401

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
When = gateway.persistence.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
