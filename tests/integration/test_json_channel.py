"""The JSON + JWS channel through the HTTP API, on SQLite and PostgreSQL: submit (compact and
detached), JWS receipt, retry, approval, JWS result — the same intake as the XML channel."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema_rs
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gateway.api.app import create_app
from gateway.persistence.db import read_only
from gateway.persistence.models import Application, SignedDocument
from signing.jws import verify_jws
from signing.trust import TrustStore, certificate_fingerprint
from tests.conftest import REVIEWER_PASSWORD, make_settings, seed, staff_headers, start_runtime, upload_materials
from tests.support import factories
from tests.support.jws_requests import JOSE, JSON, b64url_decode, compact_request, detached_request, json_body, parts

OUTPUT_SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "interface" / "schemas" / "gateway-output-v1.schema.json"


@pytest.fixture(params=["sqlite", "postgresql"])
def json_client(request, tmp_path, pki):
    overrides = {}
    if request.param == "postgresql":
        overrides["database_url"] = request.getfixturevalue("postgres_url")
    runtime = start_runtime(make_settings(tmp_path / "var", pki, **overrides))
    seed(runtime, pki)
    with TestClient(create_app(runtime), base_url="http://gateway.test") as client:
        yield client
    runtime.close()


def gateway_verified(document: bytes, pki):
    """Verify the gateway's JWS against the gateway certificate only (pinned, not the header's x5c)."""
    pinned = pki.gateway.certificate
    verified = verify_jws(document, trust=_trust(pki), at=_now(),
                          find_certificate=lambda kid: pinned if kid == certificate_fingerprint(pinned) else None)
    assert verified.certificate == pinned
    return verified


def _trust(pki):
    from signing.trust import load_pem_certificates

    return TrustStore(anchors=tuple(load_pem_certificates(pki.ca_path.read_bytes())))


def _now():
    from gateway.persistence.types import utcnow

    return utcnow()


def output_payload(document: bytes, pki) -> dict:
    payload = json.loads(gateway_verified(document, pki).payload)
    validator = jsonschema_rs.Draft202012Validator(json.loads(OUTPUT_SCHEMA.read_text(encoding="utf-8")))
    errors = [f"{e.instance_path}: {e.message}" for e in validator.iter_errors(payload)]
    assert not errors, errors
    return payload


def counts(client) -> tuple[int, int]:
    with read_only(client.app.state.runtime.read_sessions) as session:
        return (session.scalar(select(func.count()).select_from(Application)),
                session.scalar(select(func.count()).select_from(SignedDocument)))


def test_a_compact_jws_application_is_answered_with_a_jws_receipt(json_client, pki, bank_auth):
    upload_materials(json_client, bank_auth)
    app = factories.application()
    body = compact_request(app, pki.bank)
    response = json_client.post("/v1/applications", content=body, headers={"Content-Type": JOSE})
    assert response.status_code == 202, response.text
    assert response.headers["content-type"] == JOSE
    header, _, _ = parts(response.content)
    assert header["alg"] == "PS256" and header["typ"] == "receipt+jws"
    assert header["kid"] == pki.gateway.fingerprint
    receipt = output_payload(response.content, pki)
    assert receipt["document"] == "Receipt" and receipt["request_id"] == app.request_id
    assert receipt["request_sha256"] == factories.sha256(body)
    assert receipt["status"] == "QUEUED"
    assert response.headers["location"].endswith(receipt["application_no"])
    with read_only(json_client.app.state.runtime.read_sessions) as session:
        record = session.scalar(select(Application).where(Application.request_id == app.request_id))
        assert (record.channel, record.output_format) == ("bank_json", "json")
        stored = {d.kind: (d.media_type, d.content) for d in
                  session.scalars(select(SignedDocument).where(SignedDocument.application_id == record.id))}
    assert stored["request"] == (JOSE, body)
    assert stored["receipt"] == (JOSE, response.content)
    assert record.signature["signature_algorithm"] == "JWS PS256"


def test_a_detached_jws_application_is_accepted_and_an_exact_retry_answers_the_same_receipt(json_client, pki, bank_auth):
    upload_materials(json_client, bank_auth)
    app = factories.application()
    body, signature = detached_request(app, pki.bank)
    headers = {"Content-Type": JSON, "JWS-Signature": signature}
    first = json_client.post("/v1/applications", content=body, headers=headers)
    assert first.status_code == 202, first.text
    # PS256 is randomized: a new signature over the same body is still the same request.
    _, signature_again = detached_request(app, pki.bank)
    assert signature_again != signature
    again = json_client.post("/v1/applications", content=body, headers={**headers, "JWS-Signature": signature_again})
    assert again.status_code == 200 and again.content == first.content
    assert again.headers["content-type"] == JOSE
    other = json_body(factories.application(request_id=app.request_id, loan_contract_no="PLB-LOAN-OTHER"))
    reused_body, reused_signature = other, detached_request(factories.application(request_id=app.request_id,
                                                                                 loan_contract_no="PLB-LOAN-OTHER"), pki.bank)[1]
    reused = json_client.post("/v1/applications", content=reused_body,
                              headers={"Content-Type": JSON, "JWS-Signature": reused_signature})
    assert reused.status_code == 409 and reused.json()["code"] == "request.id_reused"
    with read_only(json_client.app.state.runtime.read_sessions) as session:
        request_document = session.scalar(select(SignedDocument).where(SignedDocument.kind == "request"))
    assert request_document.media_type == "application/jose+json"
    flattened = json.loads(request_document.content)
    assert flattened["payload"].encode() == body and f"{flattened['protected']}..{flattened['signature']}" == signature


def test_an_es256_signature_with_x5c_is_accepted(json_client, pki, bank_auth):
    upload_materials(json_client, bank_auth)
    body = compact_request(factories.application(), pki.bank_ec, with_x5c=True)
    response = json_client.post("/v1/applications", content=body, headers={"Content-Type": "application/jose; charset=us-ascii"})
    assert response.status_code == 202, response.text
    assert output_payload(response.content, pki)["document"] == "Receipt"


def test_the_json_channel_refuses_with_the_xml_channels_codes_after_the_signature(json_client, pki, bank_auth):
    # No materials uploaded: the same code as XML.
    before = counts(json_client)
    response = json_client.post("/v1/applications", content=compact_request(factories.application(), pki.bank),
                                headers={"Content-Type": JOSE})
    assert response.status_code == 422 and response.json()["code"] == "material.missing"
    upload_materials(json_client, bank_auth)
    # A certificate of another institution than the one named.
    response = json_client.post("/v1/applications", content=compact_request(factories.application(), pki.other_bank),
                                headers={"Content-Type": JOSE})
    assert response.status_code == 403 and response.json()["code"] == "certificate.not_registered"
    # Outside the time window.
    from datetime import timedelta

    stale = factories.application(created_at=factories.application().created_at - timedelta(hours=2))
    response = json_client.post("/v1/applications", content=compact_request(stale, pki.bank),
                                headers={"Content-Type": JOSE})
    assert response.status_code == 422 and response.json()["code"] == "request.stale"
    # An untrusted certificate in x5c.
    response = json_client.post("/v1/applications", content=compact_request(factories.application(), pki.untrusted,
                                                                             with_x5c=True),
                                headers={"Content-Type": JOSE})
    assert response.status_code == 422 and response.json()["code"] == "certificate.untrusted"
    assert counts(json_client) == before


def test_the_dry_run_takes_a_jws_application(json_client, pki, bank_auth):
    upload_materials(json_client, bank_auth)
    body, signature = detached_request(factories.application(), pki.bank)
    before = counts(json_client)
    response = json_client.post("/v1/applications/dry-run", content=body,
                                headers={"Content-Type": JSON, "JWS-Signature": signature})
    assert response.status_code == 200, response.text
    assert response.json()["outcome"] in ("SIMPLE", "AUTO_APPROVE", "COMPLEX")
    assert counts(json_client) == before


def test_an_approved_json_application_gets_a_jws_result_verifiable_without_joserfc(json_client, pki, bank_auth):
    upload_materials(json_client, bank_auth)
    response = json_client.post("/v1/applications", content=compact_request(factories.application(), pki.bank),
                                headers={"Content-Type": JOSE})
    number = output_payload(response.content, pki)["application_no"]
    reviewer = staff_headers(json_client, "reviewer", REVIEWER_PASSWORD)
    assert json_client.post(f"/v1/review/applications/{number}/claim", headers=reviewer).status_code == 200
    decided = json_client.post(f"/v1/review/applications/{number}/decision", json={"decision": "approve"},
                               headers=reviewer)
    assert decided.status_code == 200, decided.text
    assert json_client.app.state.runtime.wait_idle(60)
    result = json_client.get(f"/v1/applications/{number}/result", auth=bank_auth)
    assert result.status_code == 200 and result.headers["content-type"] == JOSE
    payload = output_payload(result.content, pki)
    assert payload["document"] == "Result" and payload["decision"] == "APPROVED"
    assert payload["registration"]["certificate_no"].startswith("宁(")
    assert parts(result.content)[0]["typ"] == "result+jws"
    # A second, independent implementation: the PS256 check computed with `cryptography` directly.
    header_b64, payload_b64, signature_b64 = result.content.split(b".")
    pki.gateway.certificate.public_key().verify(
        b64url_decode(signature_b64), header_b64 + b"." + payload_b64,
        padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256())
    assert json.loads(b64url_decode(payload_b64)) == payload
    receipt = json_client.get(f"/v1/applications/{number}/documents/receipt", auth=bank_auth)
    assert receipt.status_code == 200 and receipt.headers["content-type"] == JOSE
    assert output_payload(receipt.content, pki)["application_no"] == number


def test_the_evidence_export_names_jws_documents_by_their_format(json_client, pki, bank_auth):
    """A JSON application's signed request and receipt are kept verbatim and exported as .jws (compact) or
    .json (a detached signature kept as flattened JWS JSON), never under an .xml name."""
    import io
    import zipfile

    from tests.conftest import ADMIN_PASSWORD

    upload_materials(json_client, bank_auth)
    compact = compact_request(factories.application(), pki.bank)
    first = json_client.post("/v1/applications", content=compact, headers={"Content-Type": JOSE})
    body, signature = detached_request(factories.application(), pki.bank)
    second = json_client.post("/v1/applications", content=body, headers={"Content-Type": JSON, "JWS-Signature": signature})
    assert first.status_code == second.status_code == 202
    admin = staff_headers(json_client, "admin", ADMIN_PASSWORD)

    exported = {}
    for response in (first, second):
        number = response.headers["location"].rsplit("/", 1)[1]
        answer = json_client.get(f"/v1/admin/applications/{number}/evidence", headers=admin)
        assert answer.status_code == 200, answer.text
        with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
            exported[number] = {name: archive.read(name) for name in archive.namelist()}

    compact_files, detached_files = exported.values()
    assert compact_files["01-request.jws"] == compact and compact_files["02-receipt.jws"] == first.content
    assert json.loads(detached_files["01-request.json"])["payload"].encode() == body
    assert detached_files["02-receipt.jws"] == second.content
    assert not [name for files in exported.values() for name in files if name.endswith(".xml") and "request" in name]
