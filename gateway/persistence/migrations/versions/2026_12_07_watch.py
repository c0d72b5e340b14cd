"""title watch: subscriptions and notices

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 00:00:00
"""
from alembic import op
import sqlalchemy as sa

import gateway.persistence.types

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
When = gateway.persistence.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('watch_subscriptions',
    sa.Column('id', Id, nullable=False),
    sa.Column('institution_id', Id, nullable=False),
    sa.Column('application_id', Id, nullable=False),
    sa.Column('unit_code', sa.String(length=28), nullable=False),
    sa.Column('created_at', When, nullable=False),
    sa.Column('ended_at', When, nullable=True),
    sa.Column('end_reason', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'],
                            name=op.f('fk_watch_subscriptions_application_id_applications')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'],
                            name=op.f('fk_watch_subscriptions_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_watch_subscriptions')),
    sa.UniqueConstraint('application_id', name=op.f('uq_watch_subscriptions_application_id'))
    )
    op.create_index(op.f('ix_watch_subscriptions_institution_id'), 'watch_subscriptions', ['institution_id'],
                    unique=False)
    op.create_index(op.f('ix_watch_subscriptions_unit_code'), 'watch_subscriptions', ['unit_code'], unique=False)
    op.create_table('watch_notices',
    sa.Column('id', Id, nullable=False),
    sa.Column('notice_id', sa.String(length=32), nullable=False),
    sa.Column('institution_id', Id, nullable=False),
    sa.Column('event_key', sa.String(length=64), nullable=False),
    sa.Column('unit_code', sa.String(length=28), nullable=False),
    sa.Column('event_kind', sa.String(length=32), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=False),
    sa.Column('registered_on', sa.Date(), nullable=False),
    sa.Column('registered_at', When, nullable=True),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.Column('watched_by', sa.JSON(), nullable=False),
    sa.Column('created_at', When, nullable=False),
    sa.Column('published_at', When, nullable=True),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'],
                            name=op.f('fk_watch_notices_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_watch_notices')),
    sa.UniqueConstraint('institution_id', 'event_key', name=op.f('uq_watch_notices_institution_id_event_key')),
    sa.UniqueConstraint('notice_id', name=op.f('uq_watch_notices_notice_id'))
    )
    op.create_index('ix_watch_notices_unpublished', 'watch_notices', ['published_at', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_watch_notices_unpublished', table_name='watch_notices')
    op.drop_table('watch_notices')
    op.drop_index(op.f('ix_watch_subscriptions_unit_code'), table_name='watch_subscriptions')
    op.drop_index(op.f('ix_watch_subscriptions_institution_id'), table_name='watch_subscriptions')
    op.drop_table('watch_subscriptions')
