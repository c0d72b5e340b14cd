"""web channel: who submitted through the staff web, sign-in throttling, browser sessions

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 23:58:00
"""
from alembic import op
import sqlalchemy as sa


import gateway.persistence.types

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=16), server_default='bank_xml', nullable=False))
        batch_op.add_column(sa.Column('submitted_by', sa.String(length=64), nullable=True))
    op.create_table('login_attempts',
    sa.Column('id', ID, nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('at', gateway.persistence.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempts'))
    )
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_attempts_at'), ['at'], unique=False)
        batch_op.create_index('ix_login_attempts_username_address_at', ['username', 'address', 'at'], unique=False)
    op.create_table('web_sessions',
    sa.Column('id', ID, nullable=False),
    sa.Column('key_sha256', sa.String(length=64), nullable=False),
    sa.Column('user_id', ID, nullable=False),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', gateway.persistence.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', gateway.persistence.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', gateway.persistence.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['staff_users.id'], name=op.f('fk_web_sessions_user_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_web_sessions')),
    sa.UniqueConstraint('key_sha256', name=op.f('uq_web_sessions_key_sha256'))
    )
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_sessions_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_sessions_user_id'))
    op.drop_table('web_sessions')
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_login_attempts_username_address_at')
        batch_op.drop_index(batch_op.f('ix_login_attempts_at'))
    op.drop_table('login_attempts')
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_column('submitted_by')
        batch_op.drop_column('channel')
