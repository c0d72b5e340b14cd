"""quality feedback: each month's signed statement pushed once per institution

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 00:00:00
"""
from alembic import op
import sqlalchemy as sa

import gateway.persistence.types  # noqa: F401

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
When = gateway.persistence.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('quality_statements',
    sa.Column('id', Id, nullable=False),
    sa.Column('institution_id', Id, nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('media_type', sa.String(length=100), nullable=False),
    sa.Column('issued_at', When, nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'],
                            name=op.f('fk_quality_statements_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quality_statements')),
    sa.UniqueConstraint('institution_id', 'month', name=op.f('uq_quality_statements_institution_id_month'))
    )


def downgrade() -> None:
    op.drop_table('quality_statements')
