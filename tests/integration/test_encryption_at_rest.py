"""Personal data at rest: what the gateway stores is ciphertext, what it reads back is exactly what it
stored, a stored value that was altered is refused, the migration encrypts an existing database, and
``gateway keys rotate`` moves every value onto a new key even when interrupted.
"""
from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pytest
import sqlalchemy as sa
from lxml import etree
from sqlalchemy import select

from gateway.persistence.db import make_engine, make_session_factory, transaction
from gateway.persistence.migrate import downgrade, upgrade
from gateway.persistence.models import Application, Base, Material, SignedDocument
from gateway.protection import blind_index, cipher, install_for
from gateway.protection.columns import encrypted_columns
from gateway.protection.keyring import FileKeyProvider
from gateway.protection.rotation import NOT_ENCRYPTED, rotate, status
from gateway.register.models import Encumbrance, IdentityOnFile, PropertyUnit, RegisteredMortgage, UnitOwner
from gateway.settings import Settings
from tests.conftest import upload_materials
from tests.support import factories
from tests.support.scenarios import run_cli
from tests.support.tamper import PERSONAL_DATA
from tests.support.report import checked

NS = {"g": "urn:pingluo-bdc:mortgage-gateway:v1"}
WHEN = datetime(2026, 11, 20, 1, 0, tzinfo=timezone.utc)


def raw_values(engine) -> dict[str, list]:
    """Every stored value of every encrypted column, as the database holds it."""
    values = {}
    with engine.connect() as connection:
        present = set(sa.inspect(connection).get_table_names())  # at an older revision, later tables are not there
        for table, column, _, binary in encrypted_columns(Base.metadata):
            if table not in present:
                continue
            raw = sa.table(table, sa.column(column, sa.LargeBinary() if binary else sa.Text()))
            values[f"{table}.{column}"] = list(connection.scalars(select(raw.c[column]).where(raw.c[column].is_not(None))))
    return values


def as_bytes(value) -> bytes:
    return bytes(value) if isinstance(value, (bytes, memoryview)) else str(value).encode("utf-8")


def submit_and_approve(client, pki, bank_auth, reviewer) -> tuple[str, bytes]:
    upload_materials(client, bank_auth)
    request = factories.signed_request(factories.application(), pki.bank)
    response = client.post("/v1/applications", content=request, headers={"Content-Type": "application/xml"})
    assert response.status_code == 202, response.text
    number = etree.fromstring(response.content).findtext("g:ApplicationNo", namespaces=NS)
    assert client.post(f"/v1/review/applications/{number}/claim", headers=reviewer).status_code == 200
    assert client.post(f"/v1/review/applications/{number}/decision", json={"decision": "approve"},
                       headers=reviewer).status_code == 200
    assert client.app.state.runtime.wait_idle(60)
    return number, request


def test_an_approved_application_is_stored_as_ciphertext_and_reads_back_exactly(client, runtime, pki, bank_auth,
                                                                                reviewer):
    number, request = submit_and_approve(client, pki, bank_auth, reviewer)
    stored = raw_values(runtime.engine)
    plain = {column: len([v for v in values if cipher.key_id_of(v) is None]) for column, values in stored.items()}
    assert not any(plain.values()), f"values stored in clear: {plain}"
    raw = b"".join(as_bytes(v) for values in stored.values() for v in values)
    assert not [value for value in PERSONAL_DATA if value.encode() in raw]
    filled = sorted(column for column, values in stored.items() if values)
    assert {"applications.canonical", "signed_documents.content", "materials.content", "certificates.xml",
            "certificates.pdf", "registered_mortgages.mortgagor_id_numbers"} <= set(filled)
    checked(f"{sum(map(len, stored.values()))} values in {len(filled)} encrypted columns, none in clear")

    with runtime.sessions() as session:
        application = session.scalar(select(Application).where(Application.application_no == number))
        signed = session.scalar(select(SignedDocument).where(SignedDocument.application_id == application.id,
                                                             SignedDocument.kind == "request"))
        assert signed.content == request  # the verbatim bytes, as signed
        assert {p["id_number"] for p in application.canonical["mortgagors"]} == {
            p.id_number for p in factories.application().mortgagors}
        mortgage = session.scalar(select(RegisteredMortgage).where(RegisteredMortgage.application_id == application.id))
        assert mortgage.mortgagor_id_numbers == [p.id_number for p in factories.application().mortgagors]
        assert all(m.content == factories.MATERIALS[code] for code, m in
                   ((code, session.scalar(select(Material).where(Material.sha256 == factories.sha256(data))))
                    for code, data in factories.MATERIALS.items()))


def tamper(runtime, number: str, change) -> str:
    """Change the stored canonical JSON of an application in the database, behind the gateway's back."""
    table = sa.table("applications", sa.column("application_no"), sa.column("canonical", sa.Text()))
    with runtime.engine.begin() as connection:
        stored = connection.scalar(select(table.c.canonical).where(table.c.application_no == number))
        connection.execute(table.update().where(table.c.application_no == number).values(canonical=change(stored)))
        return change(stored)


def flip_one_bit(stored: str) -> str:
    prefix, body = stored.rsplit(":", 1)
    data = bytearray(__import__("base64").b64decode(body))
    data[20] ^= 0x01
    return prefix + ":" + __import__("base64").b64encode(bytes(data)).decode()


@pytest.mark.parametrize(("change", "code"), [
    (flip_one_bit, "data.undecryptable"),
    (lambda stored: stored.replace(cipher.key_id_of(stored), "k-retired", 1), "data.unknown_key"),
    (lambda stored: json.dumps({"mortgagors": []}), "data.undecryptable"),  # plaintext slipped in
])
def test_an_altered_stored_value_is_refused_and_never_shown(client, runtime, pki, bank_auth, reviewer, change, code):
    number, _ = submit_and_approve(client, pki, bank_auth, reviewer)
    tampered = tamper(runtime, number, change)
    response = client.get(f"/v1/review/applications/{number}", headers=reviewer)
    assert response.status_code == 503 and response.json()["code"] == code, response.text
    assert not [value for value in PERSONAL_DATA if value in response.text]
    table = sa.table("applications", sa.column("application_no"), sa.column("canonical", sa.Text()))
    with runtime.engine.connect() as connection:  # refused, not repaired
        assert connection.scalar(select(table.c.canonical).where(table.c.application_no == number)) == tampered


# --- the migration ----------------------------------------------------------------------------------------

OWNER = factories.application().mortgagors[0]
PLAIN_ROWS = {
    "institutions": [{"id": 1, "code": factories.BANK_CODE, "name": "测试银行", "kind": "bank", "created_at": WHEN,
                      "status": "active"}],
    "applications": [{"id": 1, "application_no": "64022120261120000001", "institution_id": 1, "request_id": "r-1",
                      "registration_type": "MORTGAGE_FIRST", "status": "QUEUED", "unit_code": factories.UNIT_CODE,
                      "request_sha256": "0" * 64, "canonical": json.dumps({"mortgagors": [
                          {"name": OWNER.name, "id_type": "RESIDENT_ID", "id_number": OWNER.id_number}]}),
                      "signature": "{}", "request_created_at": WHEN, "received_at": WHEN, "due_date": date(2026, 11, 27),
                      "deadline_provisional": False, "triage": "SIMPLE", "findings": "[]", "channel": "bank_xml",
                      "decision_reason": None}],
    "signed_documents": [{"id": 1, "application_id": 1, "kind": "request", "sha256": "0" * 64,
                          "content": f"<Party>{OWNER.name}</Party>".encode(), "created_at": WHEN}],
    "property_units": [{"id": 1, "unit_code": factories.UNIT_CODE, "location": "平罗县城关镇测试路1号",
                        "use": "RESIDENTIAL", "state": "TITLED", "needs_survey": False, "created_at": WHEN}],
    "unit_owners": [{"id": 1, "unit_id": 1, "name": OWNER.name, "id_type": "RESIDENT_ID",
                     "id_number": OWNER.id_number, "share": "1/1"}],
    "identities_on_file": [{"id_number": OWNER.id_number, "application_id": 1, "recorded_at": WHEN}],
    "encumbrances": [{"id": 1, "unit_code": factories.UNIT_CODE, "kind": "PRE_NOTICE", "reference": "X-1",
                      "holder_name": OWNER.name, "holder_id_number": OWNER.id_number,
                      "registered_on": date(2026, 1, 5), "active": True}],
}


def insert_plain_rows(engine) -> None:
    with engine.begin() as connection:
        for name, rows in PLAIN_ROWS.items():
            table = sa.table(name, *(sa.column(key) for key in rows[0]))
            connection.execute(table.insert(), rows)


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_the_migration_encrypts_an_existing_database_and_the_way_back_decrypts_it(database, tmp_path, request):
    url = f"sqlite:///{tmp_path / 'old.db'}" if database == "sqlite" else request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    install_for(Settings(data_dir=tmp_path))  # `gateway db upgrade` runs with the gateway's keys
    upgrade(engine, "0007")
    insert_plain_rows(engine)
    upgrade(engine, "0008")

    stored = raw_values(engine)
    raw = b"".join(as_bytes(v) for values in stored.values() for v in values)
    assert all(cipher.key_id_of(v) for values in stored.values() for v in values)
    assert OWNER.name.encode() not in raw and OWNER.id_number.encode() not in raw
    with engine.connect() as connection:
        assert OWNER.id_number not in str(connection.execute(sa.text("SELECT * FROM identities_on_file")).all())
    if database == "sqlite":  # nor anywhere in the database's files (the migration sets secure_delete too)
        engine.dispose()
        files = b"".join(path.read_bytes() for path in tmp_path.glob("old.db*"))
        assert OWNER.id_number.encode() not in files and OWNER.name.encode() not in files
        engine = make_engine(url)

    # Read back through today's models (later revisions only add tables and columns), then all the way back.
    upgrade(engine, "head")
    with make_session_factory(engine)() as session:
        owner = session.get(UnitOwner, 1)
        assert (owner.name, owner.id_number, owner.id_number_index) == (OWNER.name, OWNER.id_number,
                                                                        blind_index(OWNER.id_number))
        assert session.get(PropertyUnit, 1).location == "平罗县城关镇测试路1号"
        assert session.get(Application, 1).canonical["mortgagors"][0]["id_number"] == OWNER.id_number
        assert session.get(SignedDocument, 1).content == f"<Party>{OWNER.name}</Party>".encode()
        assert session.get(Encumbrance, 1).holder_id_number == OWNER.id_number
        assert session.get(IdentityOnFile, blind_index(OWNER.id_number)).application_id == 1

    downgrade(engine, "0007")
    with engine.connect() as connection:
        owners = connection.execute(sa.text("SELECT name, id_number FROM unit_owners")).all()
        identities = connection.execute(sa.text("SELECT id_number FROM identities_on_file")).scalars().all()
        document = connection.execute(sa.text("SELECT content FROM signed_documents")).scalar_one()
    assert owners == [(OWNER.name, OWNER.id_number)] and identities == [OWNER.id_number]
    assert bytes(document) == f"<Party>{OWNER.name}</Party>".encode()
    engine.dispose()


# --- rotation ---------------------------------------------------------------------------------------------

def add_owners(engine, count: int) -> None:
    with transaction(make_session_factory(engine)) as session:
        unit = PropertyUnit(unit_code=factories.UNIT_CODE, location="平罗县城关镇测试路1号", use="RESIDENTIAL",
                            state="TITLED")
        session.add(unit)
        session.flush()
        for n in range(count):
            session.add(UnitOwner(unit_id=unit.id, name=f"{OWNER.name}{n}", id_type="RESIDENT_ID",
                                  id_number=f"{OWNER.id_number[:-3]}{n:03d}", share="1/1"))


def on_keys(engine) -> dict[str, int]:
    totals: dict[str, int] = {}
    for per_key in status(engine).values():
        for key_id, count in per_key.items():
            totals[key_id] = totals.get(key_id, 0) + count
    return totals


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_a_rotation_interrupted_after_one_batch_and_run_again_leaves_every_value_on_the_new_key(
        database, tmp_path, request):
    url = f"sqlite:///{tmp_path / 'rotate.db'}" if database == "sqlite" else request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    upgrade(engine)
    keyring = install_for(Settings(data_dir=tmp_path))
    old = keyring.current_key_id()
    add_owners(engine, 23)  # 47 values: a location, 23 names and 23 ID numbers
    new = keyring.provider.add_key()

    interrupted = rotate(engine, keyring, batch_size=10, max_batches=1)
    assert not interrupted.finished and interrupted.resealed == 1  # the batch of property_units: one location
    assert on_keys(engine) == {new: 1, old: 46}
    interrupted = rotate(engine, keyring, batch_size=10, max_batches=2)
    assert on_keys(engine) == {new: 11, old: 36}

    again = rotate(engine, keyring, batch_size=10)
    assert again.finished and again.resealed == 36 and on_keys(engine) == {new: 47}
    assert rotate(engine, keyring, batch_size=10).resealed == 0  # nothing left to do
    with make_session_factory(engine)() as session:
        owners = session.scalars(select(UnitOwner).order_by(UnitOwner.id)).all()
        assert [o.name for o in owners] == [f"{OWNER.name}{n}" for n in range(23)]
        assert all(o.id_number_index == blind_index(o.id_number) for o in owners)
    checked(f"{database}: 47 values moved from {old} to {new} across an interruption")
    engine.dispose()


def test_gateway_keys_rotate_and_status_on_the_command_line(runtime, monkeypatch, capsys):
    old = FileKeyProvider(runtime.settings.data_dir / "keys" / "data-keys").current_key_id()
    assert run_cli(monkeypatch, runtime, "keys", "rotate", "--batch-size", "2") == 0
    out = capsys.readouterr()
    new = FileKeyProvider(runtime.settings.data_dir / "keys" / "data-keys").current_key_id()
    assert new != old and f"under {new}" in out.out and "re-encrypting" in out.err
    assert run_cli(monkeypatch, runtime, "keys", "status") == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith(f"{new}\tcurrent\t") for line in lines)
    assert any(line.startswith(f"{old}\theld\t0 values") for line in lines)
    with runtime.sessions() as session:  # the seeded register still reads
        assert session.scalar(select(UnitOwner).limit(1)).id_number


def test_gateway_keys_rotate_reports_values_stored_in_clear_and_leaves_them(runtime, monkeypatch, capsys):
    owners = sa.table("unit_owners", sa.column("id"), sa.column("name", sa.Text()))
    with runtime.engine.begin() as connection:
        first = connection.scalar(select(owners.c.id).order_by(owners.c.id).limit(1))
        connection.execute(owners.update().where(owners.c.id == first).values(name="王建国"))
    assert run_cli(monkeypatch, runtime, "keys", "rotate", "--resume") == 1
    assert "error [keys.plaintext_found]" in capsys.readouterr().err
    assert NOT_ENCRYPTED in status(runtime.engine)[("unit_owners", "name")]
    with runtime.engine.connect() as connection:
        assert connection.scalar(select(owners.c.name).where(owners.c.id == first)) == "王建国"
