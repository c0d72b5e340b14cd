"""Registration events: every registration the gateway enters is told, as one event signed by the gateway,
to each department subscribed at that moment (the tax bureau from its creation), in its inbox and on
its callback URL — never to a bank, never twice, with one event id for every subscriber.

Registrations are driven through the API as banks and reviewers do; the events are read from the
department's inbox as the inbox serves them and verified with signing/jws.py against the gateway's
certificate.
"""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bank_adapters import ChangeField, ChangeItem
from gateway.api.app import create_app
from gateway.inbox.models import InboxEntry
from gateway.persistence.db import transaction
from gateway.registration_events.models import RegistrationEventPublication
from gateway.tasks import registry
from tests.conftest import REVIEWER_PASSWORD, staff_headers
from tests.support import factories, scenarios as s
from tests.support.registration_events import (KIND, add_department, events_of, fund_centre, housing_bureau,
                                               inbox_events, tax_bureau)
from tests.support.tamper import PERSONAL_DATA, runtime, seeded_database, seeded_runtime_on  # noqa: F401

MORTGAGE_TYPES = ["MORTGAGE_FIRST", "MORTGAGE_FIRST_MAXIMUM", "MORTGAGE_CHANGE", "MORTGAGE_TRANSFER",
                  "CONSTRUCTION_MORTGAGE", "PRE_NOTICE_MORTGAGE", "PRE_NOTICE_CONVERSION", "MORTGAGE_DISCHARGE"]


@pytest.fixture(params=["sqlite", "postgresql"])
def any_runtime(request, tmp_path, pki):
    """The seeded gateway on either database."""
    gateway = seeded_runtime_on(request.param, request, tmp_path / "var", pki)
    yield gateway
    gateway.close()


@pytest.fixture
def api(any_runtime):
    with TestClient(create_app(any_runtime), base_url="http://gateway.test") as test_client:
        yield test_client


def enter_every_mortgage_registration(client, runtime, pki) -> list[str]:
    """One registration of each mortgage type, in this order; returns their application numbers."""
    bank, other = s.main_bank(pki), s.other_bank(pki)
    reviewer = staff_headers(client, "reviewer", REVIEWER_PASSWORD)
    with transaction(runtime.sessions) as session:
        s.add_building(session)
        s.add_off_plan_flat(session)
    numbers = []

    def approved(app, by=bank, *, confirm=None) -> str:
        number = s.submit_ok(client, app, by)
        if confirm is not None:
            s.confirm_transfer(client, number, confirm)
        s.approve(client, number, reviewer)
        numbers.append(number)
        return number

    approved(s.first())
    approved(s.maximum(secured_amount=None))
    general, maximum = s.in_force(runtime)
    approved(s.change(general.certificate_no, ChangeItem(ChangeField.DEBT_END, "2045-11-30")))
    approved(s.transfer(maximum.certificate_no), confirm=other)
    approved(s.construction())
    approved(s.pre_notice())
    with transaction(runtime.sessions) as session:
        s.give_title(session)
    approved(s.conversion(s.in_force(runtime, s.OFF_PLAN_CODE)[0].certificate_no))
    discharge = s.submit_ok(client, s.discharge(s.in_force(runtime)[0].certificate_no), bank)  # approved at intake
    numbers.append(discharge)
    assert s.statuses(runtime, *numbers) == ["REGISTERED"] * len(numbers)
    return numbers


# --- every registration type, to every subscriber, once ---------------------------------------------------------

def test_every_mortgage_registration_gives_each_subscribed_department_one_signed_event_with_one_event_id(
        api, any_runtime, pki):
    add_department(any_runtime, tax_bureau(pki))  # subscribed from its creation
    add_department(any_runtime, housing_bureau(pki))
    response = api.put("/v1/departments/subscriptions/registration-events", auth=housing_bureau(pki).auth)
    assert response.status_code == 201, response.text

    numbers = enter_every_mortgage_registration(api, any_runtime, pki)

    tax, housing = events_of(any_runtime, factories.TAX_BUREAU_CODE), events_of(any_runtime, factories.HOUSING_BUREAU_CODE)
    assert [e["event_type"] for e in tax] == MORTGAGE_TYPES
    assert [e["application_no"] for e in tax] == numbers
    assert tax == housing, "every subscriber is told the same events"
    assert len({e["event_id"] for e in tax}) == len(MORTGAGE_TYPES)
    assert all(e["event_id"].startswith("RE") and len(e["event_id"]) == 32 for e in tax)
    assert [content for content, _ in inbox_events(any_runtime, factories.TAX_BUREAU_CODE)] == [
        content for content, _ in inbox_events(any_runtime, factories.HOUSING_BUREAU_CODE)], "signed once: same bytes"
    assert s.registered_numbers(any_runtime) == [e["certificate_no"] for e in tax]


def test_the_events_of_a_bank_s_registrations_reach_no_bank(api, any_runtime, pki):
    add_department(any_runtime, tax_bureau(pki))

    enter_every_mortgage_registration(api, any_runtime, pki)

    assert len(events_of(any_runtime, factories.TAX_BUREAU_CODE)) == len(MORTGAGE_TYPES)
    with transaction(any_runtime.sessions) as session:
        assert session.scalar(select(func.count()).select_from(InboxEntry).where(InboxEntry.kind == KIND)) == len(
            MORTGAGE_TYPES), "only the department's inbox holds registration events"


def test_a_department_not_subscribed_gets_no_event(client, runtime, pki, reviewer):
    add_department(runtime, tax_bureau(pki))
    add_department(runtime, housing_bureau(pki))  # a housing bureau is not subscribed by default
    add_department(runtime, fund_centre(pki), kind="housing_fund")

    number = s.submit_ok(client, s.first(), s.main_bank(pki))
    s.approve(client, number, reviewer)

    assert len(events_of(runtime, factories.TAX_BUREAU_CODE)) == 1
    assert events_of(runtime, factories.HOUSING_BUREAU_CODE) == []
    assert events_of(runtime, factories.FUND_CENTRE_CODE) == []


# --- what a mortgage event says ---------------------------------------------------------------------------------

def test_a_first_mortgage_event_carries_the_mortgage_facts_and_no_personal_data(client, runtime, pki, reviewer):
    add_department(runtime, tax_bureau(pki))
    app = s.first()
    number = s.submit_ok(client, app, s.main_bank(pki))

    s.approve(client, number, reviewer)

    [(content, _)] = inbox_events(runtime, factories.TAX_BUREAU_CODE)
    [event] = events_of(runtime, factories.TAX_BUREAU_CODE)
    [mortgage] = s.in_force(runtime)
    assert {k: event[k] for k in ("document", "event_type", "unit_code", "certificate_no", "application_no")} == {
        "document": "RegistrationEvent", "event_type": "MORTGAGE_FIRST", "unit_code": factories.UNIT_CODE,
        "certificate_no": mortgage.certificate_no, "application_no": number}
    assert event["registered_at"].endswith("Z")
    assert event["details"]["mortgage"] == {
        "certificate_no": mortgage.certificate_no, "kind": "GENERAL", "status": "IN_FORCE", "priority": 1,
        "mortgagee_code": factories.BANK_CODE, "mortgagee_name": "平罗县测试商业银行",
        "secured_amount": "1200000.00", "maximum_claim_amount": None, "currency": "CNY",
        "debt_start": app.debt_start.isoformat(), "debt_end": app.debt_end.isoformat(),
        "claim_period_start": None, "claim_period_end": None}
    assert event["details"]["referenced_certificate_no"] is None
    for value in PERSONAL_DATA:  # the mortgagors' names and ID numbers
        assert value not in content.decode("ascii") and value not in str(event)


def test_a_change_event_names_the_mortgage_changed_and_what_changed(client, runtime, pki, reviewer):
    add_department(runtime, tax_bureau(pki))
    bank = s.main_bank(pki)
    s.approve(client, s.submit_ok(client, s.first(), bank), reviewer)
    [before] = s.in_force(runtime)

    number = s.submit_ok(client, s.change(before.certificate_no, ChangeItem(ChangeField.SECURED_AMOUNT, "900000.00")),
                         bank)
    s.approve(client, number, reviewer)

    _, change = events_of(runtime, factories.TAX_BUREAU_CODE)
    [after] = s.in_force(runtime)
    assert change["event_type"] == "MORTGAGE_CHANGE"
    assert change["details"]["referenced_certificate_no"] == before.certificate_no
    assert change["details"]["changes"] == [{"field": "SECURED_AMOUNT", "new_value": "900000.00"}]
    assert (change["details"]["mortgage"]["certificate_no"], change["details"]["mortgage"]["secured_amount"]) == (
        after.certificate_no, "900000.00")
    assert change["certificate_no"] == after.certificate_no != before.certificate_no


def test_a_discharge_event_names_the_mortgage_discharged_and_why(client, runtime, pki, reviewer):
    add_department(runtime, tax_bureau(pki))
    bank = s.main_bank(pki)
    s.approve(client, s.submit_ok(client, s.first(), bank), reviewer)
    [mortgage] = s.in_force(runtime)

    s.submit_ok(client, s.discharge(mortgage.certificate_no), bank)

    _, discharge = events_of(runtime, factories.TAX_BUREAU_CODE)
    assert discharge["event_type"] == "MORTGAGE_DISCHARGE"
    assert discharge["details"]["referenced_certificate_no"] == mortgage.certificate_no
    assert discharge["details"]["discharge_reason"] == "DEBT_REPAID"
    assert discharge["details"]["mortgage"]["status"] == "DISCHARGED"


# --- exactly once ------------------------------------------------------------------------------------------------

def test_running_the_publish_task_and_the_sweep_again_publishes_nothing_twice(any_runtime, api, pki):
    add_department(any_runtime, tax_bureau(pki))
    reviewer = staff_headers(api, "reviewer", REVIEWER_PASSWORD)
    s.approve(api, s.submit_ok(api, s.first(), s.main_bank(pki)), reviewer)
    [first] = inbox_events(any_runtime, factories.TAX_BUREAU_CODE)
    with transaction(any_runtime.sessions) as session:
        [publication] = session.scalars(select(RegistrationEventPublication)).all()

    registry.run(any_runtime, "registration_events.publish", [publication.id])
    registry.run(any_runtime, "registration_events.sweep", [])

    assert inbox_events(any_runtime, factories.TAX_BUREAU_CODE) == [first]
