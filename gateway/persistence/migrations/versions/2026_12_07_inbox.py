"""the pull inbox: entries in one gapless order per institution, acknowledgements; deliveries of inbox entries

``inbox_entries`` holds every signed document published to an institution from this version on,
numbered 1, 2, 3, … per institution (``counters`` row ``inbox:<institution id>``); an entry refers
to its ``signed_documents`` row when there is one, else keeps the (encrypted) bytes itself.
``deliveries`` now deliver inbox entries: ``inbox_entry_id`` is added, and ``application_id`` and
``document_id`` may be empty (a watch notice concerns no application). Deliveries queued before
this version keep working from their ``document_id``.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 00:00:00
"""
from alembic import op
import sqlalchemy as sa

import gateway.persistence.types

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
When = gateway.persistence.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('inbox_entries',
    sa.Column('id', Id, nullable=False),
    sa.Column('institution_id', Id, nullable=False),
    sa.Column('sequence', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('application_id', Id, nullable=True),
    sa.Column('document_id', Id, nullable=True),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.Column('media_type', sa.String(length=100), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', When, nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_inbox_entries_application_id_applications')),
    sa.ForeignKeyConstraint(['document_id'], ['signed_documents.id'], name=op.f('fk_inbox_entries_document_id_signed_documents')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_inbox_entries_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox_entries')),
    sa.UniqueConstraint('institution_id', 'sequence', name=op.f('uq_inbox_entries_institution_id_sequence'))
    )
    with op.batch_alter_table('inbox_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbox_entries_application_id'), ['application_id'], unique=False)
    op.create_table('inbox_positions',
    sa.Column('institution_id', Id, nullable=False),
    sa.Column('acknowledged_sequence', sa.BigInteger(), nullable=False),
    sa.Column('acknowledged_at', When, nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_inbox_positions_institution_id_institutions')),
    sa.PrimaryKeyConstraint('institution_id', name=op.f('pk_inbox_positions'))
    )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('inbox_entry_id', Id, nullable=True))
        batch_op.alter_column('application_id', existing_type=Id, nullable=True)
        batch_op.alter_column('document_id', existing_type=Id, nullable=True)
        batch_op.create_unique_constraint(batch_op.f('uq_deliveries_inbox_entry_id'), ['inbox_entry_id'])
        batch_op.create_foreign_key(batch_op.f('fk_deliveries_inbox_entry_id_inbox_entries'), 'inbox_entries',
                                    ['inbox_entry_id'], ['id'])


def downgrade() -> None:
    # Deliveries of entries without an application or a document cannot exist in the old schema.
    orphans = "SELECT id FROM deliveries WHERE application_id IS NULL OR document_id IS NULL"
    op.execute(sa.text(f"DELETE FROM delivery_attempts WHERE delivery_id IN ({orphans})"))
    op.execute(sa.text("DELETE FROM deliveries WHERE application_id IS NULL OR document_id IS NULL"))
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_deliveries_inbox_entry_id_inbox_entries'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_deliveries_inbox_entry_id'), type_='unique')
        batch_op.alter_column('document_id', existing_type=Id, nullable=False)
        batch_op.alter_column('application_id', existing_type=Id, nullable=False)
        batch_op.drop_column('inbox_entry_id')
    op.drop_table('inbox_positions')
    with op.batch_alter_table('inbox_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbox_entries_application_id'))
    op.drop_table('inbox_entries')
    op.execute(sa.text("DELETE FROM counters WHERE name LIKE 'inbox:%'"))
