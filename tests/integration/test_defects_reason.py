"""The reviewer's reason reaches the institution: as ``Reason`` in the signed supplement request,
approval and rejection, in the status JSON, and on the staff and clerk pages (api.md §4.2, §8).

Acceptance testing found that a reason given with an approval or a supplement request was
recorded in the history but never written into the signed document.
"""
from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from gateway.api.app import create_app
from gateway.persistence.db import transaction
from gateway.staff.service import add_user
from tests.conftest import REVIEWER_PASSWORD, staff_headers
from tests.integration.helpers import NS, approve, claim, submit_new
from tests.integration.test_outputs_schema import assert_valid, fetch
from tests.support import factories

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
CLERK_PASSWORD = "clerk-password-1"
SUPPLEMENT_REASON = "抵押人婚姻状况与登记簿不一致，请补充说明"
APPROVAL_REASON = "经核对原始档案，共有情况无误"
MISSING = [{"type_code": "MARRIAGE_CERTIFICATE", "reason": "共有人婚姻关系证明缺失"}]


def decide(client, number: str, reviewer, body: dict):
    claim(client, number, reviewer)
    response = client.post(f"/v1/review/applications/{number}/decision", json=body, headers=reviewer)
    assert response.status_code == 200, response.text
    assert client.app.state.runtime.wait_idle(60)
    return response


def test_a_supplement_request_carries_the_reviewers_reason_in_its_signed_document(client, pki, bank_auth, reviewer):
    number = submit_new(client, pki, bank_auth)
    decide(client, number, reviewer, {"decision": "request_supplement", "reason": SUPPLEMENT_REASON, "missing": MISSING})

    notice = fetch(client, bank_auth, number, "supplement_request")
    assert notice.findtext("g:Reason", namespaces=NS) == SUPPLEMENT_REASON
    assert notice.findtext("g:Supplement/g:Item/g:Reason", namespaces=NS) == MISSING[0]["reason"]
    assert_valid(notice)


def test_a_supplement_request_without_a_reason_has_no_reason_element(client, pki, bank_auth, reviewer):
    number = submit_new(client, pki, bank_auth)
    decide(client, number, reviewer, {"decision": "request_supplement", "missing": MISSING})

    notice = fetch(client, bank_auth, number, "supplement_request")
    assert notice.find("g:Reason", namespaces=NS) is None
    assert_valid(notice)


def test_an_approval_carries_the_reviewers_reason_in_its_signed_result(client, pki, bank_auth, reviewer):
    number = submit_new(client, pki, bank_auth)
    decide(client, number, reviewer, {"decision": "approve", "reason": APPROVAL_REASON})

    result = fetch(client, bank_auth, number, "result")
    assert result.findtext("g:Decision", namespaces=NS) == "APPROVED"
    assert result.findtext("g:Reason", namespaces=NS) == APPROVAL_REASON
    assert_valid(result)


def test_an_approval_without_a_reason_has_no_reason_element(client, pki, bank_auth, reviewer):
    number = submit_new(client, pki, bank_auth)
    approve(client, number, reviewer)

    result = fetch(client, bank_auth, number, "result")
    assert result.find("g:Reason", namespaces=NS) is None
    assert_valid(result)


def test_a_rejection_carries_the_reviewers_reason_in_its_signed_result(client, pki, bank_auth, reviewer):
    number = submit_new(client, pki, bank_auth)
    decide(client, number, reviewer, {"decision": "reject", "reason": "抵押合同未加盖抵押人签章"})

    result = fetch(client, bank_auth, number, "result")
    assert result.findtext("g:Reason", namespaces=NS) == "抵押合同未加盖抵押人签章"
    assert_valid(result)


def test_the_status_json_shows_the_reviewers_reason_for_the_decision(client, pki, bank_auth, reviewer):
    number = submit_new(client, pki, bank_auth)
    decide(client, number, reviewer, {"decision": "approve", "reason": APPROVAL_REASON})

    status = client.get(f"/v1/applications/{number}", auth=bank_auth).json()
    assert status["decision_reason"] == APPROVAL_REASON
    assert status["history"][2]["note"] == {"reason": APPROVAL_REASON}


def test_the_status_json_shows_the_reason_of_a_pending_supplement_request(client, pki, bank_auth, reviewer):
    number = submit_new(client, pki, bank_auth)
    assert client.get(f"/v1/applications/{number}", auth=bank_auth).json()["decision_reason"] is None
    decide(client, number, reviewer, {"decision": "request_supplement", "reason": SUPPLEMENT_REASON, "missing": MISSING})

    status = client.get(f"/v1/applications/{number}", auth=bank_auth).json()
    assert (status["status"], status["decision_reason"]) == ("SUPPLEMENT_REQUESTED", SUPPLEMENT_REASON)


# --- the pages --------------------------------------------------------------------------------------------------

@pytest.fixture
def app(runtime):
    with transaction(runtime.sessions) as session:
        add_user(session, username="clerk", role="clerk", password=CLERK_PASSWORD, institution_code=factories.BANK_CODE)
    return create_app(runtime)


def sign_in(app, username: str, password: str) -> tuple[TestClient, str]:
    browser = TestClient(app, base_url="http://gateway.test", follow_redirects=False)
    token = CSRF_FIELD.search(browser.get("/login").text).group(1)
    signed_in = browser.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert signed_in.status_code == 303, signed_in.text
    page = browser.get(signed_in.headers["location"], follow_redirects=True)
    return browser, CSRF_FIELD.search(page.text).group(1)


def test_the_review_page_offers_a_reason_with_an_approval_and_sends_it_signed(app, pki, bank_auth):
    api = TestClient(app, base_url="http://gateway.test")
    number = submit_new(api, pki, bank_auth)
    browser, csrf = sign_in(app, "reviewer", REVIEWER_PASSWORD)
    assert browser.post(f"/review/applications/{number}/claim", data={"csrf_token": csrf}).status_code == 303
    page = browser.get(f"/review/applications/{number}").text
    assert 'id="approve-reason"' in page and 'id="supplement-reason"' in page

    decided = browser.post(f"/review/applications/{number}/decision",
                           data={"csrf_token": csrf, "decision": "approve", "reason": APPROVAL_REASON})
    assert decided.status_code == 303, decided.text
    assert app.state.runtime.wait_idle(60)
    assert fetch(api, bank_auth, number, "result").findtext("g:Reason", namespaces=NS) == APPROVAL_REASON
    assert APPROVAL_REASON in browser.get(f"/review/applications/{number}").text


def test_the_review_page_shows_the_reason_of_a_pending_supplement_request(app, pki, bank_auth):
    api = TestClient(app, base_url="http://gateway.test")
    number = submit_new(api, pki, bank_auth)
    browser, csrf = sign_in(app, "reviewer", REVIEWER_PASSWORD)
    browser.post(f"/review/applications/{number}/claim", data={"csrf_token": csrf})
    decided = browser.post(f"/review/applications/{number}/decision", data={
        "csrf_token": csrf, "decision": "request_supplement", "reason": SUPPLEMENT_REASON,
        "missing": "MARRIAGE_CERTIFICATE", "missing_reason-MARRIAGE_CERTIFICATE": "共有人婚姻关系证明缺失"})
    assert decided.status_code == 303, decided.text

    page = browser.get(f"/review/applications/{number}").text
    assert SUPPLEMENT_REASON in page and "共有人婚姻关系证明缺失" in page
    assert fetch(api, bank_auth, number, "supplement_request").findtext("g:Reason", namespaces=NS) == SUPPLEMENT_REASON


def test_the_clerks_page_shows_an_approvals_reason_as_the_reviewers_opinion(app, pki, bank_auth):
    api = TestClient(app, base_url="http://gateway.test")
    number = submit_new(api, pki, bank_auth)
    decide(api, number, staff_headers(api, "reviewer", REVIEWER_PASSWORD), {"decision": "approve", "reason": APPROVAL_REASON})

    browser, _ = sign_in(app, "clerk", CLERK_PASSWORD)
    page = browser.get(f"/clerk/applications/{number}").text
    assert "审核意见" in page and APPROVAL_REASON in page
    assert "不予登记理由" not in page


def test_the_clerks_page_shows_a_rejections_reason(app, pki, bank_auth):
    api = TestClient(app, base_url="http://gateway.test")
    number = submit_new(api, pki, bank_auth)
    decide(api, number, staff_headers(api, "reviewer", REVIEWER_PASSWORD), {"decision": "reject", "reason": "抵押合同未签章"})

    browser, _ = sign_in(app, "clerk", CLERK_PASSWORD)
    page = browser.get(f"/clerk/applications/{number}").text
    assert "不予登记理由" in page and "抵押合同未签章" in page


def test_the_clerks_page_shows_the_reason_of_a_supplement_request(app, pki, bank_auth):
    api = TestClient(app, base_url="http://gateway.test")
    number = submit_new(api, pki, bank_auth)
    decide(api, number, staff_headers(api, "reviewer", REVIEWER_PASSWORD),
           {"decision": "request_supplement", "reason": SUPPLEMENT_REASON, "missing": MISSING})

    browser, _ = sign_in(app, "clerk", CLERK_PASSWORD)
    page = browser.get(f"/clerk/applications/{number}").text
    assert SUPPLEMENT_REASON in page and "共有人婚姻关系证明缺失" in page


def test_the_polled_certificate_block_brings_the_signed_result_with_the_certificate(app, pki, bank_auth):
    """The clerk's page polls while the certificate is made; the result is issued with it, so the polled
    answer also swaps in the documents list (a page opened before the certificate shows the result too)."""
    api = TestClient(app, base_url="http://gateway.test")
    number = submit_new(api, pki, bank_auth)
    browser, _ = sign_in(app, "clerk", CLERK_PASSWORD)
    before = browser.get(f"/clerk/applications/{number}/certificate-status").text
    assert 'id="certificate-block"' in before and 'id="documents-list"' not in before  # nothing to swap yet
    decide(api, number, staff_headers(api, "reviewer", REVIEWER_PASSWORD), {"decision": "approve"})
    assert app.state.runtime.wait_idle(60)
    polled = browser.get(f"/clerk/applications/{number}/certificate-status").text
    assert "下载电子证明（PDF）" in polled
    assert 'id="documents-list" hx-swap-oob="true"' in polled
    assert f'/clerk/applications/{number}/documents/result"' in polled
