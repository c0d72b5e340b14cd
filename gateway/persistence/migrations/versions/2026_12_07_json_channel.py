"""the JSON + JWS channel: documents' media types, institutions' output format

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 00:00:00
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

import gateway.persistence.types  # noqa: F401

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
When = gateway.persistence.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table('signed_documents') as batch:
        batch.add_column(sa.Column('media_type', sa.String(length=40), server_default='application/xml',
                                   nullable=False))
    with op.batch_alter_table('applications') as batch:
        batch.add_column(sa.Column('output_format', sa.String(length=8), server_default='xml', nullable=False))
    with op.batch_alter_table('institutions') as batch:
        batch.add_column(sa.Column('output_format', sa.String(length=8), server_default='xml', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('institutions') as batch:
        batch.drop_column('output_format')
    with op.batch_alter_table('applications') as batch:
        batch.drop_column('output_format')
    with op.batch_alter_table('signed_documents') as batch:
        batch.drop_column('media_type')
