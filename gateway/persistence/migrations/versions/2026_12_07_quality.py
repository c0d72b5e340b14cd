"""quality feedback: intake refusals counted per institution, monthly statements

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 00:00:00
"""
from alembic import op
import sqlalchemy as sa

import gateway.persistence.types  # noqa: F401

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
When = gateway.persistence.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('intake_refusals',
    sa.Column('id', Id, nullable=False),
    sa.Column('institution_id', Id, nullable=True),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('at', When, nullable=False),
    sa.Column('finding_codes', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'],
                            name=op.f('fk_intake_refusals_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_refusals'))
    )
    op.create_index(op.f('ix_intake_refusals_at'), 'intake_refusals', ['at'], unique=False)
    op.create_index('ix_intake_refusals_institution_id_at', 'intake_refusals', ['institution_id', 'at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_intake_refusals_institution_id_at', table_name='intake_refusals')
    op.drop_index(op.f('ix_intake_refusals_at'), table_name='intake_refusals')
    op.drop_table('intake_refusals')
