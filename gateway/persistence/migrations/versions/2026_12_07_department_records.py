"""department records: deed-tax records and filed sale contracts, kept verbatim

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 00:00:00
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

import gateway.persistence.types  # noqa: F401

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
When = gateway.persistence.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
