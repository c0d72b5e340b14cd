"""Review through the API: queue order, claims, decisions, the register, recorded history."""
from __future__ import annotations

from datetime import date

from lxml import etree
from sqlalchemy import func, select, update

from gateway.persistence.db import transaction
from gateway.persistence.models import Application, SignedDocument
from gateway.register.models import RegisteredMortgage
from tests.conftest import REVIEWER_PASSWORD, staff_headers
from tests.integration.helpers import NS, approve, claim, submit_new


def test_the_queue_lists_the_oldest_deadline_first_in_keyset_pages(client, runtime, pki, bank_auth, reviewer):
    numbers = [submit_new(client, pki, bank_auth) for _ in range(3)]
    with transaction(runtime.sessions) as session:
        for number, due in zip(numbers, [date(2026, 12, 9), date(2026, 12, 2), date(2026, 12, 4)], strict=True):
            session.execute(update(Application).where(Application.application_no == number).values(due_date=due))
    first = client.get("/v1/review/queue?limit=2", headers=reviewer).json()
    second = client.get(f"/v1/review/queue?limit=2&after={first['next_cursor']}", headers=reviewer).json()
    listed = [item["application_no"] for item in first["items"] + second["items"]]
    assert listed == [numbers[1], numbers[2], numbers[0]]
    assert second["next_cursor"] is None


def test_an_application_claimed_by_one_reviewer_cannot_be_decided_by_another(client, pki, bank_auth, reviewer):
    number = submit_new(client, pki, bank_auth)
    claim(client, number, reviewer)
    other = staff_headers(client, "reviewer2", REVIEWER_PASSWORD)
    response = client.post(f"/v1/review/applications/{number}/decision", json={"decision": "approve"}, headers=other)
    assert response.status_code == 409
    assert response.json()["code"] == "review.not_claimed"


def test_a_claimed_application_cannot_be_claimed_again(client, pki, bank_auth, reviewer):
    number = submit_new(client, pki, bank_auth)
    claim(client, number, reviewer)
    response = client.post(f"/v1/review/applications/{number}/claim", headers=reviewer)
    assert response.status_code == 409
    assert response.json()["code"] == "application.illegal_transition"


def test_an_unclaimed_application_cannot_be_decided(client, pki, bank_auth, reviewer):
    number = submit_new(client, pki, bank_auth)
    response = client.post(f"/v1/review/applications/{number}/decision", json={"decision": "approve"}, headers=reviewer)
    assert response.status_code == 409
    assert response.json()["code"] == "application.illegal_transition"


def test_a_rejection_without_a_reason_is_refused_and_changes_nothing(client, runtime, pki, bank_auth, reviewer):
    number = submit_new(client, pki, bank_auth)
    claim(client, number, reviewer)
    response = client.post(f"/v1/review/applications/{number}/decision", json={"decision": "reject"}, headers=reviewer)
    assert response.status_code == 422
    assert response.json()["code"] == "review.reason_required"
    with transaction(runtime.sessions) as session:
        assert session.scalar(select(Application.status).where(Application.application_no == number)) == "IN_REVIEW"


def test_a_rejection_sends_a_signed_result_with_the_reason(client, pki, bank_auth, reviewer):
    number = submit_new(client, pki, bank_auth)
    claim(client, number, reviewer)
    decided = client.post(f"/v1/review/applications/{number}/decision",
                          json={"decision": "reject", "reason": "抵押合同未加盖抵押人签章"}, headers=reviewer)
    assert decided.json()["status"] == "REJECTED"
    result = etree.fromstring(client.get(f"/v1/applications/{number}/result", auth=bank_auth).content)
    assert result.findtext("g:Decision", namespaces=NS) == "REJECTED"
    assert result.findtext("g:Reason", namespaces=NS) == "抵押合同未加盖抵押人签章"


def test_a_supplement_request_lists_what_is_missing_and_is_not_a_final_result(client, pki, bank_auth, reviewer):
    number = submit_new(client, pki, bank_auth)
    claim(client, number, reviewer)
    missing = [{"type_code": "MARRIAGE_CERTIFICATE", "reason": "共有人婚姻关系证明缺失"}]
    decided = client.post(f"/v1/review/applications/{number}/decision",
                          json={"decision": "request_supplement", "missing": missing}, headers=reviewer)
    assert decided.json()["status"] == "SUPPLEMENT_REQUESTED"
    notice = etree.fromstring(client.get(f"/v1/applications/{number}/documents/supplement_request", auth=bank_auth).content)
    assert notice.findtext("g:Supplement/g:Item/g:TypeCode", namespaces=NS) == "MARRIAGE_CERTIFICATE"
    assert client.get(f"/v1/applications/{number}/result", auth=bank_auth).status_code == 409


def test_every_transition_is_recorded_with_actor_and_time(client, pki, bank_auth, reviewer):
    number = submit_new(client, pki, bank_auth)
    approve(client, number, reviewer)
    history = client.get(f"/v1/review/applications/{number}", headers=reviewer).json()["history"]
    assert [(h["action"], h["actor_kind"], h["actor"]) for h in history] == [
        ("submit", "institution", "91640221MA76B3KX0N"),
        ("claim", "staff", "reviewer"),
        ("approve", "staff", "reviewer"),
        ("register", "system", "register"),
    ]
    assert all(h["at"] for h in history)


def test_two_mortgages_on_one_unit_take_consecutive_priorities_and_certificate_numbers(client, runtime, pki, bank_auth, reviewer):
    for number in [submit_new(client, pki, bank_auth), submit_new(client, pki, bank_auth)]:
        approve(client, number, reviewer)
    with transaction(runtime.sessions) as session:
        rows = session.execute(select(RegisteredMortgage.priority, RegisteredMortgage.certificate_no)
                               .order_by(RegisteredMortgage.priority)).all()
    assert [priority for priority, _ in rows] == [1, 2]
    assert [no[-9:] for _, no in rows] == ["第0000001号", "第0000002号"]


def test_the_review_api_needs_a_staff_token(client, pki, bank_auth):
    response = client.get("/v1/review/queue")
    assert response.status_code == 401
    assert response.json()["code"] == "auth.required"


def test_an_admin_is_not_a_reviewer(client, admin):
    response = client.get("/v1/review/queue", headers=admin)
    assert response.status_code == 403
    assert response.json()["code"] == "auth.forbidden"


def test_a_wrong_password_gets_no_token(client):
    response = client.post("/v1/staff/sessions", json={"username": "reviewer", "password": "wrong-password"})
    assert response.status_code == 401
    assert response.json()["code"] == "auth.bad_credentials"


def test_a_decision_stores_exactly_one_signed_result(client, runtime, pki, bank_auth, reviewer):
    number = submit_new(client, pki, bank_auth)
    approve(client, number, reviewer)
    with transaction(runtime.sessions) as session:
        kinds = session.scalars(select(SignedDocument.kind).join(Application)
                                .where(Application.application_no == number).order_by(SignedDocument.id)).all()
        assert session.scalar(select(func.count()).select_from(RegisteredMortgage)) == 1
    assert kinds == ["request", "receipt", "result"]
