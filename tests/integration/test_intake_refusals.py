"""Bad input at intake: every refusal has its documented code, echoes no personal data and stores nothing.

Each test submits one kind of bad request to ``POST /v1/applications`` on the embedded runtime,
then checks the HTTP status, the problem+json media type, the exact ``code``, that the answer does
not repeat the applicants' names or ID numbers, and that no row, counter step, file or task was
left behind. The test bank's materials are uploaded first, so that a refusal is never caused by
them by accident.
"""
from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import update

from bank_adapters import Mortgagee
from gateway.api.app import create_app
from gateway.persistence.models import Material
from signing.pki import certificate_to_pem, generate_private_key, issue_certificate, make_ca, private_key_to_pem
from tests.conftest import upload_materials
from tests.support import factories
from tests.support.pki import Identity
from tests.support.tamper import (
    Snapshot,
    assert_nothing_changed,
    assert_nothing_stored,
    assert_problem,
    ds,
    edit,
    enveloping_signature,
    forged_copy,
    parse,
    q,
    replace_once,
    runtime,  # noqa: F401 (fixture: a seeded runtime on a copied database)
    runtime_from_template,
    seeded_database,  # noqa: F401 (fixture)
    serialize,
    sign,
    signature_of,
    unsigned_root,
    with_doctype,
)

NS = {"g": "urn:pingluo-bdc:mortgage-gateway:v1"}


def submit(client, body) -> object:
    return client.post("/v1/applications", content=body, headers={"Content-Type": "application/xml"})


@pytest.fixture
def uploaded(client, bank_auth) -> None:
    """The factory application's materials, uploaded by the test bank."""
    upload_materials(client, bank_auth)


@pytest.fixture
def signed(pki) -> bytes:
    """A valid application, signed by the test bank's registered RSA key."""
    return factories.signed_request(factories.application(), pki.bank)


def refused(client, runtime, body, status: int, code: str, **kwargs) -> dict:
    """Submit ``body``; it must be refused with ``status`` / ``code`` and leave nothing behind."""
    before = Snapshot(runtime)
    problem = assert_problem(submit(client, body), status, code, **kwargs)
    assert_nothing_stored(runtime, before)
    return problem


# --- the positive control --------------------------------------------------------------------------

def test_a_request_signed_with_the_banks_ec_p256_key_is_accepted(client, runtime, pki, uploaded):
    response = submit(client, factories.signed_request(factories.application(), pki.bank_ec))
    assert response.status_code == 202, response.text
    assert response.headers["content-type"].startswith("application/xml")
    receipt = etree.fromstring(response.content)
    assert receipt.findtext("g:Status", namespaces=NS) == "QUEUED"


# --- who signed ------------------------------------------------------------------------------------

def test_an_unsigned_request_is_refused(client, runtime, uploaded):
    refused(client, runtime, serialize(unsigned_root()), 422, "signature.missing")


def test_a_request_signed_by_another_institutions_key_is_refused(client, runtime, pki, uploaded):
    # A valid chain, registered — but to the other bank, not to the mortgagee named in the request.
    body = factories.signed_request(factories.application(), pki.other_bank)
    refused(client, runtime, body, 403, "certificate.not_registered")


def test_a_bank_signing_in_the_name_of_another_institution_is_refused(client, runtime, pki, uploaded):
    app = factories.application(mortgagee=Mortgagee(factories.OTHER_BANK_CODE, "另一家银行"))
    refused(client, runtime, factories.signed_request(app, pki.bank), 403, "certificate.not_registered")


def test_a_request_naming_an_unregistered_institution_is_refused(client, runtime, pki, uploaded):
    app = factories.application(mortgagee=Mortgagee("91640221MA76R3PK3Q", "未登记的银行"))
    refused(client, runtime, factories.signed_request(app, pki.bank), 403, "institution.unknown")


@pytest.fixture
def stranger(tmp_path) -> tuple[Identity, bytes]:
    """A key whose certificate chains to a trusted CA but is registered to no institution at all."""
    now = datetime.now(timezone.utc)
    ca_key, ca_cert = make_ca(common_name="Second Test CA", organization="Test", key=generate_private_key("ec"),
                              not_before=now - timedelta(days=1), not_after=now + timedelta(days=30))
    key = generate_private_key("ec")
    cert = issue_certificate(ca_key=ca_key, ca_cert=ca_cert, common_name="stranger", organization="stranger",
                             public_key=key.public_key(), not_before=now - timedelta(days=1),
                             not_after=now + timedelta(days=30))
    key_path, cert_path = tmp_path / "stranger-key.pem", tmp_path / "stranger-cert.pem"
    key_path.write_bytes(private_key_to_pem(key))
    cert_path.write_bytes(certificate_to_pem(cert))
    return Identity(key, cert, key_path, cert_path), certificate_to_pem(ca_cert)


@pytest.fixture
def stranger_trusting_runtime(seeded_database, tmp_path, pki, stranger) -> Iterator:
    """The seeded runtime, with the stranger's CA added to the trust anchors."""
    anchors = tmp_path / "anchors.pem"
    anchors.write_bytes(pki.ca_path.read_bytes() + stranger[1])
    runtime = runtime_from_template(seeded_database, tmp_path / "var2", pki, trust_anchors_path=anchors)
    yield runtime
    runtime.close()


def test_a_request_signed_by_a_trusted_but_unregistered_key_is_refused(stranger_trusting_runtime, pki, bank_auth,
                                                                        stranger):
    runtime = stranger_trusting_runtime
    with TestClient(create_app(runtime), base_url="http://gateway.test") as client:
        upload_materials(client, bank_auth)
        body = factories.signed_request(factories.application(), stranger[0])
        refused(client, runtime, body, 403, "certificate.not_registered")


def test_a_request_signed_with_an_expired_registered_certificate_is_refused(client, runtime, pki, uploaded):
    body = factories.signed_request(factories.application(), pki.expired)
    refused(client, runtime, body, 422, "certificate.expired")


def test_a_request_signed_with_a_not_yet_valid_registered_certificate_is_refused(client, runtime, pki, uploaded):
    body = factories.signed_request(factories.application(), pki.not_yet_valid)
    refused(client, runtime, body, 422, "certificate.not_yet_valid")


def test_a_request_signed_with_a_certificate_not_chaining_to_a_trust_anchor_is_refused(client, runtime, pki,
                                                                                       uploaded):
    # pki.untrusted is registered to the test bank, but issued by a CA the gateway does not trust.
    body = factories.signed_request(factories.application(), pki.untrusted)
    refused(client, runtime, body, 422, "certificate.untrusted")


# --- what was signed ---------------------------------------------------------------------------------

def test_a_body_changed_after_signing_is_refused(client, runtime, signed, uploaded):
    body = replace_once(signed, "<SecuredClaim currency=\"CNY\">1200000.00<", "<SecuredClaim currency=\"CNY\">1900000.00<")
    refused(client, runtime, body, 422, "signature.invalid")


def test_a_second_application_element_beside_the_signed_one_is_refused(client, runtime, signed, uploaded):
    def smuggle(root):
        root.insert(len(root) - 1, forged_copy(root))  # just before the ds:Signature

    problem = refused(client, runtime, edit(signed, smuggle), 422, "xml.schema_invalid")
    assert problem["violations"] == [
        {"path": "/MortgageApplication", "reason": "element MortgageApplication is not allowed here"}
    ]


def test_a_signed_application_wrapped_inside_a_forged_one_is_refused(client, runtime, signed, uploaded):
    # Classic signature wrapping: the forgery is the document; the genuine signed application rides
    # along inside a ds:Object of its signature, hoping the verifier finds it by reference.
    genuine = parse(signed)
    forged = forged_copy(genuine)
    signature = copy.deepcopy(signature_of(genuine))
    genuine.remove(signature_of(genuine))
    etree.SubElement(signature, ds("Object")).append(genuine)
    forged.append(signature)
    refused(client, runtime, serialize(forged), 422, "signature.profile")


def test_a_signed_application_wrapped_inside_a_foreign_root_is_refused(client, runtime, signed, uploaded):
    envelope = etree.Element("{urn:example:envelope}Envelope")
    envelope.append(forged_copy(parse(signed)))
    envelope.append(parse(signed))
    refused(client, runtime, serialize(envelope), 422, "xml.unsupported_document")


def test_a_second_application_hidden_in_the_signatures_key_info_is_refused(client, runtime, signed, uploaded):
    # KeyInfo is outside what an enveloped signature signs: a forged application hidden there is
    # unsigned content riding along in the stored evidence, exactly what the profile forbids for
    # ds:Object. It must be refused, not silently accepted.
    def smuggle(root):
        signature_of(root).find(ds("KeyInfo")).append(forged_copy(root))

    refused(client, runtime, edit(signed, smuggle), 422, "signature.profile")


def test_a_reference_pointing_to_an_element_by_id_is_refused(client, runtime, signed, uploaded):
    def retarget(root):
        signature = signature_of(root)
        signature.find(ds("KeyInfo")).set("Id", "something")
        signature.find(f"{ds('SignedInfo')}/{ds('Reference')}").set("URI", "#something")
        root.find(q("SecuredClaim")).text = "9999999.00"

    refused(client, runtime, edit(signed, retarget), 422, "signature.profile")


def test_a_genuine_signature_over_an_embedded_object_is_refused(client, runtime, pki, signed, uploaded):
    # The bank's key really did sign something (a ds:Object with Id="object" holding a copy of an
    # application), but the Reference is "#object", not the whole document that carries it.
    genuine = parse(signed)
    forged = forged_copy(genuine)
    forged.append(enveloping_signature(forged_copy(genuine, amount="1200000.00"), pki.bank))
    refused(client, runtime, serialize(forged), 422, "signature.profile")


def test_two_signatures_side_by_side_are_refused(client, runtime, signed, uploaded):
    def duplicate(root):
        root.append(copy.deepcopy(signature_of(root)))

    # The schema allows one trailing ds:Signature: the second is refused before any verification.
    problem = refused(client, runtime, edit(signed, duplicate), 422, "xml.schema_invalid")
    assert problem["violations"] == [
        {"path": "/MortgageApplication", "reason": "element ds:Signature is not allowed here"}
    ]


def test_a_second_signature_nested_in_the_first_is_refused(client, runtime, signed, uploaded):
    def nest(root):
        signature = signature_of(root)
        signature.find(ds("KeyInfo")).append(copy.deepcopy(signature))

    refused(client, runtime, edit(signed, nest), 422, "signature.profile")


# --- hostile XML -------------------------------------------------------------------------------------

def test_a_request_with_a_dtd_is_refused(client, runtime, signed, uploaded):
    body = with_doctype(signed, '<!DOCTYPE MortgageApplication [<!ELEMENT MortgageApplication ANY>]>')
    refused(client, runtime, body, 422, "xml.forbidden")


def test_a_request_with_an_external_entity_is_refused(client, runtime, signed, uploaded):
    body = with_doctype(signed, '<!DOCTYPE MortgageApplication [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>')
    body = replace_once(body, "<LoanContractNo>PLB-LOAN-2026-0001<", "<LoanContractNo>&xxe;<")
    problem = refused(client, runtime, body, 422, "xml.forbidden", secrets=("root:",))
    assert "passwd" not in str(problem)


def test_a_billion_laughs_entity_expansion_is_refused(client, runtime, signed, uploaded):
    entities = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    ]
    body = with_doctype(signed, f"<!DOCTYPE MortgageApplication [{''.join(entities)}]>")
    body = replace_once(body, "<LoanContractNo>PLB-LOAN-2026-0001<", "<LoanContractNo>&lol9;<")
    problem = refused(client, runtime, body, 422, "xml.forbidden")
    assert "lollol" not in str(problem)


def test_a_body_over_the_size_limit_is_refused(client, runtime, signed, uploaded):
    body = signed + b" " * runtime.settings.max_request_bytes  # trailing whitespace: still well-formed
    refused(client, runtime, body, 413, "xml.too_large")


def test_a_chunked_body_over_the_size_limit_is_refused(client, runtime, signed, uploaded):
    def chunks():  # no Content-Length: the limit must hold while streaming
        yield signed
        for _ in range(runtime.settings.max_request_bytes // 65536 + 1):
            yield b" " * 65536

    refused(client, runtime, chunks(), 413, "xml.too_large")


def test_a_request_that_does_not_validate_against_the_schema_is_refused(client, runtime, pki, uploaded):
    wrong_unit_code = "6402210010XXGB00012F0001000"  # 27 characters, letters where digits belong
    root = unsigned_root()
    root.find(f"{q('Property')}/{q('UnitCode')}").text = wrong_unit_code
    problem = refused(client, runtime, sign(root, pki.bank), 422, "xml.schema_invalid", secrets=(wrong_unit_code,))
    assert problem["violations"] == [
        {"path": "/MortgageApplication/Property/UnitCode", "reason": "does not match the pattern"}
    ]


# --- when, and how often ------------------------------------------------------------------------------

def _created(delta: timedelta) -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0) + delta


def test_a_request_created_eleven_minutes_ago_is_refused_as_stale(client, runtime, pki, uploaded):
    app = factories.application(created_at=_created(-timedelta(minutes=11)))
    problem = refused(client, runtime, factories.signed_request(app, pki.bank), 422, "request.stale")
    assert problem["window_seconds"] == 600


def test_a_request_created_eleven_minutes_in_the_future_is_refused_as_stale(client, runtime, pki, uploaded):
    app = factories.application(created_at=_created(timedelta(minutes=11)))
    problem = refused(client, runtime, factories.signed_request(app, pki.bank), 422, "request.stale")
    assert problem["window_seconds"] == 600


def test_a_request_id_reused_with_other_content_is_refused_with_409(client, runtime, pki, uploaded):
    first = factories.application()
    accepted = submit(client, factories.signed_request(first, pki.bank))
    assert accepted.status_code == 202, accepted.text
    number = etree.fromstring(accepted.content).findtext("g:ApplicationNo", namespaces=NS)

    other = factories.application(request_id=first.request_id, secured_amount=first.secured_amount + 1)
    before = Snapshot(runtime)
    problem = assert_problem(submit(client, factories.signed_request(other, pki.bank)), 409, "request.id_reused")
    assert problem["application_no"] == number
    assert_nothing_changed(runtime, before)


def test_an_exact_retry_gets_the_same_receipt_and_stores_nothing_new(client, runtime, signed, uploaded):
    first = submit(client, signed)
    assert first.status_code == 202, first.text
    before = Snapshot(runtime)
    retry = submit(client, signed)
    assert retry.status_code == 200, retry.text
    assert retry.content == first.content
    assert retry.headers["location"] == first.headers["location"]
    assert_nothing_changed(runtime, before)


# --- materials --------------------------------------------------------------------------------------

def test_a_request_referencing_a_material_never_uploaded_is_refused(client, runtime, pki, uploaded):
    never_uploaded = {**factories.MATERIALS, "ID_DOCUMENT": b"%PDF-1.4 never uploaded\n"}
    app = factories.application(materials=factories.material_refs(never_uploaded))
    problem = refused(client, runtime, factories.signed_request(app, pki.bank), 422, "material.missing")
    assert problem["sha256"] == factories.sha256(never_uploaded["ID_DOCUMENT"])
    assert problem["type_code"] == "ID_DOCUMENT"


def test_a_material_uploaded_only_by_another_institution_counts_as_missing(client, runtime, pki, other_bank_auth):
    upload_materials(client, other_bank_auth)
    body = factories.signed_request(factories.application(), pki.bank)
    refused(client, runtime, body, 422, "material.missing")


def test_a_material_whose_stored_bytes_do_not_match_its_hash_is_refused(client, runtime, signed, uploaded):
    # Uploads are checked, so only a corrupted store can hold such bytes; intake re-checks anyway.
    with runtime.sessions.begin() as session:
        session.execute(update(Material).where(Material.sha256 == factories.sha256(factories.MATERIALS["ID_DOCUMENT"]))
                        .values(content=b"%PDF-1.4 corrupted\n"))
    refused(client, runtime, signed, 422, "material.hash_mismatch")
