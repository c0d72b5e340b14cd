"""Title watch: a bank holding a mortgage on a unit is told, by a signed notice in its inbox, of every
seizure, objection, pre-notice, other mortgage or discharge registered on that unit afterwards —
whether the register import brings it (``gateway register import``, run as the operator runs it) or
the gateway enters it itself — and nobody else is.

The notices are read from the inbox table as the inbox serves them, and checked as a bank would:
the XML signature against the gateway's certificate, the document against the published schema.
"""
from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import jsonschema_rs
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import load_pem_x509_certificate
from joserfc import jws
from joserfc.jwk import JWKRegistry
from lxml import etree
from sqlalchemy import func, select, update

from gateway.inbox import service as inbox_service
from gateway.persistence.db import transaction
from gateway.persistence.models import Institution
from gateway.persistence.types import utcnow
from gateway.register.models import Encumbrance
from gateway.tasks import registry
from gateway.watch import service as watch
from gateway.watch.events import EventKind, RegisterEvent, Source
from gateway.watch.models import WatchNotice
from tests.conftest import make_settings, seed, start_runtime
from tests.support import scenarios as s
from tests.support.register import add_encumbrance, add_unit
from tests.support.tamper import runtime, runtime_from_template, seeded_database  # noqa: F401 (fixtures)
from tests.support.watch import (BANK, OTHER, RULING, UNIT, give_mortgage, inbox_documents, inbox_notices, notice_rows, row, run_import,  # noqa: F401
                                 seizure, text)

OTHER_UNIT = s.SHOP_CODE
JSON_SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "interface" / "schemas" / "gateway-output-v1.schema.json"


# --- the world ------------------------------------------------------------------------------------------------

@pytest.fixture(params=["sqlite", "postgresql"])
def any_runtime(request, tmp_path, pki):
    """The seeded gateway on either database."""
    if request.param == "sqlite":
        gateway = runtime_from_template(request.getfixturevalue("seeded_database"), tmp_path / "var", pki)
    else:
        gateway = start_runtime(make_settings(tmp_path / "var", pki, database_url=request.getfixturevalue("postgres_url")))
        seed(gateway, pki)
    yield gateway
    gateway.close()


def add_other_unit(runtime) -> None:
    with transaction(runtime.sessions) as session:
        add_unit(session, OTHER_UNIT)


# --- seizures, objections, pre-notices from the register import -------------------------------------------------

def test_a_seizure_imported_on_a_unit_with_the_banks_mortgage_gives_that_bank_one_signed_notice(
        any_runtime, run_import):
    give_mortgage(any_runtime)

    code, err = run_import(any_runtime, [seizure()])

    assert code == 0, err
    [notice] = inbox_notices(any_runtime, BANK)
    assert text(notice, "g:MortgageeCode") == BANK
    assert text(notice, "g:UnitCode") == UNIT
    assert (text(notice, "g:Event/g:Kind"), text(notice, "g:Event/g:Reference"),
            text(notice, "g:Event/g:RegisteredOn"), text(notice, "g:Event/g:Source")) == (
        "SEIZURE", RULING, "2026-08-03", "register_import")
    assert text(notice, "g:WatchedBy/g:Mortgage/g:CertificateNo") == s.EXISTING_NO
    assert text(notice, "g:WatchedBy/g:Mortgage/g:Priority") == "1"
    assert text(notice, "g:NoticeId").startswith("WN")
    assert "1 watch notice(s)" in err


def test_a_bank_without_a_mortgage_on_the_unit_is_not_told(runtime, run_import):
    add_other_unit(runtime)
    give_mortgage(runtime)
    give_mortgage(runtime, s.SECOND_NO, mortgagee=OTHER, unit_code=OTHER_UNIT)

    assert run_import(runtime, [seizure()])[0] == 0

    assert len(inbox_notices(runtime, BANK)) == 1
    assert inbox_notices(runtime, OTHER) == []


def test_a_seizure_on_another_unit_tells_nobody(runtime, run_import):
    add_other_unit(runtime)
    give_mortgage(runtime)

    assert run_import(runtime, [seizure(OTHER_UNIT)])[0] == 0

    assert inbox_notices(runtime, BANK) == []
    assert notice_rows(runtime) == []


def test_a_discharged_mortgage_no_longer_watches_its_unit(runtime, run_import):
    give_mortgage(runtime)
    assert run_import(runtime, [row("DISCHARGE", certificate_no=s.EXISTING_NO)], "discharge.csv")[0] == 0

    assert run_import(runtime, [seizure()])[0] == 0

    assert inbox_notices(runtime, BANK) == []


def test_importing_the_same_seizure_again_makes_no_second_notice(any_runtime, run_import):
    give_mortgage(any_runtime)
    assert run_import(any_runtime, [seizure()])[0] == 0
    [first] = inbox_notices(any_runtime, BANK)

    code, err = run_import(any_runtime, [seizure()])

    assert code == 0, err
    [again] = inbox_notices(any_runtime, BANK)
    assert text(again, "g:NoticeId") == text(first, "g:NoticeId")
    assert len(notice_rows(any_runtime)) == 1
    assert "watch notice" not in err
    with transaction(any_runtime.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Encumbrance)) == 1, "the register keeps it once"


def test_an_objection_a_purchase_pre_notice_and_the_liftings_each_make_a_notice_in_file_order(runtime, run_import):
    give_mortgage(runtime)
    objection_no = "宁(2026)平罗县不动产证明第0000777号"
    buyer = s.first().mortgagors[0]
    rows = [seizure(), row("OBJECTION", reference=objection_no),
            row("PURCHASE_PRE_NOTICE", reference="宁(2026)平罗县不动产证明第0000778号", name=buyer.name,
                id_type="RESIDENT_ID", id_number=buyer.id_number),
            row("SEIZURE_LIFTED", reference=RULING, registered_on="2026-09-01"),
            row("OBJECTION_LIFTED", reference=objection_no, registered_on="2026-09-02")]

    assert run_import(runtime, rows)[0] == 0

    notices = inbox_notices(runtime, BANK)
    assert [text(n, "g:Event/g:Kind") for n in notices] == [
        "SEIZURE", "OBJECTION", "PURCHASE_PRE_NOTICE", "SEIZURE_LIFTED", "OBJECTION_LIFTED"]
    assert text(notices[3], "g:Event/g:RegisteredOn") == "2026-09-01"
    for notice in notices:  # the pre-notice's buyer is a person: neither name nor ID number is told
        document = etree.tostring(notice, encoding="unicode")
        assert buyer.name not in document and buyer.id_number not in document
    with transaction(runtime.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Encumbrance).where(Encumbrance.active.is_(True))) == 1


def test_another_mortgage_imported_on_the_unit_tells_the_first_mortgagee_with_its_facts(runtime, run_import):
    give_mortgage(runtime)
    imported = row("MORTGAGE", certificate_no=s.SECOND_NO, mortgagee_code=OTHER, mortgagee_name="另一家银行",
                   kind="GENERAL", priority="2", secured_amount="200000.00",
                   mortgagor_id_numbers=";".join(p.id_number for p in s.first().mortgagors))

    assert run_import(runtime, [imported])[0] == 0

    [notice] = inbox_notices(runtime, BANK)
    assert text(notice, "g:Event/g:Kind") == "MORTGAGE"
    assert [text(notice, f"g:Event/g:Mortgage/g:{name}") for name in
            ("CertificateNo", "MortgageKind", "Priority", "MortgageeCode", "MortgageeName")] == [
        s.SECOND_NO, "GENERAL", "2", OTHER, "另一家银行"]
    assert inbox_notices(runtime, OTHER) == [], "its own registration does not notify the new mortgagee"


def test_a_discharge_row_tells_the_other_mortgagees_but_not_the_one_discharged(runtime, run_import):
    give_mortgage(runtime)
    give_mortgage(runtime, s.SECOND_NO, mortgagee=OTHER, priority=2)

    assert run_import(runtime, [row("DISCHARGE", certificate_no=s.EXISTING_NO)])[0] == 0

    [notice] = inbox_notices(runtime, OTHER)
    assert (text(notice, "g:Event/g:Kind"), text(notice, "g:Event/g:Mortgage/g:CertificateNo"),
            text(notice, "g:WatchedBy/g:Mortgage/g:CertificateNo")) == (
        "MORTGAGE_DISCHARGE", s.EXISTING_NO, s.SECOND_NO)
    assert inbox_notices(runtime, BANK) == []
    assert {m.certificate_no: m.status for m in s.mortgages(runtime)} == {
        s.EXISTING_NO: "DISCHARGED", s.SECOND_NO: "IN_FORCE"}


# --- rows of the new kinds that the register cannot take ---------------------------------------------------------

def test_a_discharge_of_a_mortgage_not_in_force_on_the_unit_is_a_bad_row_and_nothing_is_imported(runtime, run_import):
    give_mortgage(runtime)

    code, err = run_import(runtime, [seizure(), row("DISCHARGE", certificate_no=s.SECOND_NO)])

    assert code == 1
    assert "certificate_no is not a mortgage in force on this unit" in err
    assert notice_rows(runtime) == [] and inbox_notices(runtime, BANK) == []
    assert [m.status for m in s.mortgages(runtime)] == ["IN_FORCE"]


def test_lifting_a_seizure_the_register_does_not_have_is_a_bad_row(runtime, run_import):
    give_mortgage(runtime)

    code, err = run_import(runtime, [row("SEIZURE_LIFTED", reference=RULING)])

    assert code == 1
    assert "reference is not an active seizure on this unit" in err
    assert notice_rows(runtime) == []


def test_a_seizure_already_in_the_register_can_be_lifted_by_the_import(runtime, run_import):
    give_mortgage(runtime)
    with transaction(runtime.sessions) as session:
        add_encumbrance(session, "SEIZURE", reference=RULING)

    assert run_import(runtime, [row("SEIZURE_LIFTED", reference=RULING, registered_on="2026-10-09")])[0] == 0

    [notice] = inbox_notices(runtime, BANK)
    assert (text(notice, "g:Event/g:Kind"), text(notice, "g:Event/g:RegisteredOn")) == ("SEIZURE_LIFTED", "2026-10-09")


# --- the institution's output format, and publishing that failed ----------------------------------------------

def test_an_institution_set_to_json_gets_the_notice_as_a_jws_of_its_json_form(runtime, run_import):
    give_mortgage(runtime)
    with transaction(runtime.sessions) as session:
        session.execute(update(Institution).where(Institution.code == BANK).values(output_format="json"))

    assert run_import(runtime, [seizure()])[0] == 0

    assert runtime.wait_idle(60)
    [(content, media_type)] = inbox_documents(runtime, BANK)
    assert media_type == "application/jose"
    gateway_key = load_pem_x509_certificate(runtime.settings.signing_cert_path.read_bytes()).public_key()
    registry = jws.JWSRegistry(algorithms=["PS256", "RS256", "ES256"])
    registry.max_header_length = 16_384  # the header carries the gateway's certificate chain (x5c)
    key_type = "RSA" if isinstance(gateway_key, rsa.RSAPublicKey) else "EC"
    verified = jws.deserialize_compact(content, JWKRegistry.import_key(gateway_key, key_type), registry=registry)
    assert verified.protected["typ"] == "watch_notice+jws"
    payload = json.loads(verified.payload)
    jsonschema_rs.Draft202012Validator(json.loads(JSON_SCHEMA.read_text(encoding="utf-8"))).validate(payload)
    assert (payload["document"], payload["event"]["kind"], payload["watched_by"]["mortgage"][0]["certificate_no"]) == (
        "WatchNotice", "SEIZURE", s.EXISTING_NO)


def test_a_notice_whose_publishing_failed_is_published_by_the_next_sweep(runtime, monkeypatch):
    give_mortgage(runtime)

    def inbox_down(*args, **kwargs):
        raise RuntimeError("the inbox failed")

    monkeypatch.setattr(inbox_service, "publish", inbox_down)
    with transaction(runtime.sessions) as session:
        watch.record_event(session, RegisterEvent(UNIT, EventKind.SEIZURE, RULING, date(2026, 8, 3),
                                                  Source.REGISTER_IMPORT))
    assert runtime.wait_idle(30)
    [pending] = notice_rows(runtime)
    assert pending.published_at is None and inbox_notices(runtime, BANK) == []
    monkeypatch.undo()
    with transaction(runtime.sessions) as session:
        session.execute(update(WatchNotice).values(created_at=utcnow() - timedelta(minutes=1)))

    registry.run(runtime, "watch.sweep", [])

    [notice] = inbox_notices(runtime, BANK)
    assert text(notice, "g:NoticeId") == pending.notice_id
    assert notice_rows(runtime)[0].published_at is not None
