"""Uploading materials: ``PUT /v1/materials/{sha256}``, HTTP-signed, idempotent, and refused cleanly."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from gateway.api.app import create_app
from signing.httpsig import HttpSignatureAuth, sign_headers
from tests.support import factories
from tests.support.tamper import (
    Snapshot,
    assert_nothing_stored,
    assert_problem,
    row_counts,
    runtime,  # noqa: F401 (fixture: a seeded runtime on a copied database)
    runtime_from_template,
    seeded_database,  # noqa: F401 (fixture)
)

PDF = b"%PDF-1.4 loan contract (materials test)\n"
BASE_URL = "http://gateway.test"


def put(client, sha256: str, content, **kwargs):
    return client.put(f"/v1/materials/{sha256}", content=content,
                      headers={"Content-Type": "application/pdf", **kwargs.pop("headers", {})}, **kwargs)


def materials_stored(runtime) -> int:
    return row_counts(runtime)["materials"]


def refused_upload(runtime, response, status: int, code: str) -> dict:
    """Refused with ``status``/``code``, and no material (nor anything else) was stored."""
    problem = assert_problem(response, status, code)
    assert materials_stored(runtime) == 0
    assert_nothing_stored(runtime)
    return problem


def test_a_material_is_stored_once_and_re_uploading_it_is_idempotent(client, runtime, bank_auth):
    sha256 = factories.sha256(PDF)
    first = put(client, sha256, PDF, auth=bank_auth)
    assert first.status_code == 201, first.text
    assert first.json() == {"sha256": sha256, "size": len(PDF), "created": True}
    again = put(client, sha256, PDF, auth=bank_auth)
    assert again.status_code == 200, again.text
    assert again.json() == {"sha256": sha256, "size": len(PDF), "created": False}
    assert materials_stored(runtime) == 1


def test_an_upload_with_the_banks_ec_p256_key_is_accepted(client, runtime, pki):
    auth = HttpSignatureAuth(key_id=pki.bank_ec.fingerprint, private_key=pki.bank_ec.key)
    response = put(client, factories.sha256(PDF), PDF, auth=auth)
    assert response.status_code == 201, response.text
    assert materials_stored(runtime) == 1


def test_an_upload_without_an_http_signature_is_refused(client, runtime):
    response = put(client, factories.sha256(PDF), PDF)
    refused_upload(runtime, response, 401, "http_signature.missing")
    assert response.headers["www-authenticate"] == "Signature"


def test_an_upload_whose_bytes_do_not_match_the_hash_is_refused(client, runtime, bank_auth):
    other = b"%PDF-1.4 some other file\n"
    response = put(client, factories.sha256(PDF), other, auth=bank_auth)
    problem = refused_upload(runtime, response, 422, "material.hash_mismatch")
    assert problem["sha256"] == factories.sha256(PDF)
    assert problem["actual"] == factories.sha256(other)


def test_an_upload_whose_body_changed_after_the_http_signature_is_refused(client, runtime, pki):
    sha256 = factories.sha256(PDF)
    headers = sign_headers(method="PUT", url=f"{BASE_URL}/v1/materials/{sha256}", headers={}, body=PDF,
                           key_id=pki.bank.fingerprint, private_key=pki.bank.key)
    tampered = PDF.replace(b"loan", b"LOAN")
    response = put(client, sha256, tampered, headers=headers)
    refused_upload(runtime, response, 401, "http_signature.invalid")


def test_an_upload_under_a_name_that_is_not_a_lower_case_sha256_is_refused(client, runtime, bank_auth):
    response = put(client, factories.sha256(PDF).upper(), PDF, auth=bank_auth)
    refused_upload(runtime, response, 422, "material.bad_name")


def test_an_upload_signed_with_an_expired_registered_certificate_is_refused(client, runtime, pki):
    auth = HttpSignatureAuth(key_id=pki.expired.fingerprint, private_key=pki.expired.key)
    refused_upload(runtime, put(client, factories.sha256(PDF), PDF, auth=auth), 401, "certificate.expired")


MAX_MATERIAL_BYTES = 4096


@pytest.fixture
def small_client(seeded_database, tmp_path, pki) -> Iterator[tuple[TestClient, object]]:
    """A client over a runtime whose material size limit is 4 KiB."""
    small = runtime_from_template(seeded_database, tmp_path / "small", pki, max_material_bytes=MAX_MATERIAL_BYTES)
    with TestClient(create_app(small), base_url=BASE_URL) as client:
        yield client, small
    small.close()


def test_an_upload_over_the_size_limit_is_refused(small_client, bank_auth):
    client, small = small_client
    big = b"%PDF-1.4 " + b"x" * MAX_MATERIAL_BYTES
    before = Snapshot(small)
    response = put(client, factories.sha256(big), big, auth=bank_auth)
    # A material is not XML: the refusal says so with the materials' own code.
    assert_problem(response, 413, "material.too_large")
    assert materials_stored(small) == 0
    assert_nothing_stored(small, before)


def test_an_upload_just_at_the_size_limit_is_accepted(small_client, bank_auth):
    client, small = small_client
    exact = b"%PDF-1.4 " + b"x" * (MAX_MATERIAL_BYTES - 9)
    assert len(exact) == MAX_MATERIAL_BYTES
    response = put(client, factories.sha256(exact), exact, auth=bank_auth)
    assert response.status_code == 201, response.text
    assert materials_stored(small) == 1
