"""department records: deed-tax records and filed sale contracts, kept verbatim

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 00:00:00
"""
from alembic import op
import sqlalchemy as sa

import gateway.persistence.types

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
When = gateway.persistence.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('department_records',
    sa.Column('id', Id, nullable=False),
    sa.Column('record_id', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('institution_id', Id, nullable=False),
    sa.Column('record_no', sa.String(length=64), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('unit_code', sa.String(length=28), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('content_sha256', sa.String(length=64), nullable=False),
    sa.Column('request_sha256', sa.String(length=64), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.Column('signature_headers', sa.Text(), nullable=False),
    sa.Column('facts', sa.Text(), nullable=False),
    sa.Column('id_number_indexes', sa.JSON(), nullable=False),
    sa.Column('conflicting', sa.Boolean(), nullable=False),
    sa.Column('conflicts_with_id', Id, nullable=True),
    sa.Column('corrects_id', Id, nullable=True),
    sa.Column('superseded', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('received_at', When, nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['conflicts_with_id'], ['department_records.id'],
                            name=op.f('fk_department_records_conflicts_with_id_department_records')),
    sa.ForeignKeyConstraint(['corrects_id'], ['department_records.id'],
                            name=op.f('fk_department_records_corrects_id_department_records')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'],
                            name=op.f('fk_department_records_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_department_records')),
    sa.UniqueConstraint('kind', 'institution_id', 'record_no', 'sequence',
                        name=op.f('uq_department_records_kind_institution_id_record_no_sequence')),
    sa.UniqueConstraint('record_id', name=op.f('uq_department_records_record_id'))
    )
    op.create_index(op.f('ix_department_records_institution_id'), 'department_records', ['institution_id'],
                    unique=False)
    op.create_index('ix_department_records_unit', 'department_records', ['unit_code', 'kind'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_department_records_unit', table_name='department_records')
    op.drop_index(op.f('ix_department_records_institution_id'), table_name='department_records')
    op.drop_table('department_records')
