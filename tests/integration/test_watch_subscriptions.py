"""Title watch of registrations the gateway enters itself, and explicit subscriptions.

A mortgage or discharge the gateway registers tells the unit's other mortgagees (never the bank whose
registration it is). A bank about to lend may subscribe to a unit with its own application in progress
there, and is told of what happens on the unit until that application is decided. Every refusal has
its documented code and stores nothing.
"""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gateway.api.app import create_app
from gateway.persistence.db import transaction
from gateway.watch.models import WatchSubscription
from tests.conftest import REVIEWER_PASSWORD, make_settings, seed, staff_headers, start_runtime
from tests.support import scenarios as s
from tests.support.tamper import runtime, runtime_from_template, seeded_database  # noqa: F401 (fixtures)
from tests.support.watch import (BANK, OTHER, UNIT, give_mortgage, inbox_notices, notice_rows,  # noqa: F401
                                 run_import, seizure, text)


@pytest.fixture
def bank(pki) -> s.Bank:
    return s.main_bank(pki)


@pytest.fixture
def other(pki) -> s.Bank:
    return s.other_bank(pki)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_gateway(request, tmp_path, pki):
    """(runtime, API client, reviewer headers) of the seeded gateway on either database."""
    if request.param == "sqlite":
        gateway = runtime_from_template(request.getfixturevalue("seeded_database"), tmp_path / "var", pki)
    else:
        gateway = start_runtime(make_settings(tmp_path / "var", pki, database_url=request.getfixturevalue("postgres_url")))
        seed(gateway, pki)
    with TestClient(create_app(gateway), base_url="http://gateway.test") as client:
        yield gateway, client, staff_headers(client, "reviewer", REVIEWER_PASSWORD)
    gateway.close()


def other_banks_first_mortgage(client, other) -> str:
    return s.submit_ok(client, s.first(mortgagee=s.OTHER_BANK), other)


def subscribe(client, bank: s.Bank, application_no: str, unit_code: str = UNIT):
    return client.post("/v1/watch/subscriptions", json={"unit_code": unit_code, "application_no": application_no},
                       auth=bank.auth)


def subscription_count(runtime) -> int:
    with transaction(runtime.sessions) as session:
        return session.scalar(select(func.count()).select_from(WatchSubscription))


def assert_refused(response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code


# --- registrations the gateway enters ----------------------------------------------------------------------------

def test_a_second_mortgage_registered_through_the_gateway_tells_the_first_mortgagee(any_gateway, other):
    runtime, client, reviewer = any_gateway
    give_mortgage(runtime)
    number = other_banks_first_mortgage(client, other)

    s.approve(client, number, reviewer)

    [second] = s.in_force(runtime)[1:]
    [notice] = inbox_notices(runtime, BANK)
    assert (text(notice, "g:Event/g:Kind"), text(notice, "g:Event/g:Source"),
            text(notice, "g:Event/g:Reference")) == ("MORTGAGE", "gateway", second.certificate_no)
    assert text(notice, "g:Event/g:RegisteredAt") is not None
    assert [text(notice, f"g:Event/g:Mortgage/g:{name}") for name in ("MortgageeCode", "Priority")] == [OTHER, "2"]
    assert text(notice, "g:WatchedBy/g:Mortgage/g:CertificateNo") == s.EXISTING_NO
    assert inbox_notices(runtime, OTHER) == []


def test_a_banks_own_second_mortgage_on_its_unit_does_not_notify_itself(runtime, client, bank, reviewer):
    give_mortgage(runtime)
    number = s.submit_ok(client, s.first(), bank)

    s.approve(client, number, reviewer)

    assert len(s.in_force(runtime)) == 2
    assert inbox_notices(runtime, BANK) == []
    assert notice_rows(runtime) == []


def test_a_discharge_through_the_gateway_tells_the_other_mortgagees(runtime, client, bank):
    give_mortgage(runtime)
    give_mortgage(runtime, s.SECOND_NO, mortgagee=OTHER, priority=2)

    response = s.submit(client, s.discharge(s.EXISTING_NO), bank)  # approved and entered at intake

    assert response.status_code == 202, response.text
    [notice] = inbox_notices(runtime, OTHER)
    assert (text(notice, "g:Event/g:Kind"), text(notice, "g:Event/g:Mortgage/g:CertificateNo"),
            text(notice, "g:WatchedBy/g:Mortgage/g:CertificateNo")) == (
        "MORTGAGE_DISCHARGE", s.EXISTING_NO, s.SECOND_NO)
    assert s.CERTIFICATE_NO.fullmatch(text(notice, "g:Event/g:Reference")), "the discharge's own number"
    assert inbox_notices(runtime, BANK) == []


# --- subscriptions ------------------------------------------------------------------------------------------------

def test_a_bank_subscribed_with_its_application_in_progress_is_told_of_a_seizure(any_gateway, other, run_import):
    runtime, client, _ = any_gateway
    number = other_banks_first_mortgage(client, other)
    response = subscribe(client, other, number)
    assert response.status_code == 201, response.text
    subscription = response.json()
    assert (subscription["unit_code"], subscription["application_no"], subscription["active"]) == (UNIT, number, True)

    assert run_import(runtime, [seizure()])[0] == 0

    [notice] = inbox_notices(runtime, OTHER)
    assert text(notice, "g:Event/g:Kind") == "SEIZURE"
    assert (text(notice, "g:WatchedBy/g:Application/g:ApplicationNo"),
            text(notice, "g:WatchedBy/g:Application/g:SubscriptionId")) == (number, str(subscription["id"]))


def test_subscribing_again_with_the_same_application_answers_the_same_subscription(runtime, client, other):
    number = other_banks_first_mortgage(client, other)
    first = subscribe(client, other, number)

    again = subscribe(client, other, number)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert subscription_count(runtime) == 1


def test_a_bank_lists_only_its_own_subscriptions(runtime, client, bank, other):
    mine, theirs = s.submit_ok(client, s.first(), bank), other_banks_first_mortgage(client, other)
    assert subscribe(client, bank, mine).status_code == 201
    assert subscribe(client, other, theirs).status_code == 201

    listed = client.get("/v1/watch/subscriptions", auth=bank.auth)

    assert listed.status_code == 200, listed.text
    assert [entry["application_no"] for entry in listed.json()["subscriptions"]] == [mine]


def test_subscribing_with_another_institutions_application_is_refused_and_stores_nothing(runtime, client, bank, other):
    number = other_banks_first_mortgage(client, other)

    assert_refused(subscribe(client, bank, number), 404, "watch.application_unknown")
    assert subscription_count(runtime) == 0


def test_subscribing_with_an_application_number_nobody_has_is_refused_alike(runtime, client, bank):
    assert_refused(subscribe(client, bank, "64022120261207999999"), 404, "watch.application_unknown")
    assert subscription_count(runtime) == 0


def test_subscribing_to_a_unit_the_application_is_not_on_is_refused(runtime, client, other):
    number = other_banks_first_mortgage(client, other)

    assert_refused(subscribe(client, other, number, s.SHOP_CODE), 422, "watch.unit_mismatch")
    assert subscription_count(runtime) == 0


def test_subscribing_with_a_decided_application_is_refused(runtime, client, other, reviewer):
    number = other_banks_first_mortgage(client, other)
    s.reject(client, number, reviewer)

    assert_refused(subscribe(client, other, number), 409, "watch.application_decided")
    assert subscription_count(runtime) == 0


def test_a_malformed_unit_code_is_refused_and_stores_nothing(runtime, client, other):
    number = other_banks_first_mortgage(client, other)

    assert_refused(subscribe(client, other, number, UNIT[:-1]), 422, "request.invalid")
    assert subscription_count(runtime) == 0


def test_a_subscription_ends_when_its_application_is_decided(runtime, client, other, reviewer, run_import):
    number = other_banks_first_mortgage(client, other)
    assert subscribe(client, other, number).status_code == 201

    s.reject(client, number, reviewer)

    [listed] = client.get("/v1/watch/subscriptions", auth=other.auth).json()["subscriptions"]
    assert (listed["active"], listed["end_reason"]) == (False, "decided")
    assert listed["ended_at"] is not None
    assert run_import(runtime, [seizure()])[0] == 0
    assert inbox_notices(runtime, OTHER) == []


def test_an_approved_application_hands_over_to_the_mortgage_watch(runtime, client, other, reviewer, run_import):
    number = other_banks_first_mortgage(client, other)
    assert subscribe(client, other, number).status_code == 201
    s.approve(client, number, reviewer)

    assert run_import(runtime, [seizure()])[0] == 0

    [notice] = inbox_notices(runtime, OTHER)
    [mortgage] = s.in_force(runtime)
    assert text(notice, "g:WatchedBy/g:Mortgage/g:CertificateNo") == mortgage.certificate_no
    assert text(notice, "g:WatchedBy/g:Application/g:ApplicationNo") is None


def test_a_cancelled_subscription_is_told_nothing(runtime, client, other, run_import):
    number = other_banks_first_mortgage(client, other)
    subscription = subscribe(client, other, number).json()

    ended = client.delete(f"/v1/watch/subscriptions/{subscription['id']}", auth=other.auth)

    assert ended.status_code == 200, ended.text
    assert (ended.json()["active"], ended.json()["end_reason"]) == (False, "cancelled")
    assert run_import(runtime, [seizure()])[0] == 0
    assert inbox_notices(runtime, OTHER) == []


def test_another_institutions_subscription_cannot_be_ended(runtime, client, bank, other):
    number = other_banks_first_mortgage(client, other)
    subscription = subscribe(client, other, number).json()

    assert_refused(client.delete(f"/v1/watch/subscriptions/{subscription['id']}", auth=bank.auth), 404, "not_found")
    [listed] = client.get("/v1/watch/subscriptions", auth=other.auth).json()["subscriptions"]
    assert listed["active"] is True


def test_subscriptions_need_the_institutions_http_signature(client):
    assert_refused(client.get("/v1/watch/subscriptions"), 401, "http_signature.missing")
