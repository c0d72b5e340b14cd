"""A unified social credit code (GB 32100) carries two check characters: the 18th over the whole
code, and the 17th, which ends the embedded GB 11714 organisation code (characters 9–17).
python-stdnum checks only the 18th; the gateway checks both, wherever it accepts a credit code.
"""
from __future__ import annotations

import pytest
from stdnum.cn import uscc

from bank_adapters.canonical import Mortgagee
from gateway.prereview.identifiers import (
    IdProblem,
    credit_code_problem,
    is_valid_credit_code,
    organisation_code_check_character,
)
from gateway.prereview.rules.parties import institution_credit_codes
from gateway.register.import_rows import BadRow, Context, check_row
from tests.unit.prereview import factories as f

# Published codes of real organisations: ICBC, China Construction Bank, and python-stdnum's example.
REAL_CODES = ("91100000100003962T", "911100001000044477", "91110000600037341L")
# Valid for GB 32100's own check (the 18th character) but not for GB 11714's: the 17th should be 0.
WRONG_AT_17 = "91640221MA76B3KX56"


def with_own_check(first17: str) -> str:
    return first17 + uscc.calc_check_digit(first17)


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_credit_codes_pass_both_checks(code):
    assert credit_code_problem(code) is None
    assert is_valid_credit_code(code)


@pytest.mark.parametrize(("body", "check"), [
    ("10000396", "2"),  # ICBC's organisation code 10000396-2
    ("10000444", "7"),  # China Construction Bank's 10000444-7
    ("60003734", "1"),
    ("MA76B3KX", "0"),  # 11 − 0: written 0
    ("MA700000", "X"),  # 11 − 1 = 10: written X
])
def test_the_organisation_code_check_character_follows_gb_11714(body, check):
    assert organisation_code_check_character(body) == check


@pytest.mark.parametrize("body", ["1000039", "100003962", "1000039a", "1000-396"])
def test_an_organisation_code_body_that_is_not_eight_digits_or_capitals_is_refused(body):
    with pytest.raises(ValueError):
        organisation_code_check_character(body)


def test_a_code_valid_for_its_last_character_but_wrong_at_the_17th_is_a_check_digit_problem():
    assert uscc.is_valid(WRONG_AT_17)  # what python-stdnum alone would accept

    assert credit_code_problem(WRONG_AT_17) == IdProblem.CHECK_DIGIT
    assert not is_valid_credit_code(WRONG_AT_17)


def test_every_wrong_17th_character_is_caught_when_the_18th_is_recomputed_to_match():
    right = with_own_check("91640221MA76B3KX0")
    assert credit_code_problem(right) is None
    for wrong in "123456789X":
        assert credit_code_problem(with_own_check("91640221MA76B3KX" + wrong)) == IdProblem.CHECK_DIGIT


def test_the_register_import_refuses_a_mortgagee_code_wrong_at_the_17th_character():
    context = Context(existing_units={"640221001004GB00021F00030101"}, existing_certificates=set(),
                      existing_priorities=set())
    row = {"record_type": "MORTGAGE", "unit_code": "640221001004GB00021F00030101",
           "certificate_no": "宁(2024)平罗县不动产证明第0001562号", "mortgagee_code": WRONG_AT_17,
           "mortgagee_name": "宁夏示例银行股份有限公司平罗支行", "kind": "GENERAL", "priority": "1",
           "secured_amount": "350000.00", "registered_on": "2024-05-22"}

    with pytest.raises(BadRow, match="mortgagee_code is not a valid unified social credit code"):
        check_row(row, context)


def test_the_register_import_refuses_an_owner_code_wrong_at_the_17th_character():
    context = Context(existing_units={"640221001004GB00021F00030101"}, existing_certificates=set(),
                      existing_priorities=set())
    row = {"record_type": "OWNER", "unit_code": "640221001004GB00021F00030101", "name": "平罗县某某有限公司",
           "id_type": "USCC", "id_number": WRONG_AT_17, "share": "单独所有"}

    with pytest.raises(BadRow, match="id_number is not a valid unified social credit code"):
        check_row(row, context)


def test_pre_review_refuses_a_mortgagee_code_wrong_at_the_17th_character():
    [finding] = institution_credit_codes(f.application(mortgagee=Mortgagee(WRONG_AT_17, f.BANK.name)), f.register())

    assert (finding.code, finding.field) == ("mortgagee.credit_code_check_digit", "mortgagee.code")
