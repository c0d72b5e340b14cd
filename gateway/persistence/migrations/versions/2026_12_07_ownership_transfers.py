"""combined filing: ownership transfers entered in the register

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 00:00:00
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

import gateway.persistence.types  # noqa: F401

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
When = gateway.persistence.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
