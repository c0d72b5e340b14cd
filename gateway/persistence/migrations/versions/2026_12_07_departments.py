"""departments: kinds, roles and allowed purposes; the query log

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 00:00:00
"""
from alembic import op
import sqlalchemy as sa

import gateway.persistence.types

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
When = gateway.persistence.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table('institutions') as batch:
        batch.add_column(sa.Column('department_role', sa.String(length=24), nullable=True))
    op.create_table('institution_purposes',
    sa.Column('id', Id, nullable=False),
    sa.Column('institution_id', Id, nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('granted_at', When, nullable=False),
    sa.Column('granted_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'],
                            name=op.f('fk_institution_purposes_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_institution_purposes')),
    sa.UniqueConstraint('institution_id', 'purpose', name=op.f('uq_institution_purposes_institution_id_purpose'))
    )
    op.create_index(op.f('ix_institution_purposes_institution_id'), 'institution_purposes', ['institution_id'],
                    unique=False)
    op.create_table('department_queries',
    sa.Column('id', Id, nullable=False),
    sa.Column('query_id', sa.String(length=40), nullable=False),
    sa.Column('institution_id', Id, nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('case_reference', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('person_indexes', sa.JSON(), nullable=False),
    sa.Column('unit_code', sa.String(length=28), nullable=True),
    sa.Column('returned', sa.Text(), nullable=False),
    sa.Column('answer_sha256', sa.String(length=64), nullable=False),
    sa.Column('at', When, nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'],
                            name=op.f('fk_department_queries_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_department_queries')),
    sa.UniqueConstraint('query_id', name=op.f('uq_department_queries_query_id'))
    )
    op.create_index('ix_department_queries_institution_at', 'department_queries', ['institution_id', 'at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_department_queries_institution_at', table_name='department_queries')
    op.drop_table('department_queries')
    op.drop_index(op.f('ix_institution_purposes_institution_id'), table_name='institution_purposes')
    op.drop_table('institution_purposes')
    with op.batch_alter_table('institutions') as batch:
        batch.drop_column('department_role')
