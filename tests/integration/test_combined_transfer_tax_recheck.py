"""The deed-tax record checked once more when a combined group (转移 + 抵押) is about to be entered.

The transfer's record is checked at intake and at the transfer's approval; if the tax bureau then sends
a second version of the record with other content (both flagged ``record.duplicate_conflict``) before
the whole group registers, the group is not entered: the transfer goes back to the reviewers' queue
(``return_to_review``), the other members stay approved and wait, and nothing reaches the register,
the departments or the watchers. The reviewer can approve the transfer again only once the record fits,
or reject it (and with it the group).
"""
from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gateway.api.app import create_app
from gateway.persistence.db import transaction
from gateway.persistence.models import Application
from gateway.registration_events.models import RegistrationEvent
from gateway.watch.models import WatchNotice
from tests.conftest import REVIEWER_PASSWORD, make_settings, seed, staff_headers, start_runtime
from tests.support import combined as c
from tests.support import department_records as d
from tests.support import factories, scenarios as s
from tests.support.register import add_mortgage
from tests.support.combined import bank, sellers_bank, sellers_mortgage, tax  # noqa: F401 (fixtures)
from tests.support.tamper import runtime, seeded_database  # noqa: F401 (fixtures)

GROUP = "ZYDY-2026-0402"
SELLER_IDS = [p.id_number for p in c.SELLERS]


def nothing_registered(runtime) -> None:
    assert c.transfers(runtime) == []
    assert [o for o, _ in c.owners(runtime)] == SELLER_IDS
    assert [(m.certificate_no, list(m.mortgagor_id_numbers)) for m in s.in_force(runtime)] == [
        (s.EXISTING_NO, SELLER_IDS)]
    with transaction(runtime.sessions) as session:
        assert session.scalar(select(func.count()).select_from(RegistrationEvent)) == 0
        assert session.scalar(select(func.count()).select_from(WatchNotice)) == 0


def approve_group_after_conflict(client, runtime, bank, tax, reviewer) -> tuple[str, str, dict]:
    transfer = s.submit_ok(client, c.transfer(GROUP, consent=True), bank)
    mortgage = s.submit_ok(client, c.buyers_mortgage(GROUP), bank)
    s.approve(client, transfer, reviewer)
    c.push_tax_record(client, tax, tax_amount="36000.00")  # a second version with other content
    assert sorted(r.conflicting for r in d.records(runtime)) == [True, True]

    s.claim(client, mortgage, reviewer)
    response = client.post(f"/v1/review/applications/{mortgage}/decision", json={"decision": "approve"},
                           headers=reviewer)
    assert response.status_code == 200, response.text
    return transfer, mortgage, response.json()


def test_a_record_turned_conflicting_after_the_transfers_approval_stops_the_group_and_returns_the_transfer(
        client, runtime, bank, tax, sellers_mortgage, reviewer):
    transfer, mortgage, answer = approve_group_after_conflict(client, runtime, bank, tax, reviewer)

    assert (answer["status"], answer["document_kind"]) == ("APPROVED", None)  # the mortgage's approval stands
    assert s.statuses(runtime, transfer, mortgage) == ["QUEUED", "APPROVED"]
    nothing_registered(runtime)
    last = s.status(client, transfer, bank)["history"][-1]
    assert last["action"] == "return_to_review"
    with transaction(runtime.sessions) as session:
        row = session.scalar(select(Application).where(Application.application_no == transfer))
        assert row.claimed_by_id is None and row.decided_at is None


def test_the_returned_transfer_cannot_be_approved_again_while_the_record_conflicts(
        client, runtime, bank, tax, sellers_mortgage, reviewer):
    transfer, mortgage, _ = approve_group_after_conflict(client, runtime, bank, tax, reviewer)
    s.claim(client, transfer, reviewer)

    response = client.post(f"/v1/review/applications/{transfer}/decision", json={"decision": "approve"},
                           headers=reviewer)

    assert response.status_code == 409 and response.json()["code"] == "review.tax_record_mismatch"
    assert s.statuses(runtime, transfer, mortgage) == ["IN_REVIEW", "APPROVED"]
    nothing_registered(runtime)


def test_rejecting_the_returned_transfer_rejects_the_waiting_mortgage_with_signed_results(
        client, runtime, bank, tax, sellers_mortgage, reviewer):
    transfer, mortgage, _ = approve_group_after_conflict(client, runtime, bank, tax, reviewer)

    s.reject(client, transfer, reviewer, "契税信息存在内容不同的两个版本，税务机关未更正")

    assert s.statuses(runtime, transfer, mortgage) == ["REJECTED", "REJECTED"]
    assert s.result(client, mortgage, bank).findtext("g:Decision", namespaces=s.NS) == "REJECTED"
    nothing_registered(runtime)


def test_a_fitting_record_at_registration_registers_the_group_as_before(
        client, runtime, bank, tax, sellers_mortgage, reviewer):
    transfer = s.submit_ok(client, c.transfer(GROUP, consent=True), bank)
    mortgage = s.submit_ok(client, c.buyers_mortgage(GROUP), bank)
    s.approve(client, transfer, reviewer)
    c.push_tax_record(client, tax)  # the same record again, same content: no conflict

    s.approve(client, mortgage, reviewer)

    assert s.statuses(runtime, transfer, mortgage) == ["REGISTERED", "REGISTERED"]
    assert "return_to_review" not in [h["action"] for h in s.status(client, transfer, bank)["history"]]


def test_a_group_entered_because_an_earlier_application_was_decided_is_checked_too(
        client, runtime, pki, bank, tax, sellers_mortgage, reviewer):
    # An application on the unit received before the group holds it back; once the group is approved
    # and the record has turned conflicting, rejecting the earlier one (which then tries to enter the
    # group) succeeds, and the transfer goes back to the queue instead of being entered.
    # the seller's second loan at the other bank (a second mortgage), filed before the sale
    earlier = s.submit_ok(client, factories.application(mortgagee=s.OTHER_BANK), s.other_bank(pki))
    transfer = s.submit_ok(client, c.transfer(GROUP, consent=True), bank)
    mortgage = s.submit_ok(client, c.buyers_mortgage(GROUP), bank)
    s.approve(client, transfer, reviewer)
    s.approve(client, mortgage, reviewer)
    assert s.statuses(runtime, earlier, transfer, mortgage) == ["QUEUED", "APPROVED", "APPROVED"]
    c.push_tax_record(client, tax, tax_amount="36000.00")

    s.reject(client, earlier, reviewer, "抵押权人申请撤回")

    assert s.statuses(runtime, earlier, transfer, mortgage) == ["REJECTED", "QUEUED", "APPROVED"]
    nothing_registered(runtime)


def test_on_postgresql_the_conflicting_record_stops_the_group_too(tmp_path, pki, bank, postgres_url):
    pg_runtime = start_runtime(make_settings(tmp_path / "var", pki, database_url=postgres_url))
    seed(pg_runtime, pki)
    try:
        with TestClient(create_app(pg_runtime), base_url="http://gateway.test") as pg_client:
            reviewer = staff_headers(pg_client, "reviewer", REVIEWER_PASSWORD)
            with transaction(pg_runtime.sessions) as session:
                add_mortgage(session, certificate_no=s.EXISTING_NO, mortgagee_code=factories.OTHER_BANK_CODE)
            tax_bureau, _ = d.add_departments(pg_runtime, pki)
            c.push_tax_record(pg_client, tax_bureau)
            transfer, mortgage, _ = approve_group_after_conflict(pg_client, pg_runtime, bank, tax_bureau, reviewer)

            assert s.statuses(pg_runtime, transfer, mortgage) == ["QUEUED", "APPROVED"]
            nothing_registered(pg_runtime)
    finally:
        pg_runtime.close()


def test_the_reviewers_page_shows_why_the_transfer_came_back(client, runtime, bank, tax, sellers_mortgage, reviewer):
    transfer, _mortgage, _ = approve_group_after_conflict(client, runtime, bank, tax, reviewer)
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    assert client.post("/login", data={"csrf_token": token, "username": "reviewer", "password": REVIEWER_PASSWORD},
                       follow_redirects=False).status_code == 303

    page = client.get(f"/review/applications/{transfer}")

    assert page.status_code == 200
    assert "登簿前复核不符，退回审核" in page.text
