"""What a 409 ``application.illegal_transition`` carries, as docs/interface/errors.md §1 describes it.

``status`` is the HTTP status (RFC 9457), always the number 409 here; the application's own status
is ``current_status``, a string, with the refused ``action`` — present when the application's
state machine refused. The same code from other checks (a certificate already revoked, a transfer
already decided) carries neither member.
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from gateway.api.app import create_app
from gateway.certificates.models import IssuedCertificate
from signing.httpsig import HttpSignatureAuth
from tests.conftest import ADMIN_PASSWORD, REVIEWER_PASSWORD, staff_headers
from tests.integration.helpers import approve, submit_new
from tests.support.tamper import runtime_from_template, seeded_database  # noqa: F401


@pytest.fixture(scope="module")
def registered(seeded_database, tmp_path_factory, pki) -> Iterator[tuple[TestClient, str, dict, dict]]:
    runtime = runtime_from_template(seeded_database, tmp_path_factory.mktemp("illegal") / "var", pki)
    bank = HttpSignatureAuth(key_id=pki.bank.fingerprint, private_key=pki.bank.key)
    with TestClient(create_app(runtime), base_url="http://gateway.test") as client:
        reviewer = staff_headers(client, "reviewer", REVIEWER_PASSWORD)
        number = submit_new(client, pki, bank)
        approve(client, number, reviewer)
        yield client, number, reviewer, staff_headers(client, "admin", ADMIN_PASSWORD)
    runtime.close()


def test_a_refusal_by_the_state_machine_names_the_applications_status_apart_from_the_http_status(registered):
    client, number, reviewer, _ = registered

    response = client.post(f"/v1/review/applications/{number}/claim", headers=reviewer)

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "application.illegal_transition"
    assert body["status"] == 409
    assert (body["current_status"], body["action"]) == ("REGISTERED", "claim")
    assert body["detail"] == "'claim' is not allowed while the application is REGISTERED"


def test_the_same_code_from_another_check_carries_no_current_status(registered):
    client, number, _, admin = registered
    runtime = client.app.state.runtime
    with runtime.sessions() as session:
        certificate_no = session.scalar(select(IssuedCertificate.certificate_no))
    path = f"/v1/admin/certificates/{certificate_no}/revoke"
    assert client.post(path, json={"reason": "登簿错误，予以更正"}, headers=admin).status_code == 200

    response = client.post(path, json={"reason": "登簿错误，予以更正"}, headers=admin)

    assert response.status_code == 409
    body = response.json()
    assert (body["code"], body["status"]) == ("application.illegal_transition", 409)
    assert "current_status" not in body and "action" not in body
