"""Mortgagors are exactly the recorded owners; debtors are named; identifiers pass their check digits."""
from __future__ import annotations

from dataclasses import replace

from bank_adapters.canonical import IdType, Mortgagee, Party
from gateway.prereview.findings import Severity
from gateway.prereview.rules.parties import (
    debtor_given,
    institution_credit_codes,
    mortgagors_are_owners,
    party_id_numbers,
)
from tests.unit.prereview import factories as f
from tests.unit.prereview.factories import T


def test_both_co_owners_with_half_shares_as_mortgagors_pass():
    assert mortgagors_are_owners(f.application(), f.register()) == []


def test_a_co_owner_left_out_is_refused_naming_their_register_position_and_share():
    [finding] = mortgagors_are_owners(f.application(mortgagors=(f.WANG,)), f.register())
    assert (finding.code, finding.severity) == ("mortgagors.owner_missing", Severity.REFUSE)
    assert finding.field == "mortgagors"
    assert finding.message_zh == "登记簿记载的第2位权利人（份额1/2）未作为抵押人申请"


def test_a_stranger_as_mortgagor_is_refused_naming_the_field():
    [finding] = mortgagors_are_owners(f.application(mortgagors=(f.WANG, f.LI, f.ZHAO)), f.register())
    assert (finding.code, finding.field) == ("mortgagors.not_owners", "mortgagors[2].id_number")
    assert finding.message_zh.startswith("第3位抵押人")


def test_owners_are_matched_on_the_id_number_not_the_name():
    impostor = Party("王建国", IdType.RESIDENT_ID, f.ZHAO.id_number)
    codes = [x.code for x in mortgagors_are_owners(f.application(mortgagors=(impostor, f.LI)), f.register())]
    assert codes == ["mortgagors.not_owners", "mortgagors.owner_missing"]


def test_a_different_spelling_of_an_owners_name_goes_to_a_reviewer():
    renamed = replace(f.LI, name="李秀枚")
    [finding] = mortgagors_are_owners(f.application(mortgagors=(f.WANG, renamed)), f.register())
    assert (finding.code, finding.severity, finding.field) == (
        "mortgagors.name_differs", Severity.REVIEW, "mortgagors[1].name")


def test_the_same_mortgagor_twice_is_refused():
    findings = mortgagors_are_owners(f.application(mortgagors=(f.WANG, f.LI, f.WANG)), f.register())
    assert [x.code for x in findings] == ["mortgagors.duplicate"]


def test_no_mortgagors_at_all_is_refused():
    assert [x.code for x in mortgagors_are_owners(f.application(mortgagors=()), f.register())] == ["mortgagors.missing"]


def test_a_lower_case_x_in_an_owners_id_number_still_matches():
    owner = Party("马晓燕", IdType.RESIDENT_ID, f.resident_id("64022119800101004"))
    assert owner.id_number.endswith("X")
    register = f.register(owners=f.owners(owner, share="单独所有"))
    app = f.application(mortgagors=(replace(owner, id_number=owner.id_number.lower()),))
    assert mortgagors_are_owners(app, register) == []


def test_for_an_off_plan_home_the_pre_notice_buyers_are_the_owners_to_be():
    app, register = f.scenario(T.PRE_NOTICE_MORTGAGE)
    assert mortgagors_are_owners(app, register) == []
    assert mortgagors_are_owners(replace(app, mortgagors=(f.DEVELOPER,)), register)[0].code == "mortgagors.not_owners"


def test_a_co_buyer_left_out_of_a_pre_notice_mortgage_is_refused_as_the_buyer():
    app, register = f.scenario(T.PRE_NOTICE_MORTGAGE)
    [finding] = mortgagors_are_owners(replace(app, mortgagors=(f.WANG,)), register)
    assert finding.message_zh == "登记簿记载的第2位预告登记权利人（买受人）未作为抵押人申请"


def test_a_register_without_owners_sends_the_case_to_a_reviewer():
    findings = mortgagors_are_owners(f.application(), f.register(owners=()))
    assert [(x.code, x.severity) for x in findings] == [("unit.owners_unknown", Severity.REVIEW)]


def test_a_new_mortgage_without_a_debtor_is_refused():
    assert [x.code for x in debtor_given(f.application(debtor=None), f.register())] == ["debtor.missing"]


def test_a_wrong_check_digit_on_the_second_mortgagors_id_number_names_the_field():
    bad = replace(f.LI, id_number=f.wrong_check_digit(f.LI.id_number))
    [finding] = party_id_numbers(f.application(mortgagors=(f.WANG, bad)), f.register())
    assert (finding.code, finding.severity, finding.field) == (
        "party.id_check_digit", Severity.REFUSE, "mortgagors[1].id_number")
    assert finding.message_zh == "第2位抵押人的居民身份证号码校验位错误"


def test_a_wrong_check_digit_on_the_debtors_id_number_names_the_debtor():
    bad = replace(f.WANG, id_number=f.wrong_check_digit(f.WANG.id_number))
    [finding] = party_id_numbers(f.application(debtor=bad), f.register())
    assert (finding.code, finding.field) == ("party.id_check_digit", "debtor.id_number")


def test_a_17_digit_id_number_is_malformed():
    bad = replace(f.WANG, id_number=f.WANG.id_number[:17])
    [finding] = party_id_numbers(f.application(mortgagors=(bad, f.LI)), f.register())
    assert (finding.code, finding.field) == ("party.id_malformed", "mortgagors[0].id_number")


def test_an_id_number_with_a_space_is_malformed_not_silently_compacted():
    bad = replace(f.WANG, id_number=f.WANG.id_number[:6] + " " + f.WANG.id_number[6:])
    assert [x.code for x in party_id_numbers(f.application(mortgagors=(bad, f.LI), debtor=None), f.register())] == [
        "party.id_malformed"]


def test_an_impossible_birth_date_with_a_correct_check_digit_is_refused():
    bad = replace(f.WANG, id_number=f.resident_id("64022119851301001"))  # month 13
    assert [x.code for x in party_id_numbers(f.application(mortgagors=(bad, f.LI)), f.register())] == [
        "party.id_birth_date_invalid"]


def test_an_address_code_unknown_to_stdnum_goes_to_a_reviewer_not_refused():
    odd = replace(f.WANG, id_number=f.resident_id("99999919850315001"))
    [finding] = party_id_numbers(f.application(mortgagors=(odd, f.LI)), f.register())
    assert (finding.code, finding.severity) == ("party.id_region_unknown", Severity.REVIEW)


def test_an_organisations_credit_code_with_a_wrong_check_digit_names_the_field():
    app, register = f.scenario(T.CONSTRUCTION_MORTGAGE)
    bad = replace(f.DEVELOPER, id_number=f.wrong_check_digit(f.DEVELOPER.id_number))
    findings = party_id_numbers(replace(app, mortgagors=(bad,), debtor=None), register)
    assert [(x.code, x.field) for x in findings] == [("party.credit_code_check_digit", "mortgagors[0].id_number")]


def test_a_passport_number_is_only_checked_for_presence():
    visitor = Party("John Smith", IdType.PASSPORT, "E12345678")
    assert party_id_numbers(f.application(mortgagors=(visitor,), debtor=None), f.register()) == []
    blank = replace(visitor, id_number=" ")
    assert [x.code for x in party_id_numbers(f.application(mortgagors=(blank,), debtor=None), f.register())] == [
        "party.id_missing"]


def test_a_wrong_check_digit_on_the_mortgagees_credit_code_names_the_field():
    bank = Mortgagee(f.wrong_check_digit(f.BANK.code), f.BANK.name)
    [finding] = institution_credit_codes(f.application(mortgagee=bank), f.register())
    assert (finding.code, finding.severity, finding.field) == (
        "mortgagee.credit_code_check_digit", Severity.REFUSE, "mortgagee.code")
    assert finding.message_zh == "抵押权人的统一社会信用代码校验位错误"


def test_a_credit_code_with_a_letter_outside_its_alphabet_is_malformed():
    bank = Mortgagee(f.BANK.code[:10] + "I" + f.BANK.code[11:], f.BANK.name)
    assert [x.code for x in institution_credit_codes(f.application(mortgagee=bank), f.register())] == [
        "mortgagee.credit_code_malformed"]


def test_a_wrong_check_digit_on_the_transferees_credit_code_names_the_field():
    app, register = f.scenario(T.MORTGAGE_TRANSFER)
    bad = Mortgagee(f.wrong_check_digit(f.OTHER_BANK.code), f.OTHER_BANK.name)
    findings = institution_credit_codes(replace(app, transferee=bad), register)
    assert [(x.code, x.field) for x in findings] == [("transferee.credit_code_check_digit", "transferee.code")]
