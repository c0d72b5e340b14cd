"""The rules on departments' records: a transfer's deed-tax record, a pre-notice's filed sale contract."""
from __future__ import annotations

from dataclasses import replace

import pytest

from bank_adapters.canonical import IdType, Party
from gateway.prereview.findings import Severity
from gateway.prereview.rules import rules_for
from gateway.prereview.rules.department_records import contract_filed, tax_record_matches
from gateway.prereview.triage import run_prereview
from tests.unit.prereview import factories as f
from tests.unit.prereview.factories import LI, T, WANG, ZHAO

NUMBER = f.SALE_CONTRACT_NO


def transfer(**overrides):
    values = {"registration_type": T.OWNERSHIP_TRANSFER, "buyers": (WANG, LI), "sale_contract_no": NUMBER}
    return f.application(**{**values, **overrides})


def with_tax(*records):
    return f.register(tax_records=records)


def pre_notice(**overrides):
    application, register = f.scenario(T.PRE_NOTICE_MORTGAGE)
    return replace(application, **overrides), register


def codes(findings):
    return [(x.code, x.severity, x.field) for x in findings]


# --- deed tax -----------------------------------------------------------------------------------------

def test_a_transfer_whose_tax_record_names_the_buyers_has_no_tax_finding():
    assert tax_record_matches(transfer(), with_tax(f.tax_record())) == []


@pytest.mark.parametrize("status", ["PAID", "EXEMPT", "NOT_TAXABLE"])
def test_paid_exempt_and_not_taxable_records_all_satisfy_the_rule(status):
    assert tax_record_matches(transfer(), with_tax(f.tax_record(status=status))) == []


def test_a_transfer_without_any_tax_record_is_refused_with_tax_record_missing():
    assert codes(tax_record_matches(transfer(), f.register())) == [
        ("tax.record_missing", Severity.REFUSE, "sale_contract_no")]


def test_a_tax_record_for_another_contract_of_the_unit_is_a_mismatch():
    findings = tax_record_matches(transfer(), with_tax(f.tax_record(sale_contract_no="640221YS2026999999")))
    assert codes(findings) == [("tax.record_mismatch", Severity.REFUSE, "sale_contract_no")]


def test_taxpayers_other_than_the_buyers_are_a_mismatch():
    findings = tax_record_matches(transfer(), with_tax(f.tax_record(taxpayer_id_numbers=(WANG.id_number,
                                                                                          ZHAO.id_number))))
    assert codes(findings) == [("tax.record_mismatch", Severity.REFUSE, "buyers")]


def test_a_record_the_tax_bureau_sent_twice_with_different_content_is_a_mismatch():
    findings = tax_record_matches(transfer(), with_tax(f.tax_record(conflicting=True)))
    assert codes(findings) == [("tax.record_mismatch", Severity.REFUSE, "sale_contract_no")]


def test_taxpayers_are_matched_by_id_number_however_typed():
    buyer = Party("某甲", IdType.RESIDENT_ID, "11010519491231002X")
    record = f.tax_record(taxpayer_id_numbers=(" 11010519491231002x",))
    assert tax_record_matches(transfer(buyers=(buyer,)), with_tax(record)) == []


def test_without_a_contract_number_any_record_of_the_unit_naming_the_buyers_will_do():
    assert tax_record_matches(transfer(sale_contract_no=None), with_tax(f.tax_record())) == []


def test_the_tax_rule_applies_to_ownership_transfers_only():
    applying = {t for t in T if any(r.check is tax_record_matches for r in rules_for(t))}
    assert applying == {T.OWNERSHIP_TRANSFER}


# --- filed sale contracts ----------------------------------------------------------------------------

def test_a_pre_notice_whose_contract_is_filed_for_the_mortgagors_has_no_contract_finding():
    assert contract_filed(*pre_notice()) == []


def test_a_pre_notice_without_a_filed_contract_goes_to_review_with_contract_not_filed():
    application, register = pre_notice()
    findings = contract_filed(application, replace(register, filed_contracts=()))
    assert codes(findings) == [("contract.not_filed", Severity.REVIEW, "sale_contract_no")]


def test_a_cancelled_contract_is_not_filed():
    application, register = pre_notice()
    cancelled = f.filed_contract(record_id="DR" + "0" * 31 + "9", status="CANCELLED")
    findings = contract_filed(application, replace(register, filed_contracts=(f.filed_contract(), cancelled)))
    assert codes(findings) == [("contract.not_filed", Severity.REVIEW, "sale_contract_no")]


def test_a_contract_sent_twice_with_different_content_is_not_taken_as_filed():
    application, register = pre_notice()
    findings = contract_filed(application, replace(register, filed_contracts=(f.filed_contract(conflicting=True),)))
    assert [x.code for x in findings] == ["contract.not_filed"]


def test_the_contract_number_given_by_the_application_must_be_the_filed_one():
    findings = contract_filed(*pre_notice(sale_contract_no="640221YS2026999999"))
    assert [x.code for x in findings] == ["contract.not_filed"]


def test_buyers_other_than_the_mortgagors_go_to_review_with_contract_buyers_differ():
    application, register = pre_notice()
    other = f.filed_contract(buyer_id_numbers=(ZHAO.id_number,))
    findings = contract_filed(application, replace(register, filed_contracts=(other,)))
    assert codes(findings) == [("contract.buyers_differ", Severity.REVIEW, "mortgagors")]


def test_contract_findings_never_refuse_a_pre_notice():
    application, register = pre_notice()
    findings = run_prereview(application, replace(register, filed_contracts=()))
    assert [x.code for x in findings if x.severity is Severity.REFUSE] == []
    assert "contract.not_filed" in [x.code for x in findings]


def test_messages_name_no_person():
    application, register = pre_notice()
    findings = [*contract_filed(application, replace(register, filed_contracts=(f.filed_contract(
        buyer_id_numbers=(ZHAO.id_number,)),))),
        *tax_record_matches(transfer(), with_tax(f.tax_record(taxpayer_id_numbers=(ZHAO.id_number,))))]
    text = " ".join(x.message_zh + x.hint for x in findings)
    assert findings and not any(p.name in text or p.id_number in text for p in (WANG, LI, ZHAO))
