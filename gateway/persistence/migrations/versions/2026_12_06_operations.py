"""operations: institution status and branches, certificate revocation reasons, admin actions,
staff second factor and recovery codes, delivery attempts, used HTTP signatures

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 21:00:00
"""
from alembic import op
import sqlalchemy as sa

import gateway.persistence.types

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
When = gateway.persistence.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table('institutions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=16), server_default='active', nullable=False))
        batch_op.add_column(sa.Column('disabled_at', When, nullable=True))
        batch_op.add_column(sa.Column('disabled_reason', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('parent_id', Id, nullable=True))
        batch_op.add_column(sa.Column('updated_at', When, nullable=True))
        batch_op.create_index(batch_op.f('ix_institutions_parent_id'), ['parent_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_institutions_parent_id_institutions'), 'institutions',
                                    ['parent_id'], ['id'])
    with op.batch_alter_table('institution_certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revocation_reason', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('revoked_by', sa.String(length=64), nullable=True))
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('updated_at', When, nullable=True))
        batch_op.add_column(sa.Column('password_reset_required', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('totp_enabled_at', When, nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.BigInteger(), nullable=True))
    op.create_table('staff_recovery_codes',
    sa.Column('id', Id, nullable=False),
    sa.Column('user_id', Id, nullable=False),
    sa.Column('code_sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', When, nullable=False),
    sa.Column('used_at', When, nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['staff_users.id'], name=op.f('fk_staff_recovery_codes_user_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_recovery_codes'))
    )
    op.create_index(op.f('ix_staff_recovery_codes_user_id'), 'staff_recovery_codes', ['user_id'], unique=False)
    op.create_table('admin_actions',
    sa.Column('id', Id, nullable=False),
    sa.Column('at', When, nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('subject_kind', sa.String(length=32), nullable=False),
    sa.Column('subject', sa.String(length=100), nullable=False),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_actions'))
    )
    op.create_index(op.f('ix_admin_actions_at'), 'admin_actions', ['at'], unique=False)
    op.create_index(op.f('ix_admin_actions_subject'), 'admin_actions', ['subject'], unique=False)
    op.create_table('delivery_attempts',
    sa.Column('id', Id, nullable=False),
    sa.Column('delivery_id', Id, nullable=False),
    sa.Column('at', When, nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['delivery_id'], ['deliveries.id'], name=op.f('fk_delivery_attempts_delivery_id_deliveries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery_attempts'))
    )
    op.create_index(op.f('ix_delivery_attempts_delivery_id'), 'delivery_attempts', ['delivery_id'], unique=False)
    op.create_table('signature_uses',
    sa.Column('id', Id, nullable=False),
    sa.Column('signature_sha256', sa.String(length=64), nullable=False),
    sa.Column('institution_id', Id, nullable=False),
    sa.Column('expires_at', When, nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_signature_uses_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signature_uses')),
    sa.UniqueConstraint('signature_sha256', name=op.f('uq_signature_uses_signature_sha256'))
    )
    op.create_index(op.f('ix_signature_uses_expires_at'), 'signature_uses', ['expires_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_signature_uses_expires_at'), table_name='signature_uses')
    op.drop_table('signature_uses')
    op.drop_index(op.f('ix_delivery_attempts_delivery_id'), table_name='delivery_attempts')
    op.drop_table('delivery_attempts')
    op.drop_index(op.f('ix_admin_actions_subject'), table_name='admin_actions')
    op.drop_index(op.f('ix_admin_actions_at'), table_name='admin_actions')
    op.drop_table('admin_actions')
    op.drop_index(op.f('ix_staff_recovery_codes_user_id'), table_name='staff_recovery_codes')
    op.drop_table('staff_recovery_codes')
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        for name in ('totp_last_step', 'totp_enabled_at', 'totp_secret', 'password_reset_required', 'updated_at'):
            batch_op.drop_column(name)
    with op.batch_alter_table('institution_certificates', schema=None) as batch_op:
        batch_op.drop_column('revoked_by')
        batch_op.drop_column('revocation_reason')
    with op.batch_alter_table('institutions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_institutions_parent_id_institutions'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_institutions_parent_id'))
        for name in ('updated_at', 'parent_id', 'disabled_reason', 'disabled_at', 'status'):
            batch_op.drop_column(name)
