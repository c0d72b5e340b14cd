"""Departments' records change pre-review: a transfer needs its deed-tax record, a pre-notice its filed contract.

A record that arrives re-evaluates the stored findings of the open applications on its unit (with an
event in their history); approval of a transfer checks the deed-tax record again. Reviewers see the
records, and reading them is in the audit trail.
"""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from types import SimpleNamespace

import re

import pytest
from sqlalchemy import select

from bank_adapters import LinkRef, RegistrationType
from gateway.applications.canonical_json import to_json
from gateway.audit.models import AuditEntry
from gateway.department_records.checks import require_tax_record
from gateway.department_records.errors import TaxRecordMissing
from gateway.persistence.db import transaction
from tests.conftest import REVIEWER_PASSWORD, staff_headers
from tests.support import department_records as d
from tests.support import factories, scenarios as s


@pytest.fixture
def tax_and_housing(runtime, pki) -> tuple[d.Department, d.Department]:
    return d.add_departments(runtime, pki)


@pytest.fixture
def reviewer(client):
    return staff_headers(client, "reviewer", REVIEWER_PASSWORD)


def transfer(**overrides):
    """转移登记 of the sellers' home to the buyers, by the buyer's bank, first of a group with its mortgage."""
    return replace(factories.application(
        registration_type=RegistrationType.OWNERSHIP_TRANSFER, mortgagors=d.BUYERS, sellers=d.SELLERS,
        buyers=d.BUYERS, sale_contract_no=d.SALE_CONTRACT_NO, sale_price=Decimal("1200000.00"),
        materials=s.refs("SALE_CONTRACT", "ID_DOCUMENT"), secured_amount=None, debt_start=None, debt_end=None,
        loan_contract_no=None, mortgage_contract_no=None, debtor=None, **overrides), link=LinkRef("ZYDY-C-1", 1, 2))


def dry_run(client, app, pki) -> dict:
    s.upload_for(client, app, s.main_bank(pki))
    response = s.post(client, factories.signed_request(app, pki.bank), "/v1/applications/dry-run")
    assert response.status_code == 200, response.text
    return response.json()


def codes_of(findings) -> list[str]:
    return [f["code"] for f in findings]


def view(client, number, reviewer) -> dict:
    response = client.get(f"/v1/review/applications/{number}", headers=reviewer)
    assert response.status_code == 200, response.text
    return response.json()


def department_events(client, number, reviewer) -> list[dict]:
    return [h for h in view(client, number, reviewer)["history"] if h["action"] == "department_record"]


# --- the deed-tax record of a transfer ---------------------------------------------------------------

def test_a_pushed_tax_record_turns_a_refused_transfer_dry_run_into_an_accepted_one(client, pki, tax_and_housing):
    tax, _ = tax_and_housing
    before = dry_run(client, transfer(), pki)
    assert before["outcome"] == "REFUSED" and "tax.record_missing" in codes_of(before["findings"])
    assert d.push(client, d.TAX_PATH, tax, d.tax_record()).status_code == 201
    after = dry_run(client, transfer(), pki)
    assert after["outcome"] != "REFUSED", after
    assert not [c for c in codes_of(after["findings"]) if c.startswith("tax.")]


def test_a_tax_record_naming_other_taxpayers_refuses_the_transfer_with_tax_record_mismatch(
        client, pki, tax_and_housing):
    tax, _ = tax_and_housing
    d.push(client, d.TAX_PATH, tax, d.tax_record(taxpayers=d.parties(d.SELLERS)))
    result = dry_run(client, transfer(), pki)
    assert result["outcome"] == "REFUSED"
    assert [(f["code"], f["field"]) for f in result["findings"] if f["code"].startswith("tax.")] == [
        ("tax.record_mismatch", "buyers")]


def test_a_transfer_queued_on_its_tax_record_is_refused_approval_once_the_record_is_contradicted(
        client, runtime, pki, tax_and_housing, reviewer):
    tax, _ = tax_and_housing
    d.push(client, d.TAX_PATH, tax, d.tax_record())
    number = s.submit_ok(client, transfer(), s.main_bank(pki))
    d.push(client, d.TAX_PATH, tax, d.tax_record(tax_amount="1.00"))  # the same number, other content
    assert "tax.record_mismatch" in codes_of(view(client, number, reviewer)["findings"])
    [event] = department_events(client, number, reviewer)
    assert event["note"]["added"] == ["tax.record_mismatch"] and event["note"]["removed"] == []
    s.claim(client, number, reviewer)
    response = client.post(f"/v1/review/applications/{number}/decision", json={"decision": "approve"},
                           headers=reviewer)
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "review.tax_record_mismatch"
    assert s.statuses(runtime, number) == ["IN_REVIEW"]


def test_the_tax_bureaus_correction_lets_a_contradicted_transfer_be_approved_again(
        client, runtime, pki, tax_and_housing, reviewer):
    tax, _ = tax_and_housing
    d.push(client, d.TAX_PATH, tax, d.tax_record())
    number = s.submit_ok(client, transfer(), s.main_bank(pki))
    wrong = d.receipt(d.push(client, d.TAX_PATH, tax, d.tax_record(tax_amount="1.00")), pki)
    assert "tax.record_mismatch" in codes_of(view(client, number, reviewer)["findings"])
    d.push(client, d.TAX_PATH, tax, d.tax_record(tax_amount="18000.00", corrects=wrong["record_id"]))
    assert not [c for c in codes_of(view(client, number, reviewer)["findings"]) if c.startswith("tax.")]
    events = department_events(client, number, reviewer)
    assert events[-1]["note"]["removed"] == ["tax.record_mismatch"]
    shown = {r["record_id"]: r["flags"] for r in view(client, number, reviewer)["department_records"]}
    assert shown[wrong["record_id"]] == ["record.duplicate_conflict", "record.superseded"]
    s.claim(client, number, reviewer)
    response = client.post(f"/v1/review/applications/{number}/decision", json={"decision": "approve"},
                           headers=reviewer)
    assert response.status_code == 200, response.text


def test_approving_a_transfer_without_any_tax_record_is_refused_with_review_tax_record_missing(runtime):
    application = SimpleNamespace(registration_type="OWNERSHIP_TRANSFER", unit_code=d.UNIT,
                                  canonical=to_json(transfer()))
    with transaction(runtime.sessions) as session, pytest.raises(TaxRecordMissing) as refused:
        require_tax_record(session, application)
    assert refused.value.code == "review.tax_record_missing"


# --- the filed contract of a pre-notice --------------------------------------------------------------

def pre_notice_number(client, pki) -> str:
    return s.submit_ok(client, s.pre_notice(), s.main_bank(pki))


def test_a_pre_notice_without_a_filed_contract_is_queued_with_contract_not_filed(
        client, pki, tax_and_housing, reviewer):
    number = pre_notice_number(client, pki)
    findings = view(client, number, reviewer)["findings"]
    assert [(f["code"], f["severity"]) for f in findings if f["code"].startswith("contract.")] == [
        ("contract.not_filed", "REVIEW")]


def test_a_contract_push_removes_contract_not_filed_from_a_queued_pre_notice(client, pki, tax_and_housing, reviewer):
    _, housing = tax_and_housing
    number = pre_notice_number(client, pki)
    record_id = d.receipt(d.push(client, d.CONTRACT_PATH, housing, d.filed_contract()), pki)["record_id"]
    assert not [c for c in codes_of(view(client, number, reviewer)["findings"]) if c.startswith("contract.")]
    [event] = department_events(client, number, reviewer)
    assert event["note"] == {"record_id": record_id, "kind": "contract", "added": [],
                             "removed": ["contract.not_filed"]}
    assert (event["actor_kind"], event["from"], event["to"]) == ("system", "QUEUED", "QUEUED")


def test_a_contract_for_other_buyers_marks_a_queued_pre_notice_with_contract_buyers_differ(
        client, pki, tax_and_housing, reviewer):
    _, housing = tax_and_housing
    number = pre_notice_number(client, pki)
    d.push(client, d.CONTRACT_PATH, housing, d.filed_contract(buyers=d.parties(d.BUYERS)))
    contract_codes = [c for c in codes_of(view(client, number, reviewer)["findings"]) if c.startswith("contract.")]
    assert contract_codes == ["contract.buyers_differ"]


def test_a_cancellation_of_the_filed_contract_puts_contract_not_filed_back(client, pki, tax_and_housing, reviewer):
    _, housing = tax_and_housing
    number = pre_notice_number(client, pki)
    d.push(client, d.CONTRACT_PATH, housing, d.filed_contract())
    d.push(client, d.CONTRACT_PATH, housing, d.filed_contract(status="CANCELLED"))
    assert "contract.not_filed" in codes_of(view(client, number, reviewer)["findings"])
    assert [e["note"]["added"] for e in department_events(client, number, reviewer)] == [[], ["contract.not_filed"]]


def test_a_decided_pre_notice_is_left_as_it_was_decided(client, runtime, pki, tax_and_housing, reviewer):
    _, housing = tax_and_housing
    number = pre_notice_number(client, pki)
    s.approve(client, number, reviewer)
    d.push(client, d.CONTRACT_PATH, housing, d.filed_contract())
    assert s.statuses(runtime, number) == ["REGISTERED"]
    assert department_events(client, number, reviewer) == []
    assert "contract.not_filed" in codes_of(view(client, number, reviewer)["findings"])


def test_a_tax_record_does_not_touch_a_pre_notice(client, pki, tax_and_housing, reviewer):
    tax, _ = tax_and_housing
    number = pre_notice_number(client, pki)
    d.push(client, d.TAX_PATH, tax, d.tax_record(unit_code=s.OFF_PLAN_CODE))
    assert department_events(client, number, reviewer) == []


def test_a_pre_notice_filed_after_the_contract_arrived_has_no_contract_finding(client, pki, tax_and_housing, reviewer):
    _, housing = tax_and_housing
    d.push(client, d.CONTRACT_PATH, housing, d.filed_contract())
    number = pre_notice_number(client, pki)
    assert not [c for c in codes_of(view(client, number, reviewer)["findings"]) if c.startswith("contract.")]


# --- shown to the reviewer, and audited --------------------------------------------------------------

def audited_reads(runtime) -> list[str]:
    with transaction(runtime.sessions) as session:
        return [e.details["what"] for e in session.scalars(select(AuditEntry).where(AuditEntry.action == "data.read"))]


def test_the_review_api_shows_the_records_verbatim_and_the_read_is_audited(client, runtime, pki, tax_and_housing,
                                                                            reviewer):
    _, housing = tax_and_housing
    number = pre_notice_number(client, pki)
    d.push(client, d.CONTRACT_PATH, housing, d.filed_contract())
    d.push(client, d.CONTRACT_PATH, housing, d.filed_contract(price="690000.00"))
    records = view(client, number, reviewer)["department_records"]
    assert [(r["kind"], r["record_no"], r["department_code"], r["flags"]) for r in records] == [
        ("contract", d.OFF_PLAN_CONTRACT_NO, housing.code, ["record.duplicate_conflict"])] * 2
    assert records[1]["conflicts_with"] == records[0]["record_id"]
    assert '"680000.00"' in records[0]["body"] and records[0]["received_at"].endswith("Z")
    assert sorted(audited_reads(runtime)) == ["review.department_records", "review.view"]


def test_an_application_without_records_shows_none_and_audits_only_the_view(client, runtime, pki, tax_and_housing,
                                                                          reviewer):
    number = pre_notice_number(client, pki)
    assert view(client, number, reviewer)["department_records"] == []
    assert audited_reads(runtime) == ["review.view"]


def test_the_reviewers_page_shows_the_records_and_the_read_is_audited(client, runtime, pki, tax_and_housing):
    _, housing = tax_and_housing
    number = pre_notice_number(client, pki)
    d.push(client, d.CONTRACT_PATH, housing, d.filed_contract())
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    assert client.post("/login", data={"csrf_token": token, "username": "reviewer", "password": REVIEWER_PASSWORD},
                       follow_redirects=False).status_code == 303
    page = client.get(f"/review/applications/{number}")
    assert page.status_code == 200
    assert "部门推送信息" in page.text and d.OFF_PLAN_CONTRACT_NO in page.text and "平罗县住房和城乡建设局" in page.text
    assert "&#34;680000.00&#34;" in page.text or "&quot;680000.00&quot;" in page.text  # the body, escaped
    assert sorted(audited_reads(runtime)) == ["review.department_records", "review.page"]
