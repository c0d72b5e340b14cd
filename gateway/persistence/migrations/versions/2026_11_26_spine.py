"""spine: institutions, applications, register, outbox, deliveries

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 23:12:59.062752
"""
from alembic import op
import sqlalchemy as sa


import gateway.persistence.types

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('counters',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_counters'))
    )
    op.create_table('institutions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('callback_url', sa.String(length=500), nullable=True),
    sa.Column('created_at', gateway.persistence.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_institutions')),
    sa.UniqueConstraint('code', name=op.f('uq_institutions_code'))
    )
    op.create_table('outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('task', sa.String(length=64), nullable=False),
    sa.Column('args', sa.JSON(), nullable=False),
    sa.Column('created_at', gateway.persistence.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('dispatched_at', gateway.persistence.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_dispatched_at'), ['dispatched_at'], unique=False)

    op.create_table('institution_certificates',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('institution_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('pem', sa.Text(), nullable=False),
    sa.Column('subject', sa.String(length=500), nullable=False),
    sa.Column('not_before', gateway.persistence.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('not_after', gateway.persistence.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('registered_at', gateway.persistence.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', gateway.persistence.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_institution_certificates_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_institution_certificates')),
    sa.UniqueConstraint('fingerprint', name=op.f('uq_institution_certificates_fingerprint'))
    )
    with op.batch_alter_table('institution_certificates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_institution_certificates_institution_id'), ['institution_id'], unique=False)

    op.create_table('materials',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('institution_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('media_type', sa.String(length=100), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_at', gateway.persistence.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_materials_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_materials')),
    sa.UniqueConstraint('institution_id', 'sha256', name=op.f('uq_materials_institution_id_sha256'))
    )
    op.create_table('staff_users',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('institution_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', gateway.persistence.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_staff_users_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_users')),
    sa.UniqueConstraint('username', name=op.f('uq_staff_users_username'))
    )
    op.create_table('applications',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('application_no', sa.String(length=32), nullable=False),
    sa.Column('institution_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.Column('registration_type', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('unit_code', sa.String(length=28), nullable=False),
    sa.Column('request_sha256', sa.String(length=64), nullable=False),
    sa.Column('canonical', sa.JSON(), nullable=False),
    sa.Column('signature', sa.JSON(), nullable=False),
    sa.Column('request_created_at', gateway.persistence.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('received_at', gateway.persistence.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('claimed_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('claimed_at', gateway.persistence.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_at', gateway.persistence.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['claimed_by_id'], ['staff_users.id'], name=op.f('fk_applications_claimed_by_id_staff_users')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_applications_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_applications')),
    sa.UniqueConstraint('application_no', name=op.f('uq_applications_application_no')),
    sa.UniqueConstraint('institution_id', 'request_id', name=op.f('uq_applications_institution_id_request_id'))
    )
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_applications_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index('ix_applications_queue', ['status', 'due_date', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_applications_unit_code'), ['unit_code'], unique=False)

    op.create_table('application_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('application_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('from_status', sa.String(length=32), nullable=True),
    sa.Column('to_status', sa.String(length=32), nullable=False),
    sa.Column('actor_kind', sa.String(length=16), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('at', gateway.persistence.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('note', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_application_events_application_id_applications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_application_events'))
    )
    with op.batch_alter_table('application_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_application_events_application_id'), ['application_id'], unique=False)

    op.create_table('application_materials',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('application_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('material_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('type_code', sa.String(length=32), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_application_materials_application_id_applications')),
    sa.ForeignKeyConstraint(['material_id'], ['materials.id'], name=op.f('fk_application_materials_material_id_materials')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_application_materials'))
    )
    with op.batch_alter_table('application_materials', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_application_materials_application_id'), ['application_id'], unique=False)

    op.create_table('registered_mortgages',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('unit_code', sa.String(length=28), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('mortgagee_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('secured_amount', sa.Numeric(precision=17, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('debt_start', sa.Date(), nullable=False),
    sa.Column('debt_end', sa.Date(), nullable=False),
    sa.Column('certificate_no', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('registered_at', gateway.persistence.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_registered_mortgages_application_id_applications')),
    sa.ForeignKeyConstraint(['mortgagee_id'], ['institutions.id'], name=op.f('fk_registered_mortgages_mortgagee_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registered_mortgages')),
    sa.UniqueConstraint('application_id', name=op.f('uq_registered_mortgages_application_id')),
    sa.UniqueConstraint('certificate_no', name=op.f('uq_registered_mortgages_certificate_no')),
    sa.UniqueConstraint('unit_code', 'priority', name=op.f('uq_registered_mortgages_unit_code_priority'))
    )
    with op.batch_alter_table('registered_mortgages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registered_mortgages_unit_code'), ['unit_code'], unique=False)

    op.create_table('signed_documents',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('application_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', gateway.persistence.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_signed_documents_application_id_applications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signed_documents'))
    )
    with op.batch_alter_table('signed_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signed_documents_application_id'), ['application_id'], unique=False)

    op.create_table('deliveries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('institution_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('application_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('document_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', gateway.persistence.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('lease_until', gateway.persistence.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('last_attempt_at', gateway.persistence.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', gateway.persistence.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', gateway.persistence.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_deliveries_application_id_applications')),
    sa.ForeignKeyConstraint(['document_id'], ['signed_documents.id'], name=op.f('fk_deliveries_document_id_signed_documents')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_deliveries_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deliveries')),
    sa.UniqueConstraint('document_id', name=op.f('uq_deliveries_document_id'))
    )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deliveries_application_id'), ['application_id'], unique=False)
        batch_op.create_index('ix_deliveries_due', ['status', 'next_attempt_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_due')
        batch_op.drop_index(batch_op.f('ix_deliveries_application_id'))

    op.drop_table('deliveries')
    with op.batch_alter_table('signed_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signed_documents_application_id'))

    op.drop_table('signed_documents')
    with op.batch_alter_table('registered_mortgages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registered_mortgages_unit_code'))

    op.drop_table('registered_mortgages')
    with op.batch_alter_table('application_materials', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_application_materials_application_id'))

    op.drop_table('application_materials')
    with op.batch_alter_table('application_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_application_events_application_id'))

    op.drop_table('application_events')
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_applications_unit_code'))
        batch_op.drop_index('ix_applications_queue')
        batch_op.drop_index(batch_op.f('ix_applications_institution_id'))

    op.drop_table('applications')
    op.drop_table('staff_users')
    op.drop_table('materials')
    with op.batch_alter_table('institution_certificates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_institution_certificates_institution_id'))

    op.drop_table('institution_certificates')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_dispatched_at'))

    op.drop_table('outbox')
    op.drop_table('institutions')
    op.drop_table('counters')
