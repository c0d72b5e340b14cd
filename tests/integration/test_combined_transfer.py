"""The combined second-hand purchase and mortgage (转移 + 抵押 合并办理, 带押过户), registered all-or-nothing.

The buyers' bank files the ownership transfer and the buyers' new mortgage in one linked group; the
seller's mortgage at another bank is either carried over (with its mortgagee's consent) or discharged
by the seller's bank as the group's first member. The register afterwards: owners, mortgages, priorities.
"""
from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from sqlalchemy import select

from gateway.api.app import create_app
from gateway.persistence.db import transaction
from gateway.registration_events.models import RegistrationEvent
from tests.conftest import REVIEWER_PASSWORD, make_settings, seed, staff_headers, start_runtime
from tests.integration.test_json_channel import output_payload
from tests.integration.test_outputs_schema import output_schema
from tests.support import combined as c
from tests.support import department_records as d
from tests.support import factories, scenarios as s
from tests.support.jws_requests import JOSE, compact_request
from tests.support.register import add_unit
from tests.support.combined import bank, sellers_bank, sellers_mortgage, tax  # noqa: F401 (fixtures)
from tests.support.tamper import runtime, seeded_database  # noqa: F401 (fixtures)

GROUP = "ZYDY-2026-0318"
TITLE_NO = re.compile(r"宁\(\d{4}\)平罗县不动产权第\d{7}号")
BUYER_IDS = [p.id_number for p in c.BUYERS]


def test_a_combined_purchase_with_the_sellers_mortgage_carried_over_registers_both_in_order(
        client, runtime, bank, tax, sellers_mortgage, reviewer):
    transfer = s.submit_ok(client, c.transfer(GROUP, consent=True), bank)
    mortgage = s.submit_ok(client, c.buyers_mortgage(GROUP), bank)

    s.approve(client, transfer, reviewer)
    assert s.statuses(runtime, transfer, mortgage) == ["APPROVED", "QUEUED"]
    assert c.transfers(runtime) == [] and [o for o, _ in c.owners(runtime)] == [p.id_number for p in c.SELLERS]

    s.approve(client, mortgage, reviewer)
    assert s.statuses(runtime, transfer, mortgage) == ["REGISTERED", "REGISTERED"]
    assert c.owners(runtime) == [(n, "共同共有") for n in BUYER_IDS]
    assert [(m.certificate_no, m.priority, m.mortgagee_code, list(m.mortgagor_id_numbers))
            for m in s.in_force(runtime)] == [
        (s.EXISTING_NO, 1, factories.OTHER_BANK_CODE, BUYER_IDS),  # carried over: the buyers are its mortgagors
        (s.in_force(runtime)[1].certificate_no, 2, factories.BANK_CODE, BUYER_IDS)]
    assert s.in_force(runtime)[1].application_no == mortgage


def test_the_transfer_keeps_the_former_owners_and_issues_a_title_certificate_number(
        client, runtime, bank, tax, sellers_mortgage, reviewer):
    transfer = s.submit_ok(client, c.transfer(GROUP, consent=True), bank)
    mortgage = s.submit_ok(client, c.buyers_mortgage(GROUP), bank)
    s.approve(client, transfer, reviewer)
    s.approve(client, mortgage, reviewer)

    [row] = c.transfers(runtime)
    assert TITLE_NO.fullmatch(row.certificate_no)
    assert [(o["id_number"], o["share"]) for o in row.former_owners] == [(p.id_number, "1/2") for p in c.SELLERS]
    assert [b["id_number"] for b in row.buyers] == BUYER_IDS
    assert (row.sale_contract_no, row.sale_price, row.carried_over) == (
        c.SALE_CONTRACT_NO, c.SALE_PRICE, [s.EXISTING_NO])


def test_the_transfer_is_told_to_the_departments_with_its_parties_contract_price_and_carried_over_mortgages(
        client, runtime, bank, tax, sellers_mortgage, reviewer):
    transfer = s.submit_ok(client, c.transfer(GROUP, consent=True), bank)
    mortgage = s.submit_ok(client, c.buyers_mortgage(GROUP), bank)
    s.approve(client, transfer, reviewer)
    s.approve(client, mortgage, reviewer)

    with transaction(runtime.sessions) as session:
        [event] = session.scalars(select(RegistrationEvent).where(RegistrationEvent.event_type == "OWNERSHIP_TRANSFER"))
        payload = event.payload
    assert event.application_no == transfer and event.certificate_no == c.transfers(runtime)[0].certificate_no
    details = payload["details"]
    assert [p["id_number"] for p in details["sellers"]] == [p.id_number for p in c.SELLERS]
    assert [p["id_number"] for p in details["buyers"]] == BUYER_IDS
    assert (details["sale_contract_no"], details["sale_price"], details["carried_over"]) == (
        c.SALE_CONTRACT_NO, "1200000.00", [s.EXISTING_NO])


def test_the_buyers_bank_gets_a_signed_result_with_the_certificate_number_and_no_priority(
        client, runtime, bank, tax, sellers_mortgage, reviewer):
    transfer = s.submit_ok(client, c.transfer(GROUP, consent=True), bank)
    mortgage = s.submit_ok(client, c.buyers_mortgage(GROUP), bank)
    s.approve(client, transfer, reviewer)
    s.approve(client, mortgage, reviewer)

    result = s.result(client, transfer, bank)
    assert result.findtext("g:Decision", namespaces=s.NS) == "APPROVED"
    assert TITLE_NO.fullmatch(result.findtext("g:Registration/g:CertificateNo", namespaces=s.NS))
    assert result.find("g:Registration/g:Priority", s.NS) is None
    assert result.findtext("g:Registration/g:Priority", namespaces=s.NS) is None
    assert s.result(client, mortgage, bank).findtext("g:Registration/g:Priority", namespaces=s.NS) == "2"
    output_schema().validate(result)  # the signed result as sent, against the published output schema


def test_with_the_sellers_banks_discharge_in_the_group_the_buyers_mortgage_ranks_first(
        client, runtime, bank, sellers_bank, tax, sellers_mortgage, reviewer):
    release = s.submit_ok(client, s.linked(s.discharge(s.EXISTING_NO, mortgagee=s.OTHER_BANK), GROUP, 1, 3),
                          sellers_bank)
    transfer = s.submit_ok(client, c.transfer(GROUP, 2, 3), bank)  # no consent: nothing is carried over
    mortgage = s.submit_ok(client, c.buyers_mortgage(GROUP, 3, 3), bank)

    for number in (release, transfer):
        s.approve(client, number, reviewer)
    assert [m.status for m in s.mortgages(runtime)] == ["IN_FORCE"]
    s.approve(client, mortgage, reviewer)

    assert s.statuses(runtime, release, transfer, mortgage) == ["REGISTERED"] * 3
    assert [(m.status, m.priority, m.mortgagee_code) for m in s.mortgages(runtime)] == [
        ("IN_FORCE", 1, factories.BANK_CODE), ("DISCHARGED", 1, factories.OTHER_BANK_CODE)]
    assert c.transfers(runtime)[0].carried_over == []
    assert [o for o, _ in c.owners(runtime)] == BUYER_IDS


def test_rejecting_the_buyers_mortgage_rejects_the_approved_transfer_and_changes_nothing(
        client, runtime, bank, tax, sellers_mortgage, reviewer):
    transfer = s.submit_ok(client, c.transfer(GROUP, consent=True), bank)
    mortgage = s.submit_ok(client, c.buyers_mortgage(GROUP), bank)
    s.approve(client, transfer, reviewer)

    s.reject(client, mortgage, reviewer, "借款合同未签字")

    assert s.statuses(runtime, transfer, mortgage) == ["REJECTED", "REJECTED"]
    assert c.transfers(runtime) == []
    assert [o for o, _ in c.owners(runtime)] == [p.id_number for p in c.SELLERS]
    assert [(m.certificate_no, list(m.mortgagor_id_numbers)) for m in s.in_force(runtime)] == [
        (s.EXISTING_NO, [p.id_number for p in c.SELLERS])]
    assert s.result(client, transfer, bank).findtext("g:Decision", namespaces=s.NS) == "REJECTED"


def test_rejecting_the_transfer_rejects_the_buyers_mortgage(client, runtime, bank, tax, sellers_mortgage, reviewer):
    transfer = s.submit_ok(client, c.transfer(GROUP, consent=True), bank)
    mortgage = s.submit_ok(client, c.buyers_mortgage(GROUP), bank)

    s.reject(client, transfer, reviewer, "买卖合同未签字")

    assert s.statuses(runtime, transfer, mortgage) == ["REJECTED", "REJECTED"]
    assert len(s.in_force(runtime)) == 1 and c.transfers(runtime) == []


def test_two_combined_groups_on_two_homes_submitted_at_once_both_register(client, runtime, pki, bank, reviewer):
    file_two_groups_at_once(client, runtime, pki, bank, reviewer)


def test_two_combined_groups_submitted_at_once_both_register_on_postgresql(tmp_path, pki, bank, postgres_url):
    pg_runtime = start_runtime(make_settings(tmp_path / "var", pki, database_url=postgres_url))
    seed(pg_runtime, pki)
    try:
        with TestClient(create_app(pg_runtime), base_url="http://gateway.test") as pg_client:
            file_two_groups_at_once(pg_client, pg_runtime, pki, bank,
                                    staff_headers(pg_client, "reviewer", REVIEWER_PASSWORD))
    finally:
        pg_runtime.close()


def file_two_groups_at_once(client, runtime, pki, bank, reviewer) -> None:
    """Two buyers' banks' filings on two homes, each group's members posted from its own thread."""
    second_home = "640221001001GB00012F00010002"
    with transaction(runtime.sessions) as session:
        add_unit(session, second_home)
    tax_bureau, _ = d.add_departments(runtime, pki)
    c.push_tax_record(client, tax_bureau)
    c.push_tax_record(client, tax_bureau, record_no="PL-TAX-2026-000124", unit_code=second_home)
    groups = [(c.transfer(g), c.buyers_mortgage(g)) for g in ("ZYDY-A", "ZYDY-B")]
    groups[1] = tuple(replace(app, unit_code=second_home) for app in groups[1])
    for pair in groups:
        for app in pair:
            s.upload_for(client, app, bank)

    def file(pair):
        return [s.submit_ok(client, app, bank) for app in pair]

    with ThreadPoolExecutor(max_workers=2) as pool:
        numbers = list(pool.map(file, groups))
    for transfer, mortgage in numbers:
        s.approve(client, transfer, reviewer)
        s.approve(client, mortgage, reviewer)

    assert s.statuses(runtime, *[n for pair in numbers for n in pair]) == ["REGISTERED"] * 4
    assert [o for o, _ in c.owners(runtime)] == BUYER_IDS
    assert [o for o, _ in c.owners(runtime, second_home)] == BUYER_IDS
    certificates = [t.certificate_no for t in c.transfers(runtime)]
    assert len(set(certificates)) == 2 and all(TITLE_NO.fullmatch(n) for n in certificates)


def test_the_reviewers_page_shows_the_sellers_buyers_contract_and_price(client, runtime, bank, tax, sellers_mortgage):
    transfer = s.submit_ok(client, c.transfer(GROUP, consent=True), bank)
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    assert client.post("/login", data={"csrf_token": token, "username": "reviewer", "password": REVIEWER_PASSWORD},
                       follow_redirects=False).status_code == 303

    page = client.get(f"/review/applications/{transfer}")

    assert page.status_code == 200
    assert "转让方1" in page.text and "受让方2" in page.text and c.BUYERS[1].id_number in page.text
    assert c.SALE_CONTRACT_NO in page.text and "成交价格" in page.text
    assert "所有权转移登记" in page.text


def test_the_combined_filing_goes_through_the_json_channel_with_a_jws_result_without_priority(
        client, runtime, pki, bank, tax, sellers_mortgage, reviewer):
    numbers = []
    for app in (c.transfer(GROUP, consent=True), c.buyers_mortgage(GROUP)):
        s.upload_for(client, app, bank)
        response = client.post("/v1/applications", content=compact_request(app, pki.bank),
                               headers={"Content-Type": JOSE})
        assert response.status_code == 202, response.text
        numbers.append(output_payload(response.content, pki)["application_no"])
    for number in numbers:
        s.approve(client, number, reviewer)

    result = client.get(f"/v1/applications/{numbers[0]}/result", auth=bank.auth)
    payload = output_payload(result.content, pki)  # verified and valid against the output JSON schema
    assert payload["decision"] == "APPROVED" and "priority" not in payload["registration"]
    assert TITLE_NO.fullmatch(payload["registration"]["certificate_no"])
    assert [o for o, _ in c.owners(runtime)] == BUYER_IDS


def test_a_group_whose_transfer_has_no_buyers_mortgage_after_it_is_not_registered(
        client, runtime, bank, sellers_bank, tax, sellers_mortgage, reviewer):
    # The seller's bank's discharge filed after the transfer (wrong order) passes intake, but the group
    # has no buyers' mortgage: the last approval is refused and nothing is registered.
    transfer = s.submit_ok(client, c.transfer(GROUP, consent=True), bank)
    release = s.submit_ok(client, s.linked(s.discharge(s.EXISTING_NO, mortgagee=s.OTHER_BANK), GROUP, 2),
                          sellers_bank)
    s.approve(client, transfer, reviewer)
    s.claim(client, release, reviewer)

    response = client.post(f"/v1/review/applications/{release}/decision", json={"decision": "approve"},
                           headers=reviewer)

    assert response.status_code == 409 and response.json()["code"] == "register.conflict"
    assert s.statuses(runtime, transfer, release) == ["APPROVED", "IN_REVIEW"]
    assert c.transfers(runtime) == [] and [m.status for m in s.mortgages(runtime)] == ["IN_FORCE"]
    assert [o for o, _ in c.owners(runtime)] == [p.id_number for p in c.SELLERS]
