"""the tamper-evident audit trail: hash-chained entries and signed checkpoints

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 22:00:00
"""
from alembic import op
import sqlalchemy as sa

import gateway.persistence.types

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
When = gateway.persistence.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('audit_entries',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('at', When, nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('actor_role', sa.String(length=16), nullable=False),
    sa.Column('action', sa.String(length=48), nullable=False),
    sa.Column('subject_kind', sa.String(length=32), nullable=False),
    sa.Column('subject', sa.String(length=100), nullable=False),
    sa.Column('unit_codes', sa.JSON(), nullable=False),
    sa.Column('person_indexes', sa.JSON(), nullable=False),
    sa.Column('purpose', sa.String(length=200), nullable=True),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('entry_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_entries'))
    )
    op.create_table('audit_lookups',
    sa.Column('id', Id, nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['seq'], ['audit_entries.seq'], name=op.f('fk_audit_lookups_seq_audit_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_lookups'))
    )
    op.create_index('ix_audit_lookups_key_seq', 'audit_lookups', ['key', 'seq'], unique=False)
    op.create_table('audit_chain_head',
    sa.Column('id', Id, nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('entry_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain_head'))
    )
    # Its one row is created by the first append (gateway/audit/chain.py): an empty database stays empty.
    op.create_table('audit_checkpoints',
    sa.Column('id', Id, nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('entry_hash', sa.String(length=64), nullable=False),
    sa.Column('at', When, nullable=False),
    sa.Column('certificate_pem', sa.Text(), nullable=False),
    sa.Column('signature', sa.LargeBinary(), nullable=False),
    sa.Column('timestamp_token', sa.LargeBinary(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_checkpoints'))
    )
    op.create_index(op.f('ix_audit_checkpoints_seq'), 'audit_checkpoints', ['seq'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_audit_checkpoints_seq'), table_name='audit_checkpoints')
    op.drop_table('audit_checkpoints')
    op.drop_table('audit_chain_head')
    op.drop_index('ix_audit_lookups_key_seq', table_name='audit_lookups')
    op.drop_table('audit_lookups')
    op.drop_table('audit_entries')
