"""register, clock, steps

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 23:29:13.517104
"""
from alembic import op
import sqlalchemy as sa


import gateway.persistence.types

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('calendar_years',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('schedule', sa.String(length=20000), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('loaded_at', gateway.persistence.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_calendar_years'))
    )
    op.create_table('encumbrances',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('unit_code', sa.String(length=28), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=False),
    sa.Column('holder_name', sa.String(length=100), nullable=True),
    sa.Column('holder_id_number', sa.String(length=40), nullable=True),
    sa.Column('registered_on', sa.Date(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('lifted_on', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_encumbrances'))
    )
    with op.batch_alter_table('encumbrances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_encumbrances_unit_code'), ['unit_code'], unique=False)

    op.create_table('property_units',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('unit_code', sa.String(length=28), nullable=False),
    sa.Column('location', sa.String(length=300), nullable=False),
    sa.Column('use', sa.String(length=20), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('needs_survey', sa.Boolean(), nullable=False),
    sa.Column('created_at', gateway.persistence.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_property_units')),
    sa.UniqueConstraint('unit_code', name=op.f('uq_property_units_unit_code'))
    )
    op.create_table('unit_owners',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('unit_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('id_type', sa.String(length=20), nullable=False),
    sa.Column('id_number', sa.String(length=40), nullable=False),
    sa.Column('share', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['property_units.id'], name=op.f('fk_unit_owners_unit_id_property_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_owners'))
    )
    with op.batch_alter_table('unit_owners', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_owners_id_number'), ['id_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_unit_owners_unit_id'), ['unit_id'], unique=False)

    op.create_table('application_extensions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('application_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('working_days', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('at', gateway.persistence.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_application_extensions_application_id_applications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_application_extensions'))
    )
    with op.batch_alter_table('application_extensions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_application_extensions_application_id'), ['application_id'], unique=False)

    op.create_table('application_pauses',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('application_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('started_at', gateway.persistence.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', gateway.persistence.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_application_pauses_application_id_applications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_application_pauses'))
    )
    with op.batch_alter_table('application_pauses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_application_pauses_application_id'), ['application_id'], unique=False)

    op.create_table('application_steps',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('application_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('institution_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('step', sa.String(length=24), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=True),
    sa.Column('started_at', gateway.persistence.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', gateway.persistence.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_application_steps_application_id_applications')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_application_steps_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_application_steps'))
    )
    with op.batch_alter_table('application_steps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_application_steps_application_id'), ['application_id'], unique=False)
        batch_op.create_index('ix_application_steps_step_started', ['step', 'started_at'], unique=False)

    op.create_table('identities_on_file',
    sa.Column('id_number', sa.String(length=40), nullable=False),
    sa.Column('application_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('recorded_at', gateway.persistence.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_identities_on_file_application_id_applications')),
    sa.PrimaryKeyConstraint('id_number', name=op.f('pk_identities_on_file'))
    )
    op.create_table('registration_entries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('mortgage_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('application_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('registration_type', sa.String(length=32), nullable=False),
    sa.Column('certificate_no', sa.String(length=64), nullable=False),
    sa.Column('registered_at', gateway.persistence.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_registration_entries_application_id_applications')),
    sa.ForeignKeyConstraint(['mortgage_id'], ['registered_mortgages.id'], name=op.f('fk_registration_entries_mortgage_id_registered_mortgages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registration_entries')),
    sa.UniqueConstraint('application_id', name=op.f('uq_registration_entries_application_id')),
    sa.UniqueConstraint('certificate_no', name=op.f('uq_registration_entries_certificate_no'))
    )
    with op.batch_alter_table('registration_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registration_entries_mortgage_id'), ['mortgage_id'], unique=False)

    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deadline_provisional', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('triage', sa.String(length=16), nullable=False, server_default='SIMPLE'))
        batch_op.add_column(sa.Column('findings', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('fee_amount', sa.Numeric(precision=10, scale=2), nullable=True))
        batch_op.add_column(sa.Column('link_group', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('link_position', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('link_size', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_applications_link_group'), ['link_group'], unique=False)

    # Mortgages registered by the spine become GENERAL mortgages of the named mortgagee, each
    # with its first registration entry; the mortgagee moves from an FK to code and name.
    with op.batch_alter_table('registered_mortgages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), nullable=False, server_default='GENERAL'))
        batch_op.add_column(sa.Column('mortgagee_code', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('mortgagee_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('maximum_claim_amount', sa.Numeric(precision=17, scale=2), nullable=True))
        batch_op.add_column(sa.Column('claim_period_start', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('claim_period_end', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('mortgagor_id_numbers', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('received_at', gateway.persistence.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('ended_at', gateway.persistence.types.UTCDateTime(timezone=True), nullable=True))
    op.execute("""
        UPDATE registered_mortgages SET
            status = 'IN_FORCE',
            mortgagee_code = (SELECT code FROM institutions WHERE institutions.id = registered_mortgages.mortgagee_id),
            mortgagee_name = (SELECT name FROM institutions WHERE institutions.id = registered_mortgages.mortgagee_id),
            received_at = (SELECT received_at FROM applications WHERE applications.id = registered_mortgages.application_id)
    """)
    op.execute("""
        INSERT INTO registration_entries (mortgage_id, application_id, registration_type, certificate_no, registered_at)
        SELECT id, application_id, 'MORTGAGE_FIRST', certificate_no, registered_at FROM registered_mortgages
    """)
    with op.batch_alter_table('registered_mortgages', schema=None) as batch_op:
        batch_op.alter_column('mortgagee_code', existing_type=sa.String(length=32), nullable=False)
        batch_op.alter_column('mortgagee_name', existing_type=sa.String(length=200), nullable=False)
        batch_op.alter_column('received_at', existing_type=gateway.persistence.types.UTCDateTime(timezone=True), nullable=False)
        batch_op.alter_column('application_id', existing_type=sa.INTEGER(), nullable=True)
        batch_op.alter_column('secured_amount', existing_type=sa.NUMERIC(precision=17, scale=2), nullable=True)
        batch_op.alter_column('debt_start', existing_type=sa.DATE(), nullable=True)
        batch_op.alter_column('debt_end', existing_type=sa.DATE(), nullable=True)
        batch_op.drop_constraint(batch_op.f('uq_registered_mortgages_application_id'), type_='unique')
        batch_op.drop_constraint(batch_op.f('uq_registered_mortgages_unit_code_priority'), type_='unique')
        batch_op.create_index(batch_op.f('ix_registered_mortgages_mortgagee_code'), ['mortgagee_code'], unique=False)
        batch_op.create_index('uq_registered_mortgages_in_force_priority', ['unit_code', 'priority'], unique=True, postgresql_where=sa.text("status = 'IN_FORCE'"), sqlite_where=sa.text("status = 'IN_FORCE'"))
        batch_op.drop_constraint(batch_op.f('fk_registered_mortgages_mortgagee_id_institutions'), type_='foreignkey')
        batch_op.drop_column('mortgagee_id')



def downgrade() -> None:
    # Lossless only while the register holds nothing beyond what the spine could record.
    op.drop_table('identities_on_file')
    with op.batch_alter_table('registered_mortgages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mortgagee_id', sa.INTEGER(), nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_registered_mortgages_mortgagee_id_institutions'), 'institutions', ['mortgagee_id'], ['id'])
        batch_op.drop_index('uq_registered_mortgages_in_force_priority', postgresql_where=sa.text("status = 'IN_FORCE'"), sqlite_where=sa.text("status = 'IN_FORCE'"))
        batch_op.drop_index(batch_op.f('ix_registered_mortgages_mortgagee_code'))
        batch_op.create_unique_constraint(batch_op.f('uq_registered_mortgages_unit_code_priority'), ['unit_code', 'priority'])
        batch_op.create_unique_constraint(batch_op.f('uq_registered_mortgages_application_id'), ['application_id'])
        batch_op.alter_column('debt_end',
               existing_type=sa.DATE(),
               nullable=False)
        batch_op.alter_column('debt_start',
               existing_type=sa.DATE(),
               nullable=False)
        batch_op.alter_column('secured_amount',
               existing_type=sa.NUMERIC(precision=17, scale=2),
               nullable=False)
        batch_op.alter_column('application_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('ended_at')
        batch_op.drop_column('received_at')
        batch_op.drop_column('mortgagor_id_numbers')
        batch_op.drop_column('claim_period_end')
        batch_op.drop_column('claim_period_start')
        batch_op.drop_column('maximum_claim_amount')
        batch_op.drop_column('mortgagee_name')
        batch_op.drop_column('mortgagee_code')
        batch_op.drop_column('kind')

    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_applications_link_group'))
        batch_op.drop_column('link_size')
        batch_op.drop_column('link_position')
        batch_op.drop_column('link_group')
        batch_op.drop_column('fee_amount')
        batch_op.drop_column('findings')
        batch_op.drop_column('triage')
        batch_op.drop_column('deadline_provisional')

    with op.batch_alter_table('registration_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registration_entries_mortgage_id'))

    op.drop_table('registration_entries')
    with op.batch_alter_table('application_steps', schema=None) as batch_op:
        batch_op.drop_index('ix_application_steps_step_started')
        batch_op.drop_index(batch_op.f('ix_application_steps_application_id'))

    op.drop_table('application_steps')
    with op.batch_alter_table('application_pauses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_application_pauses_application_id'))

    op.drop_table('application_pauses')
    with op.batch_alter_table('application_extensions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_application_extensions_application_id'))

    op.drop_table('application_extensions')
    with op.batch_alter_table('unit_owners', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_owners_unit_id'))
        batch_op.drop_index(batch_op.f('ix_unit_owners_id_number'))

    op.drop_table('unit_owners')
    op.drop_table('property_units')
    with op.batch_alter_table('encumbrances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_encumbrances_unit_code'))

    op.drop_table('encumbrances')
    op.drop_table('calendar_years')
