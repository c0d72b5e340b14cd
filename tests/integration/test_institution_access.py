"""Following applications: a bank sees its own, nobody else's, and only with a valid HTTP signature."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from lxml import etree

from signing.httpsig import HttpSignatureAuth, sign_headers
from tests.conftest import upload_materials
from tests.support import factories
from tests.support.tamper import (
    assert_no_personal_data,
    assert_problem,
    runtime,  # noqa: F401 (fixture: a seeded runtime on a copied database)
    seeded_database,  # noqa: F401 (fixture)
)

NS = {"g": "urn:pingluo-bdc:mortgage-gateway:v1"}
BASE_URL = "http://gateway.test"


@pytest.fixture
def application_no(client, pki, bank_auth) -> str:
    """An application the test bank submitted, still waiting for review."""
    upload_materials(client, bank_auth)
    response = client.post("/v1/applications", content=factories.signed_request(factories.application(), pki.bank),
                           headers={"Content-Type": "application/xml"})
    assert response.status_code == 202, response.text
    return etree.fromstring(response.content).findtext("g:ApplicationNo", namespaces=NS)


def auth_for(identity) -> HttpSignatureAuth:
    return HttpSignatureAuth(key_id=identity.fingerprint, private_key=identity.key)


def signed_get_headers(identity, path: str, *, created: datetime) -> dict[str, str]:
    return sign_headers(method="GET", url=BASE_URL + path, headers={}, body=b"",
                        key_id=identity.fingerprint, private_key=identity.key, created=created)


def test_a_bank_sees_the_status_of_its_own_application(client, bank_auth, application_no):
    response = client.get(f"/v1/applications/{application_no}", auth=bank_auth)
    assert response.status_code == 200, response.text
    status = response.json()
    assert status["application_no"] == application_no
    assert status["status"] == "QUEUED"
    assert [entry["action"] for entry in status["history"]] == ["submit"]
    assert [document["kind"] for document in status["documents"]] == ["receipt"]


def test_a_bank_sees_the_status_with_its_ec_p256_key_too(client, pki, application_no):
    response = client.get(f"/v1/applications/{application_no}", auth=auth_for(pki.bank_ec))
    assert response.status_code == 200, response.text
    assert response.json()["application_no"] == application_no


def test_a_bank_fetches_the_signed_result_of_its_own_decided_application(client, runtime, bank_auth, reviewer,
                                                                         application_no):
    assert client.post(f"/v1/review/applications/{application_no}/claim", headers=reviewer).status_code == 200
    decided = client.post(f"/v1/review/applications/{application_no}/decision", json={"decision": "approve"},
                          headers=reviewer)
    assert decided.status_code == 200, decided.text
    assert runtime.wait_idle()  # the result is signed once the certificate is generated in the background
    result = client.get(f"/v1/applications/{application_no}/result", auth=bank_auth)
    assert result.status_code == 200, result.text
    assert result.headers["content-type"].startswith("application/xml")
    root = etree.fromstring(result.content)
    assert root.findtext("g:ApplicationNo", namespaces=NS) == application_no
    assert root.findtext("g:Decision", namespaces=NS) == "APPROVED"


@pytest.mark.parametrize("suffix", ["", "/result", "/documents/receipt"])
def test_another_banks_application_is_answered_exactly_like_a_missing_one(client, other_bank_auth, application_no,
                                                                          suffix):
    theirs = client.get(f"/v1/applications/{application_no}{suffix}", auth=other_bank_auth)
    missing = client.get(f"/v1/applications/64022119990101999999{suffix}", auth=other_bank_auth)
    assert_problem(theirs, 404, "not_found")
    assert_problem(missing, 404, "not_found")
    assert theirs.json() == missing.json()
    assert application_no not in theirs.text


def test_the_result_before_a_decision_is_409_not_ready(client, bank_auth, application_no):
    response = client.get(f"/v1/applications/{application_no}/result", auth=bank_auth)
    assert_problem(response, 409, "application.result_not_ready")


def test_an_unsigned_status_request_is_refused_with_401(client, application_no):
    response = client.get(f"/v1/applications/{application_no}")
    assert_problem(response, 401, "http_signature.missing")
    assert response.headers["www-authenticate"] == "Signature"


def test_a_status_request_signed_with_an_expired_registered_certificate_is_refused(client, pki, application_no):
    response = client.get(f"/v1/applications/{application_no}", auth=auth_for(pki.expired))
    assert_problem(response, 401, "certificate.expired")
    assert response.headers["www-authenticate"] == "Signature"


def test_a_status_request_signed_with_a_not_yet_valid_registered_certificate_is_refused(client, pki,
                                                                                         application_no):
    response = client.get(f"/v1/applications/{application_no}", auth=auth_for(pki.not_yet_valid))
    assert_problem(response, 401, "certificate.not_yet_valid")


def test_a_status_request_signed_with_a_certificate_not_chaining_to_a_trust_anchor_is_refused(client, pki,
                                                                                              application_no):
    # pki.untrusted is registered to the test bank but issued by a CA the gateway does not trust;
    # intake refuses documents it signs (certificate.untrusted), so HTTP requests must not pass either.
    response = client.get(f"/v1/applications/{application_no}", auth=auth_for(pki.untrusted))
    assert_problem(response, 401, "certificate.untrusted")


def test_a_stale_http_signature_is_refused(client, pki, application_no):
    path = f"/v1/applications/{application_no}"
    headers = signed_get_headers(pki.bank, path, created=datetime.now(timezone.utc) - timedelta(minutes=10))
    response = client.get(path, headers=headers)
    problem = assert_problem(response, 401, "http_signature.invalid")
    assert "older than 300 seconds" in problem["detail"]


def test_an_http_signature_from_the_future_is_refused(client, pki, application_no):
    path = f"/v1/applications/{application_no}"
    headers = signed_get_headers(pki.bank, path, created=datetime.now(timezone.utc) + timedelta(minutes=10))
    assert_problem(client.get(path, headers=headers), 401, "http_signature.invalid")


def test_an_http_signature_for_another_path_is_refused(client, pki, application_no):
    headers = signed_get_headers(pki.bank, f"/v1/applications/{application_no}",
                                 created=datetime.now(timezone.utc))
    response = client.get(f"/v1/applications/{application_no}/documents/receipt", headers=headers)
    assert_problem(response, 401, "http_signature.invalid")


def test_the_status_answer_carries_no_personal_data(client, bank_auth, application_no):
    response = client.get(f"/v1/applications/{application_no}", auth=bank_auth)
    assert response.status_code == 200
    assert_no_personal_data(response)
