"""registration events and department subscriptions

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 00:00:00
"""
from alembic import op
import sqlalchemy as sa

import gateway.persistence.types

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
When = gateway.persistence.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('registration_events',
    sa.Column('id', Id, nullable=False),
    sa.Column('event_id', sa.String(length=32), nullable=False),
    sa.Column('event_type', sa.String(length=32), nullable=False),
    sa.Column('unit_code', sa.String(length=28), nullable=False),
    sa.Column('certificate_no', sa.String(length=64), nullable=False),
    sa.Column('application_no', sa.String(length=20), nullable=True),
    sa.Column('registered_at', When, nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('signed', sa.LargeBinary(), nullable=True),
    sa.Column('signed_at', When, nullable=True),
    sa.Column('created_at', When, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registration_events')),
    sa.UniqueConstraint('certificate_no', name=op.f('uq_registration_events_certificate_no')),
    sa.UniqueConstraint('event_id', name=op.f('uq_registration_events_event_id'))
    )
    op.create_index(op.f('ix_registration_events_unit_code'), 'registration_events', ['unit_code'], unique=False)
    op.create_table('registration_event_publications',
    sa.Column('id', Id, nullable=False),
    sa.Column('event_id', Id, nullable=False),
    sa.Column('institution_id', Id, nullable=False),
    sa.Column('created_at', When, nullable=False),
    sa.Column('published_at', When, nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['registration_events.id'],
                            name=op.f('fk_registration_event_publications_event_id_registration_events')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'],
                            name=op.f('fk_registration_event_publications_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registration_event_publications')),
    sa.UniqueConstraint('event_id', 'institution_id',
                        name=op.f('uq_registration_event_publications_event_id_institution_id'))
    )
    op.create_index(op.f('ix_registration_event_publications_institution_id'), 'registration_event_publications',
                    ['institution_id'], unique=False)
    op.create_index('ix_registration_event_publications_unpublished', 'registration_event_publications',
                    ['published_at', 'id'], unique=False)
    op.create_table('department_subscriptions',
    sa.Column('id', Id, nullable=False),
    sa.Column('institution_id', Id, nullable=False),
    sa.Column('topic', sa.String(length=32), nullable=False),
    sa.Column('origin', sa.String(length=16), nullable=False),
    sa.Column('subscribed_at', When, nullable=False),
    sa.Column('ended_at', When, nullable=True),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'],
                            name=op.f('fk_department_subscriptions_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_department_subscriptions')),
    sa.UniqueConstraint('institution_id', 'topic', name=op.f('uq_department_subscriptions_institution_id_topic'))
    )


def downgrade() -> None:
    op.drop_table('department_subscriptions')
    op.drop_index('ix_registration_event_publications_unpublished', table_name='registration_event_publications')
    op.drop_index(op.f('ix_registration_event_publications_institution_id'),
                  table_name='registration_event_publications')
    op.drop_table('registration_event_publications')
    op.drop_index(op.f('ix_registration_events_unit_code'), table_name='registration_events')
    op.drop_table('registration_events')
