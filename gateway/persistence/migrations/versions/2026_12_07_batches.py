"""the batch channel: bundles and their items

``batches``: one row per accepted bundle, unique per institution and the bank's batch id
(``reference``), with its item count and the lease of the task working on it.
``batch_items``: the signed applications of a bundle (``content`` sealed like signed documents),
each pending until the background intake received or refused it.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 00:00:00
"""
from alembic import op
import sqlalchemy as sa

import gateway.persistence.types

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
When = gateway.persistence.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('batches',
    sa.Column('id', Id, nullable=False),
    sa.Column('institution_id', Id, nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('bundle_sha256', sa.String(length=64), nullable=False),
    sa.Column('bundle_bytes', sa.Integer(), nullable=False),
    sa.Column('created_at', When, nullable=False),
    sa.Column('received_at', When, nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('items_total', sa.Integer(), nullable=False),
    sa.Column('completed_at', When, nullable=True),
    sa.Column('ticket', sa.Integer(), nullable=False),
    sa.Column('lease_until', When, nullable=True),
    sa.Column('queued_until', When, nullable=True),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_batches_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_batches')),
    sa.UniqueConstraint('institution_id', 'reference', name=op.f('uq_batches_institution_id_reference'))
    )
    op.create_table('batch_items',
    sa.Column('id', Id, nullable=False),
    sa.Column('batch_id', Id, nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.Column('file', sa.String(length=120), nullable=False),
    sa.Column('format', sa.String(length=8), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('detached_signature', sa.Text(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('application_no', sa.String(length=32), nullable=True),
    sa.Column('code', sa.String(length=64), nullable=True),
    sa.Column('processed_at', When, nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], name=op.f('fk_batch_items_batch_id_batches')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_batch_items')),
    sa.UniqueConstraint('batch_id', 'position', name=op.f('uq_batch_items_batch_id_position')),
    sa.UniqueConstraint('batch_id', 'request_id', name=op.f('uq_batch_items_batch_id_request_id'))
    )
    with op.batch_alter_table('batch_items', schema=None) as batch_op:
        batch_op.create_index('ix_batch_items_state', ['batch_id', 'state', 'position'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('batch_items', schema=None) as batch_op:
        batch_op.drop_index('ix_batch_items_state')
    op.drop_table('batch_items')
    op.drop_table('batches')
