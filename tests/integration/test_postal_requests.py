"""Paper on request: a bank asks for the printed certificate to be mailed (EMS); an administrator
records printing, then posting with the tracking number; the bank sees both. No postal service
is called. One issued certificate is shared by the module; each test makes its own request.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from gateway.api.app import create_app
from gateway.runtime import Runtime
from signing.httpsig import HttpSignatureAuth
from tests.conftest import ADMIN_PASSWORD, REVIEWER_PASSWORD, staff_headers
from tests.integration.helpers import approve, submit_new
from tests.support import scenarios as s
from tests.support.tamper import assert_problem, runtime, runtime_from_template, seeded_database  # noqa: F401

ADDRESS = {"recipient": "平罗县测试商业银行个贷中心", "phone": "0952-6012345",
           "address": "宁夏石嘴山市平罗县城关镇鼓楼南街18号", "postcode": "753400"}
TRACKING_NO = "EA123456789CN"


@dataclass(frozen=True)
class Gateway:
    runtime: Runtime
    client: TestClient
    bank: HttpSignatureAuth
    other_bank: HttpSignatureAuth
    admin: dict[str, str]
    reviewer: dict[str, str]
    application_no: str  # approved, its certificate issued


@pytest.fixture(scope="module")
def gateway(seeded_database, tmp_path_factory, pki) -> Iterator[Gateway]:
    runtime = runtime_from_template(seeded_database, tmp_path_factory.mktemp("postal") / "var", pki)
    bank = HttpSignatureAuth(key_id=pki.bank.fingerprint, private_key=pki.bank.key)
    other = HttpSignatureAuth(key_id=pki.other_bank.fingerprint, private_key=pki.other_bank.key)
    with TestClient(create_app(runtime), base_url="http://gateway.test") as client:
        reviewer = staff_headers(client, "reviewer", REVIEWER_PASSWORD)
        number = submit_new(client, pki, bank)
        approve(client, number, reviewer)
        yield Gateway(runtime, client, bank, other, staff_headers(client, "admin", ADMIN_PASSWORD), reviewer, number)
    runtime.close()


def request_paper(gateway: Gateway, body: dict = ADDRESS) -> dict:
    response = gateway.client.post(f"/v1/applications/{gateway.application_no}/postal-requests", json=body,
                                   auth=gateway.bank)
    assert response.status_code == 201, response.text
    return response.json()


def advance(gateway: Gateway, request_id: int, headers=None, **body):
    return gateway.client.post(f"/v1/admin/postal-requests/{request_id}", json=body,
                               headers=headers or gateway.admin)


def seen_by_bank(gateway: Gateway, request_id: int) -> dict:
    response = gateway.client.get(f"/v1/applications/{gateway.application_no}/postal-requests", auth=gateway.bank)
    assert response.status_code == 200, response.text
    [found] = [r for r in response.json() if r["id"] == request_id]
    return found


def test_a_bank_requests_paper_and_the_request_is_recorded_as_requested(gateway):
    created = request_paper(gateway)

    assert created["status"] == "REQUESTED"
    assert created["tracking_no"] is None
    assert s.CERTIFICATE_NO.fullmatch(created["certificate_no"])
    assert seen_by_bank(gateway, created["id"])["status"] == "REQUESTED"


def test_an_admin_lists_the_requests_waiting_to_be_printed(gateway):
    created = request_paper(gateway)

    response = gateway.client.get("/v1/admin/postal-requests?status=REQUESTED", headers=gateway.admin)

    assert response.status_code == 200, response.text
    assert created["id"] in [r["id"] for r in response.json()]
    assert {r["status"] for r in response.json()} == {"REQUESTED"}


def test_an_admin_records_printing_then_posting_and_the_bank_sees_the_tracking_number(gateway):
    created = request_paper(gateway)

    printed = advance(gateway, created["id"], status="PRINTED")
    assert printed.status_code == 200, printed.text
    assert printed.json()["status"] == "PRINTED"
    assert seen_by_bank(gateway, created["id"])["status"] == "PRINTED"

    posted = advance(gateway, created["id"], status="POSTED", tracking_no=TRACKING_NO)
    assert posted.status_code == 200, posted.text
    assert (posted.json()["status"], posted.json()["tracking_no"]) == ("POSTED", TRACKING_NO)
    seen = seen_by_bank(gateway, created["id"])
    assert (seen["status"], seen["tracking_no"]) == ("POSTED", TRACKING_NO)
    assert seen["updated_at"] is not None


def test_posting_without_a_tracking_number_is_refused(gateway):
    created = request_paper(gateway)
    assert advance(gateway, created["id"], status="PRINTED").status_code == 200

    response = advance(gateway, created["id"], status="POSTED")

    assert_problem(response, 422, "postal.tracking_required")
    assert seen_by_bank(gateway, created["id"])["status"] == "PRINTED"


def test_posting_before_printing_is_refused(gateway):
    created = request_paper(gateway)

    response = advance(gateway, created["id"], status="POSTED", tracking_no=TRACKING_NO)

    assert response.status_code == 409, response.text
    seen = seen_by_bank(gateway, created["id"])
    assert (seen["status"], seen["tracking_no"]) == ("REQUESTED", None)


def test_a_posted_request_cannot_be_printed_again(gateway):
    created = request_paper(gateway)
    advance(gateway, created["id"], status="PRINTED")
    advance(gateway, created["id"], status="POSTED", tracking_no=TRACKING_NO)

    response = advance(gateway, created["id"], status="PRINTED")

    assert response.status_code == 409, response.text
    assert seen_by_bank(gateway, created["id"])["status"] == "POSTED"


def test_another_bank_cannot_request_paper_for_the_certificate(gateway):
    response = gateway.client.post(f"/v1/applications/{gateway.application_no}/postal-requests", json=ADDRESS,
                                   auth=gateway.other_bank)

    assert response.status_code == 404, response.text
    listed = gateway.client.get(f"/v1/applications/{gateway.application_no}/postal-requests", auth=gateway.other_bank)
    assert listed.status_code == 404, listed.text


def test_a_reviewer_cannot_update_a_postal_request(gateway):
    created = request_paper(gateway)

    response = advance(gateway, created["id"], headers=gateway.reviewer, status="PRINTED")

    assert_problem(response, 403, "auth.forbidden")
    assert seen_by_bank(gateway, created["id"])["status"] == "REQUESTED"


def test_a_reviewer_cannot_list_postal_requests(gateway):
    response = gateway.client.get("/v1/admin/postal-requests", headers=gateway.reviewer)

    assert_problem(response, 403, "auth.forbidden")


def test_an_unknown_postal_request_is_not_found(gateway):
    assert advance(gateway, 999_999, status="PRINTED").status_code == 404


@pytest.mark.parametrize("field, value", [("postcode", "75340"), ("phone", "call me"), ("address", "平罗"),
                                          ("recipient", "")])
def test_a_request_with_an_unusable_address_is_refused(gateway, field, value):
    response = gateway.client.post(f"/v1/applications/{gateway.application_no}/postal-requests",
                                   json={**ADDRESS, field: value}, auth=gateway.bank)

    assert response.status_code == 422, response.text


def test_paper_cannot_be_requested_before_the_certificate_is_issued(client, pki, bank_auth):
    number = submit_new(client, pki, bank_auth)

    response = client.post(f"/v1/applications/{number}/postal-requests", json=ADDRESS, auth=bank_auth)

    assert_problem(response, 409, "certificate.not_ready")


def test_paper_is_not_mailed_for_a_cancelled_certificate(client, runtime, pki, bank_auth, reviewer):
    bank = s.main_bank(pki)
    number = submit_new(client, pki, bank_auth)
    approve(client, number, reviewer)
    [mortgage] = s.in_force(runtime)
    assert s.submit(client, s.discharge(mortgage.certificate_no), bank).status_code == 202
    assert runtime.wait_idle(30)

    response = client.post(f"/v1/applications/{number}/postal-requests", json=ADDRESS, auth=bank_auth)

    assert response.status_code == 409, response.text
