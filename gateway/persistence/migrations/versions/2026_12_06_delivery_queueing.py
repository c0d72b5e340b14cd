"""delivery queueing: at most one outstanding attempt message per delivery; task leases

``deliveries.queued_until`` says an attempt message was sent and has not run yet, so the sweep
sends no other. ``task_leases`` holds the lease of a running sweep (two sweeps never overlap)
and the marks of messages a sweep sent for other work (certificates).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 12:00:00
"""
from alembic import op
import sqlalchemy as sa

import gateway.persistence.types

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('task_leases',
    sa.Column('name', sa.String(length=96), nullable=False),
    sa.Column('holder', sa.String(length=32), nullable=False),
    sa.Column('until', gateway.persistence.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_task_leases'))
    )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('queued_until', gateway.persistence.types.UTCDateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_column('queued_until')
    op.drop_table('task_leases')
