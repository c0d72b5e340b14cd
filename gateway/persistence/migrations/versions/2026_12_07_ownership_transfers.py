"""combined filing: ownership transfers entered in the register

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 00:00:00
"""
from alembic import op
import sqlalchemy as sa

import gateway.persistence.types

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
When = gateway.persistence.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('ownership_transfers',
    sa.Column('id', Id, nullable=False),
    sa.Column('application_id', Id, nullable=False),
    sa.Column('unit_code', sa.String(length=28), nullable=False),
    sa.Column('certificate_no', sa.String(length=64), nullable=False),
    sa.Column('former_owners', sa.Text(), nullable=False),
    sa.Column('buyers', sa.Text(), nullable=False),
    sa.Column('sale_contract_no', sa.String(length=64), nullable=False),
    sa.Column('sale_price', sa.Numeric(precision=17, scale=2), nullable=True),
    sa.Column('carried_over', sa.JSON(), nullable=False),
    sa.Column('registered_at', When, nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'],
                            name=op.f('fk_ownership_transfers_application_id_applications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ownership_transfers')),
    sa.UniqueConstraint('application_id', name=op.f('uq_ownership_transfers_application_id')),
    sa.UniqueConstraint('certificate_no', name=op.f('uq_ownership_transfers_certificate_no'))
    )
    op.create_index(op.f('ix_ownership_transfers_unit_code'), 'ownership_transfers', ['unit_code'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_ownership_transfers_unit_code'), table_name='ownership_transfers')
    op.drop_table('ownership_transfers')
