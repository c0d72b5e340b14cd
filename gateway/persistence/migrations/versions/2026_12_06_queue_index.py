"""queue index: the reviewers' queue read in (due_date, id) order from a partial index

The (status, due_date, id) index cannot return rows in (due_date, id) order across
``status IN ('QUEUED', 'IN_REVIEW')``; this one can, and it holds open applications only.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# As gateway.applications.states.QUEUE_STATUSES was when this migration was written; a test
# checks that the migrated index and the constant still agree.
QUEUE_PREDICATE = sa.text("status IN ('QUEUED', 'IN_REVIEW')")


def upgrade() -> None:
    op.create_index('ix_applications_open_queue', 'applications', ['due_date', 'id'], unique=False,
                    postgresql_where=QUEUE_PREDICATE, sqlite_where=QUEUE_PREDICATE)


def downgrade() -> None:
    op.drop_index('ix_applications_open_queue', table_name='applications')
