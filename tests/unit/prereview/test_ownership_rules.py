"""The combined filing's rules (转移 + 抵押 合并办理): each finding on its own, and the clean case."""
from __future__ import annotations

from dataclasses import replace

from bank_adapters.canonical import IdType, LinkRef, Party
from gateway.prereview.rules import ownership, parties, rules_for
from gateway.prereview.triage import run_prereview
from gateway.register.view import CombinedGroup, MortgageStatus, OwnerRecord
from tests.unit.prereview import factories as f
from tests.unit.prereview.factories import GAO, LIN, LI, T, WANG, ZHAO, finding_codes


def transfer(**overrides):
    app, register = f.transfer_scenario()
    return replace(app, **overrides), register


def test_a_clean_transfer_has_no_finding_from_the_transfer_rules():
    app, register = f.transfer_scenario()

    codes = finding_codes(run_prereview(app, register))

    assert [c for c in codes if c.startswith(("transfer.", "party.", "unit.", "tax."))] == []


def test_a_transfer_outside_a_linked_group_is_refused():
    app, register = transfer(link=None)

    assert finding_codes(ownership.transfer_is_combined(app, register)) == ["transfer.not_linked"]


def test_a_transfer_in_the_last_position_of_its_group_is_refused():
    app, register = transfer(link=LinkRef("ZYDY-1", 2, 2))

    findings = ownership.transfer_is_combined(app, register)

    assert finding_codes(findings) == ["transfer.not_linked"] and findings[0].field == "link.position"


def test_a_transfer_without_sellers_is_refused():
    app, register = transfer(sellers=())

    assert finding_codes(ownership.sellers_are_owners(app, register)) == ["transfer.sellers_missing"]


def test_a_seller_who_is_not_a_recorded_owner_is_refused_by_position():
    app, register = transfer(sellers=(WANG, ZHAO))

    findings = ownership.sellers_are_owners(app, register)

    assert finding_codes(findings) == ["transfer.sellers_not_owners", "transfer.owner_not_selling"]
    assert findings[0].field == "sellers[1].id_number"
    assert ZHAO.id_number not in findings[0].message_zh and ZHAO.name not in findings[0].message_zh


def test_a_seller_listed_twice_is_refused():
    app, register = transfer(sellers=(WANG, LI, WANG))

    assert finding_codes(ownership.sellers_are_owners(app, register)) == ["transfer.sellers_not_owners"]


def test_a_co_owner_missing_from_the_sellers_is_refused():
    app, register = transfer(sellers=(WANG,))

    assert finding_codes(ownership.sellers_are_owners(app, register)) == ["transfer.owner_not_selling"]


def test_a_transfer_without_buyers_is_refused():
    app, register = transfer(buyers=())

    assert finding_codes(ownership.buyers_are_the_mortgagors(app, register)) == ["transfer.buyers_missing"]


def test_mortgagors_other_than_the_buyers_are_refused():
    app, register = transfer(mortgagors=(GAO,))

    assert finding_codes(ownership.buyers_are_the_mortgagors(app, register)) == ["transfer.mortgagors_not_buyers"]


def test_a_transfer_without_the_sale_contract_number_is_refused():
    app, register = transfer(sale_contract_no="  ")

    assert finding_codes(ownership.sale_terms_given(app, register)) == ["transfer.sale_contract_missing"]


def test_a_transfer_without_the_price_is_refused():
    app, register = transfer(sale_price=None)

    assert finding_codes(ownership.sale_terms_given(app, register)) == ["transfer.sale_price_missing"]


def test_a_carried_over_mortgage_without_the_mortgagees_consent_is_refused():
    app, register = transfer()
    register = replace(register, mortgages=(f.mortgage(),))

    assert finding_codes(ownership.carried_over_mortgages_consented(app, register)) == [
        "transfer.mortgagee_consent_missing"]


def test_a_carried_over_mortgage_with_the_mortgagees_consent_passes():
    app, register = transfer(materials=f.materials("SALE_CONTRACT", "ID_DOCUMENT", "MORTGAGEE_CONSENT"))
    register = replace(register, mortgages=(f.mortgage(),))

    assert ownership.carried_over_mortgages_consented(app, register) == []


def test_a_mortgage_discharged_by_a_member_of_the_group_needs_no_consent():
    app, register = transfer()
    register = replace(register, mortgages=(f.mortgage(),),
                       combined=CombinedGroup(discharged_certificates=frozenset({f.CERTIFICATE_NO})))

    assert ownership.carried_over_mortgages_consented(app, register) == []


def test_a_discharged_mortgage_in_the_register_is_not_carried_over():
    app, register = transfer()
    register = replace(register, mortgages=(f.mortgage(status=MortgageStatus.DISCHARGED),))

    assert ownership.carried_over_mortgages_consented(app, register) == []


def test_the_buyers_mortgage_by_another_institution_than_the_transfers_is_refused():
    app, register = f.scenario(T.MORTGAGE_FIRST)
    register = replace(register, combined=CombinedGroup(transfer_mortgagee_code=f.OTHER_BANK.code))

    assert finding_codes(ownership.mortgage_filed_with_its_transfer(app, register)) == [
        "transfer.mortgage_not_combined"]


def test_the_buyers_mortgage_by_the_transfers_institution_passes():
    app, register = f.scenario(T.MORTGAGE_FIRST)
    register = replace(register, combined=CombinedGroup(transfer_mortgagee_code=app.mortgagee.code))

    assert ownership.mortgage_filed_with_its_transfer(app, register) == []


def test_a_sellers_and_a_buyers_bad_id_numbers_are_named_by_position():
    bad = Party("某某", IdType.RESIDENT_ID, f.wrong_check_digit(GAO.id_number))
    app, register = transfer(sellers=(WANG, replace(bad, name="某甲")), buyers=(LIN, bad))

    findings = parties.party_id_numbers(app, register)

    assert [(x.code, x.field) for x in findings] == [
        ("party.id_check_digit", "sellers[1].id_number"), ("party.id_check_digit", "buyers[1].id_number")]
    assert all(bad.id_number not in x.message_zh for x in findings)


def test_a_transfer_of_a_seized_unit_is_refused():
    app, register = transfer()
    register = replace(register, encumbrances=(f.encumbrance(f.EncumbranceKind.SEIZURE),))

    assert "unit.seized" in finding_codes(run_prereview(app, register))


def test_a_transfer_of_a_unit_not_titled_is_refused():
    app, register = transfer()
    register = replace(register, unit=f.unit(f.UnitState.OFF_PLAN))

    assert "unit.state_mismatch" in finding_codes(run_prereview(app, register))


def test_the_buyers_mortgage_after_the_groups_transfer_is_checked_against_the_buyers():
    # The repository gives the mortgage the transfer's buyers as owners; the usual owner rule then applies.
    app, register = f.scenario(T.MORTGAGE_FIRST)
    app = replace(app, mortgagors=(GAO, LIN), debtor=GAO)
    buyers = tuple(OwnerRecord(p.name, p.id_type, p.id_number, "") for p in (GAO, LIN))
    register = replace(register, owners=buyers, combined=CombinedGroup(f.BANK.code, buyers))

    assert [c for c in finding_codes(run_prereview(app, register)) if c.startswith(("mortgagors.", "transfer."))] == []


def test_the_transfer_rules_apply_to_the_transfer_only():
    names = {rule.name for rule in rules_for(T.OWNERSHIP_TRANSFER)}

    assert {"transfer_is_combined", "sellers_are_owners", "buyers_are_the_mortgagors", "sale_terms_given",
            "carried_over_mortgages_consented", "party_id_numbers"} <= names
    assert "mortgagors_are_owners" not in names and "debtor_given" not in names
    assert "transfer_is_combined" not in {rule.name for rule in rules_for(T.MORTGAGE_FIRST)}
