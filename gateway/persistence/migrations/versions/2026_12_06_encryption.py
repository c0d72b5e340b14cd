"""personal data encrypted at rest: blind indexes, ciphertext columns, existing rows encrypted

Every column that holds personal data becomes AES-256-GCM ciphertext (gateway.protection): text
columns become TEXT on PostgreSQL (a ciphertext is longer than the VARCHAR it replaces), JSON columns
become TEXT holding a sealed JSON document, binary columns keep their type. Existing rows are sealed
in place, so ``gateway db upgrade`` needs the data keys (settings or key files, as the gateway itself:
docs/operations.md); on an empty database no key is touched. Owners get a blind index of their ID
number, and identities on file are kept by that index instead of the number.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 22:00:00
"""
import json

from alembic import op
import sqlalchemy as sa

from gateway.persistence.types import UTCDateTime

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

BATCH = 500
# (table, column, kind before this revision): kind is text, json or bytes.
ENCRYPTED = (
    ('materials', 'content', 'bytes'),
    ('applications', 'canonical', 'json'),
    ('applications', 'decision_reason', 'text'),
    ('application_materials', 'file_name', 'text'),
    ('application_events', 'note', 'json'),
    ('application_pauses', 'reason', 'text'),
    ('signed_documents', 'content', 'bytes'),
    ('property_units', 'location', 'text'),
    ('unit_owners', 'name', 'text'),
    ('unit_owners', 'id_number', 'text'),
    ('registered_mortgages', 'mortgagor_id_numbers', 'json'),
    ('registration_entries', 'summary', 'json'),
    ('encumbrances', 'holder_name', 'text'),
    ('encumbrances', 'holder_id_number', 'text'),
    ('certificates', 'pdf', 'bytes'),
    ('certificates', 'xml', 'bytes'),
    ('postal_requests', 'recipient', 'text'),
    ('postal_requests', 'phone', 'text'),
    ('postal_requests', 'address', 'text'),
    ('staff_users', 'totp_secret', 'text'),
)
# The types the columns had at 0007, for the way back.
BEFORE = {
    ('applications', 'canonical'): sa.JSON(), ('applications', 'decision_reason'): sa.Text(),
    ('application_materials', 'file_name'): sa.String(200), ('application_events', 'note'): sa.JSON(),
    ('application_pauses', 'reason'): sa.String(500), ('property_units', 'location'): sa.String(300),
    ('unit_owners', 'name'): sa.String(100), ('unit_owners', 'id_number'): sa.String(40),
    ('registered_mortgages', 'mortgagor_id_numbers'): sa.JSON(), ('registration_entries', 'summary'): sa.JSON(),
    ('encumbrances', 'holder_name'): sa.String(100), ('encumbrances', 'holder_id_number'): sa.String(40),
    ('postal_requests', 'recipient'): sa.String(100), ('postal_requests', 'phone'): sa.String(30),
    ('postal_requests', 'address'): sa.String(300), ('staff_users', 'totp_secret'): sa.String(64),
}
_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    bind = op.get_bind()
    postgresql = bind.dialect.name == 'postgresql'
    if bind.dialect.name == 'sqlite':
        # The plaintext a page held is overwritten with zeros when it is freed or rewritten, not left behind.
        op.execute('PRAGMA secure_delete = ON')
    if postgresql:
        for table, column, kind in ENCRYPTED:
            if kind != 'bytes':
                op.alter_column(table, column, type_=sa.Text(), existing_nullable=True,
                                postgresql_using=f'{column}::text')
    op.add_column('unit_owners', sa.Column('id_number_index', sa.String(length=64), nullable=True))
    _index_owners(bind)
    op.drop_index(op.f('ix_unit_owners_id_number'), table_name='unit_owners')
    with op.batch_alter_table('unit_owners', schema=None) as batch_op:
        batch_op.alter_column('id_number_index', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_index(batch_op.f('ix_unit_owners_id_number_index'), ['id_number_index'], unique=False)
    _identities_by_index(bind)
    for table, column, kind in ENCRYPTED:
        _seal_column(bind, table, column, binary=kind == 'bytes')


def downgrade() -> None:
    bind = op.get_bind()
    for table, column, kind in ENCRYPTED:
        _open_column(bind, table, column, binary=kind == 'bytes')
    _identities_by_number(bind)
    with op.batch_alter_table('unit_owners', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_owners_id_number_index'))
        batch_op.drop_column('id_number_index')
    op.create_index(op.f('ix_unit_owners_id_number'), 'unit_owners', ['id_number'], unique=False)
    if bind.dialect.name == 'postgresql':
        for table, column, kind in ENCRYPTED:
            if kind != 'bytes':
                before = BEFORE[(table, column)]
                using = f'{column}::json' if isinstance(before, sa.JSON) else None
                op.alter_column(table, column, type_=before, existing_type=sa.Text(), postgresql_using=using)


def _sealer():
    from gateway.protection.registry import INSTALLED

    return INSTALLED


def _index_owners(bind) -> None:
    owners = sa.table('unit_owners', sa.column('id', _ID), sa.column('id_number', sa.Text()),
                      sa.column('id_number_index', sa.String()))
    rows = bind.execute(sa.select(owners.c.id, owners.c.id_number)).all()
    if rows:
        keyring = _sealer().get()
        bind.execute(owners.update().where(owners.c.id == sa.bindparam('owner_id')).values(
            id_number_index=sa.bindparam('index')),
            [{'owner_id': row.id, 'index': keyring.blind_index(row.id_number)} for row in rows])


def _identities_by_index(bind) -> None:
    """identities_on_file keyed by the blind index: the rows are read, the table rebuilt, the rows put back."""
    old = sa.table('identities_on_file', sa.column('id_number', sa.String()), sa.column('application_id', _ID),
                   sa.column('recorded_at', UTCDateTime()))
    rows = bind.execute(sa.select(old.c.id_number, old.c.application_id, old.c.recorded_at)
                        .order_by(old.c.recorded_at, old.c.application_id)).all()
    op.drop_table('identities_on_file')
    new = _identities_table('id_number_index', sa.String(length=64))
    if rows:
        keyring, kept = _sealer().get(), {}
        for row in rows:  # numbers typed differently (case, spaces) are one identity: the earliest is kept
            kept.setdefault(keyring.blind_index(row.id_number), row)
        op.bulk_insert(new, [{'id_number_index': index, 'application_id': row.application_id,
                              'recorded_at': row.recorded_at} for index, row in kept.items()])


def _identities_by_number(bind) -> None:
    """The way back: each index's number is found among the mortgagors of the application that filed it."""
    from gateway.protection import cipher

    old = sa.table('identities_on_file', sa.column('id_number_index', sa.String()), sa.column('application_id', _ID),
                   sa.column('recorded_at', UTCDateTime()))
    applications = sa.table('applications', sa.column('id', _ID), sa.column('canonical', sa.Text()))
    rows = bind.execute(sa.select(old.c.id_number_index, old.c.application_id, old.c.recorded_at)).all()
    restored = []
    for row in rows:
        canonical = bind.execute(sa.select(applications.c.canonical)
                                 .where(applications.c.id == row.application_id)).scalar_one()
        if isinstance(canonical, str) and cipher.key_id_of(canonical):
            canonical = cipher.open_text(_sealer(), canonical, 'applications.canonical')
        mortgagors = (json.loads(canonical) if isinstance(canonical, str) else canonical).get('mortgagors', [])
        keyring = _sealer().get()
        number = next((p['id_number'] for p in mortgagors if keyring.blind_index(p['id_number']) == row.id_number_index),
                      None)
        if number is not None:
            restored.append({'id_number': number, 'application_id': row.application_id,
                             'recorded_at': row.recorded_at})
    op.drop_table('identities_on_file')
    new = _identities_table('id_number', sa.String(length=40))
    if restored:
        op.bulk_insert(new, restored)


def _identities_table(key: str, key_type) -> sa.Table:
    return op.create_table(
        'identities_on_file',
        sa.Column(key, key_type, nullable=False),
        sa.Column('application_id', _ID, nullable=False),
        sa.Column('recorded_at', UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['application_id'], ['applications.id'],
                                name=op.f('fk_identities_on_file_application_id_applications')),
        sa.PrimaryKeyConstraint(key, name=op.f('pk_identities_on_file')),
    )


def _seal_column(bind, table: str, column: str, *, binary: bool) -> None:
    """Seal every plaintext value of one column, in batches of BATCH rows by id; sealed ones are left."""
    _rewrite(bind, table, column, binary=binary, seal=True)


def _open_column(bind, table: str, column: str, *, binary: bool) -> None:
    _rewrite(bind, table, column, binary=binary, seal=False)


def _rewrite(bind, table: str, column: str, *, binary: bool, seal: bool) -> None:
    from gateway.protection import cipher

    context = f'{table}.{column}'
    rows_of = sa.table(table, sa.column('id', _ID), sa.column(column, sa.LargeBinary() if binary else sa.Text()))
    key, value_column = rows_of.c.id, rows_of.c[column]
    last = None
    while True:
        statement = sa.select(key, value_column).where(value_column.is_not(None)).order_by(key).limit(BATCH)
        if last is not None:
            statement = statement.where(key > last)
        rows = bind.execute(statement).all()
        if not rows:
            return
        last = rows[-1][0]
        changed = []
        for row_id, value in rows:
            sealed = cipher.key_id_of(value) is not None
            if seal and not sealed:
                new = (cipher.seal_bytes(_sealer(), bytes(value), context) if binary
                       else cipher.seal_text(_sealer(), value, context))
            elif not seal and sealed:
                new = (cipher.open_bytes(_sealer(), bytes(value), context) if binary
                       else cipher.open_text(_sealer(), value, context))
            else:
                continue
            changed.append({'row_id': row_id, 'value': new})
        if changed:
            bind.execute(rows_of.update().where(key == sa.bindparam('row_id')).values({column: sa.bindparam('value')}),
                         changed)
