"""The register after approval, for every registration type, linked groups and the order of receipt.

Each test drives the API as a bank and a reviewer would (signed XML in, reviewer decisions) and
then reads the register tables: what a registration created, amended or ended, with which
priority (顺位) and which certificate number.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from bank_adapters import ChangeField, ChangeItem
from gateway.applications.states import Action
from gateway.persistence.db import transaction
from gateway.persistence.models import Institution, StaffUser
from gateway.persistence.types import utcnow
from gateway.register.models import RegistrationEntry
from gateway.review import service
from gateway.timezone import LOCAL_TZ
from tests.conftest import make_settings, seed, start_runtime
from tests.support import factories, scenarios as s
from tests.support.callbacks import CallbackReceiver
from tests.support.register import add_mortgage, add_unit
from tests.support.tamper import runtime, runtime_from_template, seeded_database  # noqa: F401 (fixtures)


@pytest.fixture
def bank(pki) -> s.Bank:
    return s.main_bank(pki)


@pytest.fixture
def other(pki) -> s.Bank:
    return s.other_bank(pki)


def local_year() -> int:
    return utcnow().astimezone(LOCAL_TZ).year


def serials(numbers: list[str]) -> list[int]:
    found = [s.CERTIFICATE_NO.fullmatch(n) for n in numbers]
    assert all(found), numbers
    return [int(m.group(2)) for m in found]


def entries(runtime) -> list[tuple[str, str, dict | None]]:
    with transaction(runtime.sessions) as session:
        return [(e.registration_type, e.certificate_no, e.summary) for e in session.scalars(
            select(RegistrationEntry).where(RegistrationEntry.registration_type != "IMPORTED")
            .order_by(RegistrationEntry.id))]


# --- first registration, general and maximum-amount ---------------------------------------------------------

def test_an_approved_first_mortgage_takes_the_next_priority_on_the_unit(client, runtime, bank, reviewer):
    with transaction(runtime.sessions) as session:
        add_mortgage(session, certificate_no=s.EXISTING_NO, mortgagee_code=factories.OTHER_BANK_CODE)
    number = s.submit_ok(client, s.first(), bank)
    assert len(s.in_force(runtime)) == 1, "nothing is registered before the decision"

    s.approve(client, number, reviewer)

    existing, new = s.in_force(runtime)
    assert (existing.certificate_no, existing.priority) == (s.EXISTING_NO, 1)
    assert (new.application_no, new.kind, new.priority, new.mortgagee_code) == (number, "GENERAL", 2, factories.BANK_CODE)
    assert new.secured_amount == Decimal("1200000.00")
    assert new.mortgagor_id_numbers == (s.WANG.id_number, s.LI.id_number)
    assert new.certificate_no == f"宁({local_year()})平罗县不动产证明第0000001号"
    assert s.statuses(runtime, number) == ["REGISTERED"]


def test_the_result_of_a_first_mortgage_names_its_certificate_number_and_priority(client, runtime, bank, reviewer):
    number = s.submit_ok(client, s.first(), bank)
    s.approve(client, number, reviewer)
    result = s.result(client, number, bank)
    assert result.findtext("g:Decision", namespaces=s.NS) == "APPROVED"
    assert result.findtext("g:Registration/g:CertificateNo", namespaces=s.NS) == s.in_force(runtime)[0].certificate_no
    assert result.findtext("g:Registration/g:Priority", namespaces=s.NS) == "1"


def test_a_maximum_amount_mortgage_records_its_maximum_claim_amount_and_claim_period(client, runtime, bank, reviewer):
    number = s.submit_ok(client, s.maximum(), bank)
    s.approve(client, number, reviewer)
    [mortgage] = s.in_force(runtime)
    assert (mortgage.application_no, mortgage.kind, mortgage.priority) == (number, "MAXIMUM", 1)
    assert mortgage.maximum_claim_amount == Decimal("2000000.00")
    assert mortgage.secured_amount is None
    assert (mortgage.claim_period_start, mortgage.claim_period_end) == (date(2026, 12, 1), date(2031, 11, 30))


# --- change ----------------------------------------------------------------------------------------------------

def two_mortgages(runtime) -> None:
    """The test bank's mortgage of 500,000 ranks first, the other bank's of 300,000 second."""
    with transaction(runtime.sessions) as session:
        add_mortgage(session, certificate_no=s.EXISTING_NO, priority=1, amount=Decimal("500000.00"))
        add_mortgage(session, certificate_no=s.SECOND_NO, mortgagee_code=factories.OTHER_BANK_CODE, priority=2,
                     amount=Decimal("300000.00"))


def test_an_amount_increase_with_the_later_mortgagees_consent_amends_the_mortgage(client, runtime, bank, reviewer):
    two_mortgages(runtime)
    app = s.change(s.EXISTING_NO, ChangeItem(ChangeField.SECURED_AMOUNT, "800000.00"),
                   codes=("CHANGE_AGREEMENT", "LATER_MORTGAGEE_CONSENT", "ID_DOCUMENT"))
    number = s.submit_ok(client, app, bank)

    s.approve(client, number, reviewer)

    first, second = s.in_force(runtime)
    assert (first.priority, first.mortgagee_code, first.secured_amount) == (1, factories.BANK_CODE, Decimal("800000.00"))
    assert first.certificate_no == f"宁({local_year()})平罗县不动产证明第0000001号", "the change has its own number"
    assert (second.certificate_no, second.priority, second.secured_amount) == (s.SECOND_NO, 2, Decimal("300000.00"))
    assert entries(runtime) == [("MORTGAGE_CHANGE", first.certificate_no,
                                 {"changes": [{"field": "SECURED_AMOUNT", "new_value": "800000.00"}]})]


def test_an_amount_increase_without_the_later_mortgagees_consent_is_refused_at_intake(client, runtime, bank):
    two_mortgages(runtime)
    app = s.change(s.EXISTING_NO, ChangeItem(ChangeField.SECURED_AMOUNT, "800000.00"))
    response = s.submit(client, app, bank)
    assert response.status_code == 422, response.text
    refusals = [f["code"] for f in response.json()["findings"] if f["severity"] == "REFUSE"]
    assert refusals == ["change.harms_later_mortgagees_without_consent"]
    assert s.in_force(runtime)[0].secured_amount == Decimal("500000.00")


def test_a_priority_change_reorders_the_in_force_mortgages(client, runtime, bank, reviewer):
    two_mortgages(runtime)
    with transaction(runtime.sessions) as session:
        add_mortgage(session, certificate_no=s.THIRD_NO, priority=3, amount=Decimal("200000.00"))
    app = s.change(s.THIRD_NO, ChangeItem(ChangeField.PRIORITY, "1"),
                   codes=("CHANGE_AGREEMENT", "LATER_MORTGAGEE_CONSENT", "ID_DOCUMENT"))
    number = s.submit_ok(client, app, bank)

    s.approve(client, number, reviewer)

    ranked = [(m.priority, m.secured_amount, m.mortgagee_code) for m in s.in_force(runtime)]
    assert ranked == [
        (1, Decimal("200000.00"), factories.BANK_CODE),  # moved up from third
        (2, Decimal("500000.00"), factories.BANK_CODE),
        (3, Decimal("300000.00"), factories.OTHER_BANK_CODE),
    ]


# --- transfer --------------------------------------------------------------------------------------------------------

def test_a_transfer_makes_the_transferee_the_mortgagee(client, runtime, pki, bank, reviewer):
    with transaction(runtime.sessions) as session:
        add_mortgage(session, certificate_no=s.EXISTING_NO)
    number = s.submit_ok(client, s.transfer(s.EXISTING_NO), bank)
    s.confirm_transfer(client, number, s.other_bank(pki))

    s.approve(client, number, reviewer)

    [mortgage] = s.in_force(runtime)
    assert (mortgage.mortgagee_code, mortgage.priority) == (factories.OTHER_BANK_CODE, 1)
    assert mortgage.certificate_no != s.EXISTING_NO
    assert entries(runtime) == [("MORTGAGE_TRANSFER", mortgage.certificate_no,
                                 {"from": factories.BANK_CODE, "to": factories.OTHER_BANK_CODE})]


def test_a_transfer_without_a_transferee_is_refused_at_intake(client, runtime, bank):
    with transaction(runtime.sessions) as session:
        add_mortgage(session, certificate_no=s.EXISTING_NO)
    response = s.submit(client, s.transfer(s.EXISTING_NO, transferee=None), bank)
    assert response.status_code == 422, response.text
    findings = response.json()["findings"]
    assert ("transfer.transferee_missing", "REFUSE", "transferee") in [
        (f["code"], f["severity"], f["field"]) for f in findings]
    assert s.in_force(runtime)[0].mortgagee_code == factories.BANK_CODE


# --- discharge ---------------------------------------------------------------------------------------------------

def test_a_discharge_filed_by_the_current_mortgagee_is_approved_at_intake_and_ends_the_mortgage(client, runtime, bank):
    with transaction(runtime.sessions) as session:
        add_mortgage(session, certificate_no=s.EXISTING_NO)
    response = s.submit(client, s.discharge(s.EXISTING_NO), bank)
    assert response.status_code == 202, response.text
    receipt = s.receipt(response)
    number = receipt.findtext("g:ApplicationNo", namespaces=s.NS)
    assert receipt.findtext("g:Triage", namespaces=s.NS) == "AUTO_APPROVE"
    assert runtime.wait_idle(30)

    [mortgage] = s.mortgages(runtime)
    assert (mortgage.certificate_no, mortgage.status) == (s.EXISTING_NO, "DISCHARGED")
    assert s.statuses(runtime, number) == ["REGISTERED"]
    [(kind, discharge_no, summary)] = entries(runtime)
    assert (kind, summary) == ("MORTGAGE_DISCHARGE", {"discharged": "DEBT_REPAID"})
    assert serials([discharge_no]) == [1]


def test_an_automatically_approved_discharge_has_a_pullable_signed_result(client, runtime, bank):
    with transaction(runtime.sessions) as session:
        add_mortgage(session, certificate_no=s.EXISTING_NO)
    number = s.submit_ok(client, s.discharge(s.EXISTING_NO), bank)
    assert runtime.wait_idle(30)

    result = s.result(client, number, bank)
    assert result.findtext("g:Decision", namespaces=s.NS) == "APPROVED"
    assert result.findtext("g:Registration/g:CertificateNo", namespaces=s.NS) == entries(runtime)[0][1]
    history = s.status(client, number, bank)["history"]
    assert [(h["action"], h["actor_kind"]) for h in history] == [
        ("submit", "institution"), ("auto_approve", "system"), ("register", "system")]


def test_an_automatically_approved_discharge_is_posted_to_the_banks_callback(client, runtime, bank):
    receiver = CallbackReceiver().start()
    try:
        with transaction(runtime.sessions) as session:
            add_mortgage(session, certificate_no=s.EXISTING_NO)
            session.execute(update(Institution).where(Institution.code == factories.BANK_CODE)
                            .values(callback_url=receiver.url))
        number = s.submit_ok(client, s.discharge(s.EXISTING_NO), bank)
        [callback] = receiver.wait_for(1, timeout=20)
    finally:
        receiver.stop()
    assert callback.headers["X-Gateway-Application-No"] == number
    assert callback.body == client.get(f"/v1/applications/{number}/result", auth=bank.auth).content


# --- construction, pre-notice and its conversion --------------------------------------------------------------------------

def test_a_construction_mortgage_is_registered_on_a_unit_under_construction(client, runtime, bank, reviewer):
    with transaction(runtime.sessions) as session:
        s.add_building(session)
    number = s.submit_ok(client, s.construction(), bank)
    s.approve(client, number, reviewer)
    [mortgage] = s.in_force(runtime, s.BUILDING_CODE)
    assert (mortgage.application_no, mortgage.kind, mortgage.priority) == (number, "CONSTRUCTION", 1)
    assert mortgage.secured_amount == Decimal("30000000.00")
    assert mortgage.mortgagor_id_numbers == (s.DEVELOPER.id_number,)


def test_a_pre_notice_mortgage_is_registered_for_the_buyers_of_an_off_plan_flat(client, runtime, bank, reviewer):
    with transaction(runtime.sessions) as session:
        s.add_off_plan_flat(session)
    number = s.submit_ok(client, s.pre_notice(), bank)
    s.approve(client, number, reviewer)
    [mortgage] = s.in_force(runtime, s.OFF_PLAN_CODE)
    assert (mortgage.application_no, mortgage.kind, mortgage.priority) == (number, "PRE_NOTICE", 1)
    assert mortgage.mortgagor_id_numbers == (s.WANG.id_number, s.LI.id_number)


def test_a_pre_notice_converts_to_a_mortgage_keeping_its_priority_once_the_flat_is_titled(
        client, runtime, bank, other, reviewer):
    with transaction(runtime.sessions) as session:
        s.add_off_plan_flat(session)
    pre_notice = s.submit_ok(client, s.pre_notice(), bank)
    s.approve(client, pre_notice, reviewer)
    behind = s.submit_ok(client, s.pre_notice(mortgagee=s.OTHER_BANK, secured_amount=Decimal("200000.00")), other)
    s.approve(client, behind, reviewer)
    [pre_notice_row, _] = s.in_force(runtime, s.OFF_PLAN_CODE)
    with transaction(runtime.sessions) as session:
        s.give_title(session)

    number = s.submit_ok(client, s.conversion(pre_notice_row.certificate_no), bank)
    s.approve(client, number, reviewer)

    rows = {m.application_no: m for m in s.mortgages(runtime, s.OFF_PLAN_CODE)}
    assert (rows[pre_notice].status, rows[pre_notice].priority) == ("CONVERTED", 1)
    assert (rows[number].status, rows[number].kind, rows[number].priority) == ("IN_FORCE", "GENERAL", 1)
    assert (rows[behind].status, rows[behind].priority) == ("IN_FORCE", 2)
    assert rows[number].certificate_no != pre_notice_row.certificate_no
    conversion_entry = entries(runtime)[-1]
    assert conversion_entry[0] == "PRE_NOTICE_CONVERSION"
    assert conversion_entry[2] == {"converted_from": pre_notice_row.certificate_no}


def test_a_conversion_before_the_flat_is_titled_is_refused_at_intake(client, runtime, bank, reviewer):
    with transaction(runtime.sessions) as session:
        s.add_off_plan_flat(session)
    pre_notice = s.submit_ok(client, s.pre_notice(), bank)
    s.approve(client, pre_notice, reviewer)
    response = s.submit(client, s.conversion(s.in_force(runtime, s.OFF_PLAN_CODE)[0].certificate_no), bank)
    assert response.status_code == 422, response.text
    assert "unit.state_mismatch" in [f["code"] for f in response.json()["findings"]]


# --- certificate numbers -------------------------------------------------------------------------------------------------

def test_each_registration_gets_its_own_certificate_number_without_gaps(client, runtime, bank, reviewer):
    with transaction(runtime.sessions) as session:
        s.add_building(session)
    first = s.submit_ok(client, s.first(), bank)
    s.approve(client, first, reviewer)
    [mortgage] = s.in_force(runtime)
    change = s.submit_ok(client, s.change(mortgage.certificate_no, ChangeItem(ChangeField.DEBT_END, "2045-11-30")), bank)
    s.approve(client, change, reviewer)
    building = s.submit_ok(client, s.construction(), bank)
    s.approve(client, building, reviewer)
    s.submit_ok(client, s.discharge(s.in_force(runtime)[0].certificate_no), bank)
    assert runtime.wait_idle(30)

    numbers = s.registered_numbers(runtime)
    assert [t for t, _, _ in entries(runtime)] == [
        "MORTGAGE_FIRST", "MORTGAGE_CHANGE", "CONSTRUCTION_MORTGAGE", "MORTGAGE_DISCHARGE"]
    assert serials(numbers) == [1, 2, 3, 4]
    assert all(n.startswith(f"宁({local_year()})平罗县") for n in numbers)


# --- linked applications -------------------------------------------------------------------------------------------------

GROUP = "ZHD-2026-0001"


def test_a_combined_loan_registers_nothing_until_both_are_approved_then_both_in_position_order(
        client, runtime, bank, other, reviewer):
    # The second mortgagee's application arrives first: the position, not receipt, ranks the group.
    second = s.submit_ok(client, s.linked(s.first(mortgagee=s.OTHER_BANK, secured_amount=Decimal("300000.00")),
                                          GROUP, 2), other)
    first = s.submit_ok(client, s.linked(s.first(secured_amount=Decimal("600000.00")), GROUP, 1), bank)

    s.approve(client, first, reviewer)
    assert s.statuses(runtime, first, second) == ["APPROVED", "QUEUED"]
    assert s.mortgages(runtime) == []

    s.approve(client, second, reviewer)
    assert s.statuses(runtime, first, second) == ["REGISTERED", "REGISTERED"]
    assert [(m.application_no, m.priority, m.mortgagee_code) for m in s.in_force(runtime)] == [
        (first, 1, factories.BANK_CODE), (second, 2, factories.OTHER_BANK_CODE)]


def test_rejecting_one_linked_application_rejects_the_approved_other_and_registers_nothing(
        client, runtime, bank, other, reviewer):
    first = s.submit_ok(client, s.linked(s.first(), GROUP, 1), bank)
    second = s.submit_ok(client, s.linked(s.first(mortgagee=s.OTHER_BANK), GROUP, 2), other)
    s.approve(client, first, reviewer)

    s.reject(client, second, reviewer, "公积金贷款合同未签字")

    assert s.statuses(runtime, first, second) == ["REJECTED", "REJECTED"]
    assert s.mortgages(runtime) == []
    record = s.application_record(runtime, first)
    assert GROUP in record.decision_reason and second in record.decision_reason
    result = s.result(client, first, bank)
    assert result.findtext("g:Decision", namespaces=s.NS) == "REJECTED"
    assert result.findtext("g:Reason", namespaces=s.NS) == record.decision_reason
    assert s.status(client, first, bank)["history"][-1]["action"] == "linked_rejection"


def test_a_discharge_and_a_new_mortgage_linked_are_registered_together(client, runtime, bank, other, reviewer):
    with transaction(runtime.sessions) as session:
        add_mortgage(session, certificate_no=s.EXISTING_NO)
    release = s.submit_ok(client, s.linked(s.discharge(s.EXISTING_NO), GROUP, 1), bank)
    new = s.submit_ok(client, s.linked(s.first(mortgagee=s.OTHER_BANK), GROUP, 2), other)
    assert s.statuses(runtime, release) == ["QUEUED"], "a linked discharge is not approved automatically"

    s.approve(client, release, reviewer)
    assert [(m.certificate_no, m.status) for m in s.mortgages(runtime)] == [(s.EXISTING_NO, "IN_FORCE")]

    s.approve(client, new, reviewer)
    assert s.statuses(runtime, release, new) == ["REGISTERED", "REGISTERED"]
    [current] = s.in_force(runtime)
    assert (current.application_no, current.priority, current.mortgagee_code) == (new, 1, factories.OTHER_BANK_CODE)
    assert [m.status for m in s.mortgages(runtime) if m.certificate_no == s.EXISTING_NO] == ["DISCHARGED"]
    assert [t for t, _, _ in entries(runtime)] == ["MORTGAGE_DISCHARGE", "MORTGAGE_FIRST"]


# --- order of receipt ---------------------------------------------------------------------------------------------------------

def test_a_later_application_approved_first_waits_and_is_entered_after_the_earlier_one(client, runtime, bank, reviewer):
    earlier = s.submit_ok(client, s.first(secured_amount=Decimal("500000.00")), bank)
    later_response = s.submit(client, s.first(secured_amount=Decimal("100000.00")), bank)
    later = s.receipt(later_response).findtext("g:ApplicationNo", namespaces=s.NS)
    assert "application.earlier_pending" in s.receipt_findings(s.receipt(later_response))

    s.approve(client, later, reviewer)
    assert s.statuses(runtime, earlier, later) == ["QUEUED", "APPROVED"]
    assert s.mortgages(runtime) == []

    s.approve(client, earlier, reviewer)
    assert s.statuses(runtime, earlier, later) == ["REGISTERED", "REGISTERED"]
    assert [(m.application_no, m.priority) for m in s.in_force(runtime)] == [(earlier, 1), (later, 2)]


def test_a_waiting_approval_is_entered_when_the_earlier_application_is_rejected(client, runtime, bank, reviewer):
    earlier = s.submit_ok(client, s.first(), bank)
    later = s.submit_ok(client, s.first(), bank)
    s.approve(client, later, reviewer)
    assert s.statuses(runtime, later) == ["APPROVED"]

    s.reject(client, earlier, reviewer)

    assert s.statuses(runtime, earlier, later) == ["REJECTED", "REGISTERED"]
    assert [(m.application_no, m.priority) for m in s.in_force(runtime)] == [(later, 1)]


def test_an_application_received_between_two_linked_ones_is_entered_after_their_group(
        client, runtime, bank, other, reviewer):
    first = s.submit_ok(client, s.linked(s.first(), GROUP, 1), bank)
    between = s.submit_ok(client, s.first(mortgagee=s.OTHER_BANK), other)
    second = s.submit_ok(client, s.linked(s.first(secured_amount=Decimal("300000.00")), GROUP, 2), bank)

    for number in (first, between, second):
        s.approve(client, number, reviewer)

    assert s.statuses(runtime, first, between, second) == ["REGISTERED"] * 3
    assert [(m.application_no, m.priority) for m in s.in_force(runtime)] == [(first, 1), (second, 2), (between, 3)]


def test_a_discharge_cannot_be_approved_ahead_of_an_earlier_transfer_of_the_same_mortgage(
        client, runtime, pki, bank, reviewer):
    with transaction(runtime.sessions) as session:
        add_mortgage(session, certificate_no=s.EXISTING_NO)
    transfer = s.submit_ok(client, s.transfer(s.EXISTING_NO), bank)
    s.confirm_transfer(client, transfer, s.other_bank(pki))
    release = s.submit_ok(client, s.discharge(s.EXISTING_NO), bank)
    assert s.statuses(runtime, release) == ["QUEUED"], "an earlier application is pending: not automatic"
    s.claim(client, release, reviewer)

    early = client.post(f"/v1/review/applications/{release}/decision", json={"decision": "approve"}, headers=reviewer)

    assert early.status_code == 409, early.text
    assert early.json()["code"] == "register.conflict"
    assert s.statuses(runtime, release) == ["IN_REVIEW"]
    s.approve(client, transfer, reviewer)
    assert s.statuses(runtime, transfer) == ["REGISTERED"]
    assert [(m.mortgagee_code, m.status) for m in s.mortgages(runtime)] == [(factories.OTHER_BANK_CODE, "IN_FORCE")]


RACERS = 6


@pytest.fixture(params=["sqlite", "postgresql"])
def racing_runtime(request, tmp_path, pki):
    if request.param == "sqlite":
        runtime = runtime_from_template(request.getfixturevalue("seeded_database"), tmp_path / "var", pki)
    else:
        runtime = start_runtime(make_settings(tmp_path / "var", pki,
                                              database_url=request.getfixturevalue("postgres_url")))
        seed(runtime, pki)
    yield runtime
    runtime.close()


def _approve(runtime, number: str) -> None:
    with transaction(runtime.sessions) as session:
        reviewer = session.scalar(select(StaffUser).where(StaffUser.username == "reviewer"))
        service.decide(runtime, session, application_no=number, reviewer=reviewer,
                       decision=service.Decision(Action.APPROVE), at=utcnow())


def test_approvals_racing_in_reverse_order_of_receipt_give_priorities_in_order_of_receipt(racing_runtime, pki):
    start = utcnow() - timedelta(minutes=5)
    numbers = [s.submit_at(racing_runtime, s.first(secured_amount=Decimal(100000 * (i + 1))), pki.bank,
                           start + timedelta(seconds=i)).application_no for i in range(RACERS)]
    with transaction(racing_runtime.sessions) as session:
        reviewer = s.staff_user(session)
        for number in numbers:
            service.claim(session, racing_runtime.settings, application_no=number, reviewer=reviewer, at=utcnow())

    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        list(pool.map(lambda n: _approve(racing_runtime, n), reversed(numbers)))

    assert racing_runtime.wait_idle(60)
    assert s.statuses(racing_runtime, *numbers) == ["REGISTERED"] * RACERS
    assert [(m.application_no, m.priority) for m in s.in_force(racing_runtime)] == [
        (number, position) for position, number in enumerate(numbers, start=1)]
    assert sorted(serials([m.certificate_no for m in s.in_force(racing_runtime)])) == list(range(1, RACERS + 1))


def test_a_linked_application_on_another_unit_cannot_join_the_group(client, runtime, bank, other):
    s.submit_ok(client, s.linked(s.first(), GROUP, 1), bank)
    with transaction(runtime.sessions) as session:
        add_unit(session, OTHER_UNIT_FOR_GROUP)
    response = s.submit(client, s.linked(s.first(mortgagee=s.OTHER_BANK, unit_code=OTHER_UNIT_FOR_GROUP),
                                         GROUP, 2), other)
    assert response.status_code == 422, response.text
    assert "link.unit_mismatch" in [f["code"] for f in response.json()["findings"]]


OTHER_UNIT_FOR_GROUP = "640221001001GB00012F00010002"
