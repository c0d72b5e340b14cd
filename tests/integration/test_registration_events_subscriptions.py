"""Department subscriptions to registration events (GET/PUT/DELETE /v1/departments/subscriptions), and the
events as a department receives them: pulled from its inbox, or posted to its callback URL with retries.

A bank is refused with 403 ``subscription.not_department`` and nothing is stored.
"""
from __future__ import annotations

import base64
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from gateway.api.app import create_app
from gateway.inbox import service as inbox_service
from gateway.persistence.db import transaction
from gateway.persistence.models import Delivery, Institution
from gateway.persistence.types import utcnow
from gateway.registration_events.models import (DepartmentSubscription, RegistrationEvent,
                                                RegistrationEventPublication)
from gateway.registration_events.service import record_registration
from gateway.tasks import registry
from signing.httpsig import verify_request
from tests.conftest import REVIEWER_PASSWORD, make_settings, seed, staff_headers, start_runtime
from tests.support import factories, scenarios as s
from tests.support.callbacks import CallbackReceiver
from tests.support.registration_events import (KIND, add_department, events_of, fund_centre, housing_bureau,
                                               inbox_events, tax_bureau, verified_payload)
from tests.support.tamper import (Snapshot, assert_nothing_changed, assert_problem, runtime,  # noqa: F401
                                  seeded_database)

TOPIC = "/v1/departments/subscriptions/registration-events"


def subscriptions(runtime) -> list[tuple[str, str, str, bool]]:
    with transaction(runtime.sessions) as session:
        rows = session.execute(select(Institution.code, DepartmentSubscription.topic, DepartmentSubscription.origin,
                                      DepartmentSubscription.ended_at.is_(None))
                               .join(Institution, Institution.id == DepartmentSubscription.institution_id)
                               .order_by(DepartmentSubscription.id)).all()
        return [tuple(row) for row in rows]


def register_first_mortgage(client, pki, reviewer) -> str:
    number = s.submit_ok(client, s.first(), s.main_bank(pki))
    s.approve(client, number, reviewer)
    return number


# --- default subscriptions -------------------------------------------------------------------------------------

def test_the_tax_bureau_is_subscribed_from_its_creation_and_the_other_departments_are_not(runtime, pki):
    add_department(runtime, tax_bureau(pki))
    add_department(runtime, housing_bureau(pki))
    add_department(runtime, fund_centre(pki), kind="housing_fund")

    assert subscriptions(runtime) == [(factories.TAX_BUREAU_CODE, "registration-events", "default", True)]


def test_the_tax_bureau_sees_its_default_subscription(client, runtime, pki):
    add_department(runtime, tax_bureau(pki))

    response = client.get("/v1/departments/subscriptions", auth=tax_bureau(pki).auth)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["department"] == factories.TAX_BUREAU_CODE
    [subscription] = body["subscriptions"]
    assert {k: subscription[k] for k in ("topic", "active", "ended_at", "origin")} == {
        "topic": "registration-events", "active": True, "ended_at": None, "origin": "default"}
    assert subscription["subscribed_at"].endswith("Z")


# --- subscribing and stopping ------------------------------------------------------------------------------------

def test_subscribing_starts_once_and_again_is_answered_with_the_same_subscription(client, runtime, pki):
    department = housing_bureau(pki)
    add_department(runtime, department)

    first = client.put(TOPIC, auth=department.auth)
    again = client.put(TOPIC, auth=department.auth)

    assert first.status_code == 201, first.text
    assert again.status_code == 200, again.text
    assert first.json() == again.json()
    assert (first.json()["active"], first.json()["origin"]) == (True, "department")
    assert subscriptions(runtime) == [(factories.HOUSING_BUREAU_CODE, "registration-events", "department", True)]


def test_a_department_that_stops_gets_no_further_event_and_can_subscribe_again(client, runtime, pki, reviewer):
    department = tax_bureau(pki)
    add_department(runtime, department)

    stopped = client.delete(TOPIC, auth=department.auth)
    register_first_mortgage(client, pki, reviewer)

    assert stopped.status_code == 200, stopped.text
    assert stopped.json()["active"] is False and stopped.json()["ended_at"].endswith("Z")
    assert events_of(runtime, factories.TAX_BUREAU_CODE) == []
    again = client.put(TOPIC, auth=department.auth)
    assert again.status_code == 201, again.text
    assert (again.json()["active"], again.json()["ended_at"], again.json()["origin"]) == (True, None, "department")
    register_first_mortgage(client, pki, reviewer)
    assert [e["event_type"] for e in events_of(runtime, factories.TAX_BUREAU_CODE)] == ["MORTGAGE_FIRST"]


def test_stopping_a_subscription_never_started_changes_nothing(client, runtime, pki):
    department = housing_bureau(pki)
    add_department(runtime, department)

    response = client.delete(TOPIC, auth=department.auth)

    assert response.status_code == 200, response.text
    assert response.json() == {"topic": "registration-events", "active": False, "subscribed_at": None,
                               "ended_at": None, "origin": None}
    assert subscriptions(runtime) == []


def test_a_housing_fund_centre_that_is_also_a_department_may_subscribe(client, runtime, pki, reviewer):
    department = fund_centre(pki)
    add_department(runtime, department, kind="housing_fund")

    response = client.put(TOPIC, auth=department.auth)
    register_first_mortgage(client, pki, reviewer)

    assert response.status_code == 201, response.text
    assert [e["event_type"] for e in events_of(runtime, factories.FUND_CENTRE_CODE)] == ["MORTGAGE_FIRST"]


# --- a bank is refused -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_a_bank_changing_a_subscription_is_refused_and_nothing_is_stored(client, runtime, bank_auth, method):
    before = Snapshot(runtime)

    response = client.request(method, TOPIC, auth=bank_auth)

    assert_problem(response, 403, "subscription.not_department")
    assert_nothing_changed(runtime, before)
    assert subscriptions(runtime) == []


def test_a_department_subscribing_in_the_name_of_another_is_refused_and_nothing_is_stored(client, runtime, pki):
    add_department(runtime, housing_bureau(pki))
    before = Snapshot(runtime)

    response = client.put(TOPIC, json={"department": factories.TAX_BUREAU_CODE}, auth=housing_bureau(pki).auth)

    assert_problem(response, 403, "department.signer_mismatch")
    assert_nothing_changed(runtime, before)


def test_a_department_naming_itself_in_the_body_subscribes(client, runtime, pki):
    add_department(runtime, housing_bureau(pki))

    response = client.put(TOPIC, json={"department": factories.HOUSING_BUREAU_CODE}, auth=housing_bureau(pki).auth)

    assert response.status_code == 201, response.text
    assert subscriptions(runtime) == [(factories.HOUSING_BUREAU_CODE, "registration-events", "department", True)]


def test_a_subscription_body_other_than_the_department_s_code_is_refused_and_nothing_is_stored(client, runtime, pki):
    add_department(runtime, housing_bureau(pki))
    before = Snapshot(runtime)

    response = client.put(TOPIC, json={"topics": ["all"]}, auth=housing_bureau(pki).auth)

    assert_problem(response, 422, "request.invalid")
    assert_nothing_changed(runtime, before)


def test_a_bank_listing_subscriptions_is_refused(client, runtime, bank_auth):
    response = client.get("/v1/departments/subscriptions", auth=bank_auth)

    assert_problem(response, 403, "subscription.not_department")


def test_a_bank_that_tried_to_subscribe_gets_no_event(client, runtime, pki, bank_auth, reviewer):
    assert client.put(TOPIC, auth=bank_auth).status_code == 403

    register_first_mortgage(client, pki, reviewer)

    assert events_of(runtime, factories.BANK_CODE) == []
    with transaction(runtime.sessions) as session:
        assert session.scalar(select(func.count()).select_from(RegistrationEventPublication)) == 0


def test_an_unsigned_subscription_request_is_refused(client, runtime):
    response = client.put(TOPIC)

    assert response.status_code == 401, response.text
    assert subscriptions(runtime) == []


# --- pulling from the inbox --------------------------------------------------------------------------------------

def test_a_department_pulls_its_events_from_its_inbox_and_acknowledges_them(client, runtime, pki, reviewer):
    department = tax_bureau(pki)
    add_department(runtime, department)
    number = register_first_mortgage(client, pki, reviewer)
    assert runtime.wait_idle(30)

    page = client.get("/v1/inbox", auth=department.auth)

    assert page.status_code == 200, page.text
    [entry] = page.json()["entries"]
    assert (entry["kind"], entry["media_type"], entry["application_no"]) == (KIND, "application/jose", None)
    event = verified_payload(runtime, base64.b64decode(entry["document"]))
    assert (event["event_type"], event["application_no"]) == ("MORTGAGE_FIRST", number)
    ack = client.post("/v1/inbox/ack", json={"cursor": entry["cursor"]}, auth=department.auth)
    assert ack.status_code == 200, ack.text


# --- the callback ------------------------------------------------------------------------------------------------

@pytest.fixture
def flaky_receiver():
    receiver = CallbackReceiver(fail_first=1).start()  # the first POST is answered 500
    yield receiver
    receiver.stop()


@pytest.fixture
def sweeping_runtime(tmp_path, pki):
    """Sweeps every 0.2 s, so a failed callback is attempted again at once."""
    gateway = start_runtime(make_settings(tmp_path / "var", pki, sweep_interval_seconds=0.2))
    seed(gateway, pki)
    yield gateway
    gateway.close()


def test_an_event_is_posted_to_the_department_s_callback_again_after_a_failure(sweeping_runtime, pki, flaky_receiver):
    add_department(sweeping_runtime, tax_bureau(pki), callback_url=flaky_receiver.url)
    with TestClient(create_app(sweeping_runtime), base_url="http://gateway.test") as client:
        register_first_mortgage(client, pki, staff_headers(client, "reviewer", REVIEWER_PASSWORD))
        [callback] = flaky_receiver.wait_for(1)

    [(content, _)] = inbox_events(sweeping_runtime, factories.TAX_BUREAU_CODE)
    assert flaky_receiver.attempts == 2, "answered 500 once, then delivered"
    headers = {name.lower(): value for name, value in callback.headers.items()}
    assert (headers["content-type"], headers["x-gateway-document-kind"]) == ("application/jose", KIND)
    assert "x-gateway-application-no" not in headers
    assert callback.body == content, "the callback carries the inbox entry's signed bytes"
    assert verified_payload(sweeping_runtime, callback.body)["event_type"] == "MORTGAGE_FIRST"
    verified = verify_request(method="POST", url=flaky_receiver.url, headers=callback.headers, body=callback.body,
                              resolve_key=lambda key_id: pki.gateway.certificate.public_key())
    assert verified.key_id == pki.gateway.fingerprint


def test_an_event_never_answered_becomes_a_dead_letter_and_stays_in_the_inbox(tmp_path, pki):
    refusing = CallbackReceiver(fail_first=10_000).start()
    gateway = start_runtime(make_settings(tmp_path / "var", pki, sweep_interval_seconds=0.2, callback_max_attempts=2))
    try:
        seed(gateway, pki)
        add_department(gateway, tax_bureau(pki), callback_url=refusing.url)
        with TestClient(create_app(gateway), base_url="http://gateway.test") as client:
            register_first_mortgage(client, pki, staff_headers(client, "reviewer", REVIEWER_PASSWORD))
            deadline = time.monotonic() + 30
            while not (dead := dead_deliveries(gateway)) and time.monotonic() < deadline:
                time.sleep(0.05)

        [delivery] = dead
        assert (delivery.attempts, refusing.attempts) == (2, 2)
        [event] = events_of(gateway, factories.TAX_BUREAU_CODE)
        assert event["event_type"] == "MORTGAGE_FIRST", "the department can still pull it"
    finally:
        gateway.close()
        refusing.stop()


def dead_deliveries(runtime) -> list[Delivery]:
    with transaction(runtime.sessions) as session:
        return list(session.scalars(select(Delivery).where(Delivery.status == "dead")))


# --- publishing that failed, and the sweep -----------------------------------------------------------------------

def test_an_event_whose_publishing_failed_is_published_by_the_next_sweep_with_the_same_event_id(
        client, runtime, pki, reviewer, monkeypatch):
    add_department(runtime, tax_bureau(pki))

    def inbox_down(*args, **kwargs):
        raise RuntimeError("the inbox failed")

    monkeypatch.setattr(inbox_service, "publish", inbox_down)
    register_first_mortgage(client, pki, reviewer)
    assert runtime.wait_idle(30)
    assert inbox_events(runtime, factories.TAX_BUREAU_CODE) == []
    monkeypatch.undo()
    with transaction(runtime.sessions) as session:
        event_id = session.scalar(select(RegistrationEvent.event_id))
        session.execute(update(RegistrationEventPublication).values(created_at=utcnow() - timedelta(minutes=1)))

    registry.run(runtime, "registration_events.sweep", [])

    [event] = events_of(runtime, factories.TAX_BUREAU_CODE)
    assert event["event_id"] == event_id
    with transaction(runtime.sessions) as session:
        assert session.scalar(select(RegistrationEventPublication.published_at)) is not None


# --- an ownership transfer's event (recorded by the combined transfer, helper code of its own) -------------------

def test_an_ownership_transfer_event_carries_its_details_as_given_and_stores_them_sealed(runtime, pki):
    add_department(runtime, tax_bureau(pki))
    seller, buyer = s.WANG, s.LI
    details = {"sellers": [{"name": seller.name, "id_type": seller.id_type, "id_number": seller.id_number}],
               "buyers": [buyer], "sale_contract_no": "PL2026-000123", "sale_price": Decimal("1500000.00"),
               "carried_over": [s.EXISTING_NO]}
    certificate_no = "宁(2026)平罗县不动产证明第0009001号"

    with transaction(runtime.sessions) as session:
        record_registration(session, event_type="OWNERSHIP_TRANSFER", unit_code=factories.UNIT_CODE,
                            certificate_no=certificate_no, registered_at=utcnow(), application_no=None, details=details)

    [event] = events_of(runtime, factories.TAX_BUREAU_CODE)
    assert (event["event_type"], event["certificate_no"], event["application_no"]) == (
        "OWNERSHIP_TRANSFER", certificate_no, None)
    assert event["details"] == {
        "sellers": [{"name": seller.name, "id_type": "RESIDENT_ID", "id_number": seller.id_number}],
        "buyers": [{"name": buyer.name, "id_type": "RESIDENT_ID", "id_number": buyer.id_number}],
        "sale_contract_no": "PL2026-000123", "sale_price": "1500000.00", "carried_over": [s.EXISTING_NO]}
    with runtime.sessions() as session:  # the raw columns: no name or ID number in clear
        raw = session.connection().exec_driver_sql("SELECT payload, signed FROM registration_events").one()
        raw_inbox = session.connection().exec_driver_sql("SELECT content FROM inbox_entries").all()
    for stored in (raw[0], bytes(raw[1]), *(bytes(r[0]) for r in raw_inbox)):
        text = stored if isinstance(stored, str) else stored.decode("latin-1")
        assert seller.id_number not in text and buyer.id_number not in text


def test_what_a_department_was_told_is_listed_in_who_looked_at_my_file(client, runtime, pki):
    add_department(runtime, tax_bureau(pki))
    certificate_no = "宁(2026)平罗县不动产证明第0009003号"
    with transaction(runtime.sessions) as session:
        record_registration(session, event_type="OWNERSHIP_TRANSFER", unit_code=factories.UNIT_CODE,
                            certificate_no=certificate_no, registered_at=utcnow(), application_no=None,
                            details={"buyers": [s.LI], "sale_contract_no": "PL2026-000125"})
    [event] = events_of(runtime, factories.TAX_BUREAU_CODE)
    supervisor = s.supervisor_headers(client)

    by_person = client.post("/v1/supervision/accesses", json={"id_number": s.LI.id_number}, headers=supervisor)
    by_unit = client.post("/v1/supervision/accesses", json={"unit_code": factories.UNIT_CODE}, headers=supervisor)

    for response in (by_person, by_unit):
        assert response.status_code == 200, response.text
        [told] = [a for a in response.json()["accesses"] if a["action"] == "registration_event.publish"]
        assert (told["actor"], told["actor_role"]) == (factories.TAX_BUREAU_CODE, "department")
        assert told["what"] == f"registration event OWNERSHIP_TRANSFER {certificate_no}"
        assert told["subject"] == event["event_id"]


def test_recording_the_same_registration_again_makes_no_second_event(runtime, pki):
    add_department(runtime, tax_bureau(pki))
    certificate_no = "宁(2026)平罗县不动产证明第0009002号"

    for _ in range(2):
        with transaction(runtime.sessions) as session:
            record_registration(session, event_type="OWNERSHIP_TRANSFER", unit_code=factories.UNIT_CODE,
                                certificate_no=certificate_no, registered_at=utcnow(), application_no=None,
                                details={"sale_contract_no": "PL2026-000124"})

    assert len(events_of(runtime, factories.TAX_BUREAU_CODE)) == 1


# --- two subscriptions at once (PostgreSQL: the second waits on the first's row, then finds it) -------------------

@pytest.fixture
def postgres_runtime(tmp_path, pki, postgres_url):
    gateway = start_runtime(make_settings(tmp_path / "var", pki, database_url=postgres_url))
    seed(gateway, pki)
    yield gateway
    gateway.close()


def test_two_subscriptions_of_one_department_at_once_make_one_row_and_both_are_answered(postgres_runtime, pki):
    from concurrent.futures import ThreadPoolExecutor

    from gateway.registration_events import subscriptions as service

    add_department(postgres_runtime, housing_bureau(pki))

    def subscribe_in_its_own_transaction():
        with transaction(postgres_runtime.sessions) as session:
            department = session.scalar(select(Institution).where(Institution.code == factories.HOUSING_BUREAU_CODE))
            return service.subscribe(session, institution=department, topic="registration-events", at=utcnow())

    with ThreadPoolExecutor(max_workers=1) as pool:
        with transaction(postgres_runtime.sessions) as session:
            department = session.scalar(select(Institution).where(Institution.code == factories.HOUSING_BUREAU_CODE))
            first, first_started = service.subscribe(session, institution=department, topic="registration-events",
                                                     at=utcnow())
            second = pool.submit(subscribe_in_its_own_transaction)  # waits on the uncommitted row
            time.sleep(0.5)  # long enough for the second to have read nothing and tried its insert
        second_view, second_started = second.result(timeout=30)

    assert (first_started, second_started) == (True, False)
    assert second_view.active and second_view.subscribed_at == first.subscribed_at
    assert subscriptions(postgres_runtime) == [
        (factories.HOUSING_BUREAU_CODE, "registration-events", "department", True)]
