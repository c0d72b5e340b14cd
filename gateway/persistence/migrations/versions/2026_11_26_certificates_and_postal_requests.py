"""certificates and postal requests

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 23:49:33.236028
"""
from alembic import op
import sqlalchemy as sa


import gateway.persistence.types

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('certificates',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('registration_entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('application_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('certificate_no', sa.String(length=64), nullable=False),
    sa.Column('verification_code', sa.String(length=16), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('xml', sa.LargeBinary(), nullable=False),
    sa.Column('pdf_sha256', sa.String(length=64), nullable=False),
    sa.Column('xml_sha256', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('status_changed_at', gateway.persistence.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('status_reference', sa.String(length=64), nullable=True),
    sa.Column('revoke_reason', sa.String(length=500), nullable=True),
    sa.Column('generated_at', gateway.persistence.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_certificates_application_id_applications')),
    sa.ForeignKeyConstraint(['registration_entry_id'], ['registration_entries.id'], name=op.f('fk_certificates_registration_entry_id_registration_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificates')),
    sa.UniqueConstraint('certificate_no', name=op.f('uq_certificates_certificate_no')),
    sa.UniqueConstraint('registration_entry_id', name=op.f('uq_certificates_registration_entry_id')),
    sa.UniqueConstraint('verification_code', name=op.f('uq_certificates_verification_code'))
    )
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificates_application_id'), ['application_id'], unique=False)

    op.create_table('postal_requests',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('certificate_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('institution_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('recipient', sa.String(length=100), nullable=False),
    sa.Column('phone', sa.String(length=30), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('postcode', sa.String(length=6), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('tracking_no', sa.String(length=40), nullable=True),
    sa.Column('requested_at', gateway.persistence.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', gateway.persistence.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'], name=op.f('fk_postal_requests_certificate_id_certificates')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_postal_requests_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_postal_requests'))
    )
    with op.batch_alter_table('postal_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_postal_requests_certificate_id'), ['certificate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_postal_requests_institution_id'), ['institution_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('postal_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_postal_requests_institution_id'))
        batch_op.drop_index(batch_op.f('ix_postal_requests_certificate_id'))

    op.drop_table('postal_requests')
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificates_application_id'))

    op.drop_table('certificates')
