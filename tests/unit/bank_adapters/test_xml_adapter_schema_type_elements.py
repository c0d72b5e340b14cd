"""The optional, type-specific elements: shapes the schema refuses, and what it leaves to pre-review."""
import pytest
from lxml import etree

NAMESPACE = "urn:pingluo-bdc:mortgage-gateway:v1"
OPTIONAL_IN_SCHEMA_ORDER = [
    "Debtor",
    "SecuredClaim",
    "DebtPeriod",
    "LoanContractNo",
    "MortgageContractNo",
    "MaximumClaim",
    "ClaimPeriod",
    "ReferencedCertificateNo",
    "Changes",
    "Transferee",
    "DischargeReason",
    "ConstructionPermitNo",
    "SpecialCircumstances",
    "Link",
]


def _paths_and_reasons(refused):
    return [(violation.path, violation.reason) for violation in refused.violations]


def test_a_document_with_every_optional_element_is_valid(adapter, full_root):
    assert adapter.validate(full_root) is None


def test_the_optional_elements_come_in_one_fixed_order_before_the_materials(full_root):
    names = [etree.QName(child).localname for child in full_root]

    assert [name for name in names if name in OPTIONAL_IN_SCHEMA_ORDER] == OPTIONAL_IN_SCHEMA_ORDER
    assert names[-1] == "Materials"


@pytest.mark.parametrize("name", OPTIONAL_IN_SCHEMA_ORDER)
def test_each_optional_element_may_be_left_out_whatever_the_registration_type(adapter, full_root, at, name):
    # Which elements a type needs is for pre-review, which reports every finding at once.
    full_root.remove(at(full_root, f"m:{name}"))

    assert adapter.validate(full_root) is None


def test_a_document_with_no_optional_element_at_all_is_valid(adapter, full_root, at):
    for name in OPTIONAL_IN_SCHEMA_ORDER:
        full_root.remove(at(full_root, f"m:{name}"))
    at(full_root, "m:RegistrationType").text = "MORTGAGE_DISCHARGE"

    assert adapter.validate(full_root) is None


def test_an_optional_element_out_of_order_is_refused(full_root, refusal, at):
    at(full_root, "m:Changes").addprevious(at(full_root, "m:Link"))

    assert _paths_and_reasons(refusal(full_root)) == [
        ("/MortgageApplication", "element Changes is not allowed here; expected Materials"),
    ]


def test_an_optional_element_given_twice_is_refused(full_root, refusal, at):
    transferee = at(full_root, "m:Transferee")
    transferee.addnext(etree.fromstring(etree.tostring(transferee)))

    assert _paths_and_reasons(refusal(full_root))[0][1].startswith("element Transferee is not allowed here")


@pytest.mark.parametrize(
    "number",
    [
        "宁(2026)平罗县不动产证明第0000001号",
        "宁（2026）平罗县不动产证明第0000001号",  # full-width parentheses, as printed on older certificates
        "宁〔2019〕平罗县不动产证明第0000457号",
        "X" * 64,
    ],
)
def test_a_certificate_number_in_any_printed_form_is_accepted(adapter, full_root, at, number):
    at(full_root, "m:ReferencedCertificateNo").text = number

    assert adapter.validate(full_root) is None


@pytest.mark.parametrize(
    "number",
    [
        "宁(2026)平罗县不动产证明第0000001号 ",  # trailing space
        " 宁(2026)平罗县不动产证明第0000001号",  # leading space
        "\u3000宁(2026)平罗县不动产证明第0000001号",  # leading ideographic space
        "宁(2026) 平罗县不动产证明第0000001号",  # space inside
        "宁(２０２６)平罗县不动产证明第0000001号",  # full-width digits
        "宁(2026)平罗县不动产证明第0000001号;",  # punctuation
        "宁" * 65,
        None,
    ],
)
def test_a_certificate_number_with_other_characters_or_length_is_refused(full_root, refusal, at, number):
    at(full_root, "m:ReferencedCertificateNo").text = number

    assert _paths_and_reasons(refusal(full_root)) == [
        ("/MortgageApplication/ReferencedCertificateNo", "does not match the pattern"),
    ]


def test_an_unknown_change_field_is_refused_with_its_position(full_root, refusal, at):
    at(full_root, "m:Changes/m:Change[2]/m:Field").text = "INTEREST_RATE"

    assert _paths_and_reasons(refusal(full_root)) == [
        (
            "/MortgageApplication/Changes/Change[2]/Field",
            "is not one of the allowed codes: SECURED_AMOUNT, MAXIMUM_CLAIM_AMOUNT, DEBT_END, CLAIM_PERIOD_END, "
            "PRIORITY, MORTGAGEE_NAME, MORTGAGOR_NAME",
        ),
    ]


def test_a_new_value_longer_than_two_hundred_characters_is_refused(full_root, refusal, at):
    at(full_root, "m:Changes/m:Change[1]/m:NewValue").text = "1" * 201

    assert _paths_and_reasons(refusal(full_root)) == [
        ("/MortgageApplication/Changes/Change[1]/NewValue", "is longer than 200 characters"),
    ]


def test_a_new_value_in_the_wrong_format_for_its_field_is_left_to_pre_review(adapter, full_root, at):
    at(full_root, "m:Changes/m:Change[1]/m:NewValue").text = "九十万元"  # SECURED_AMOUNT wants 900000.00

    assert adapter.validate(full_root) is None


def test_changes_without_a_change_are_refused(full_root, refusal, at):
    changes = at(full_root, "m:Changes")
    for change in list(changes):
        changes.remove(change)

    assert _paths_and_reasons(refusal(full_root)) == [("/MortgageApplication/Changes", "content is incomplete; expected Change")]


def test_more_than_ten_changes_are_refused(full_root, refusal, at):
    changes = at(full_root, "m:Changes")
    for _ in range(9):
        changes.append(etree.fromstring(etree.tostring(changes[0])))

    assert _paths_and_reasons(refusal(full_root)) == [("/MortgageApplication/Changes", "element Change is not allowed here")]


def test_a_transferee_credit_code_of_the_wrong_shape_is_refused(full_root, refusal, at):
    at(full_root, "m:Transferee/m:Code").text = "91640100MA774K3E6I"

    assert _paths_and_reasons(refusal(full_root)) == [("/MortgageApplication/Transferee/Code", "does not match the pattern")]


def test_an_unknown_discharge_reason_is_refused(full_root, refusal, at):
    at(full_root, "m:DischargeReason").text = "PAID_OFF"

    assert _paths_and_reasons(refusal(full_root)) == [
        ("/MortgageApplication/DischargeReason", "is not one of the allowed codes: DEBT_REPAID, RIGHT_ENFORCED, WAIVED, COURT_RULING"),
    ]


def test_a_construction_permit_number_longer_than_sixty_four_characters_is_refused(full_root, refusal, at):
    at(full_root, "m:ConstructionPermitNo").text = "建" * 65

    assert _paths_and_reasons(refusal(full_root)) == [
        ("/MortgageApplication/ConstructionPermitNo", "is longer than 64 characters"),
    ]


def test_an_unknown_special_circumstance_is_refused(full_root, refusal, at):
    at(full_root, "m:SpecialCircumstances/m:Circumstance[1]").text = "FLOOD"

    assert _paths_and_reasons(refusal(full_root)) == [
        (
            "/MortgageApplication/SpecialCircumstances/Circumstance[1]",
            "is not one of the allowed codes: SURVEY_REQUIRED, ANNOUNCEMENT_REQUIRED, UNNOTARISED_INHERITANCE",
        ),
    ]


def test_a_special_circumstance_declared_twice_is_refused(full_root, refusal, at):
    at(full_root, "m:SpecialCircumstances/m:Circumstance[2]").text = "ANNOUNCEMENT_REQUIRED"

    assert _paths_and_reasons(refusal(full_root)) == [
        ("/MortgageApplication/SpecialCircumstances/Circumstance[2]", "repeats a code already given in this list"),
    ]


def test_all_three_special_circumstances_may_be_declared(adapter, full_root, at):
    etree.SubElement(at(full_root, "m:SpecialCircumstances"), f"{{{NAMESPACE}}}Circumstance").text = "UNNOTARISED_INHERITANCE"

    assert adapter.validate(full_root) is None


@pytest.mark.parametrize(
    ("position", "reason"),
    [
        ("11", "must be at most 10"),
        ("01", "does not match the pattern"),
        ("+1", "does not match the pattern"),
    ],
)
def test_a_link_position_outside_one_to_ten_or_not_plainly_written_is_refused(full_root, refusal, at, position, reason):
    at(full_root, "m:Link/m:Position").text = position

    assert _paths_and_reasons(refusal(full_root)) == [("/MortgageApplication/Link/Position", reason)]


def test_a_link_position_of_zero_is_refused(full_root, refusal, at):
    at(full_root, "m:Link/m:Position").text = "0"

    assert ("/MortgageApplication/Link/Position", "must be at least 1") in _paths_and_reasons(refusal(full_root))


@pytest.mark.parametrize(("size", "reason"), [("1", "must be at least 2"), ("11", "must be at most 10"), ("02", "does not match the pattern")])
def test_a_link_size_outside_two_to_ten_is_refused(full_root, refusal, at, size, reason):
    at(full_root, "m:Link/m:Size").text = size

    assert _paths_and_reasons(refusal(full_root)) == [("/MortgageApplication/Link/Size", reason)]


def test_a_position_beyond_the_group_size_is_left_to_pre_review(adapter, full_root, at):
    at(full_root, "m:Link/m:Position").text = "3"

    assert adapter.validate(full_root) is None


@pytest.mark.parametrize("group_id", ["ZHD 0007", "组合贷-0007", "Z" * 65, ""])
def test_a_group_id_outside_its_alphabet_or_length_is_refused(full_root, refusal, at, group_id):
    at(full_root, "m:Link/m:GroupId").text = group_id

    assert _paths_and_reasons(refusal(full_root)) == [("/MortgageApplication/Link/GroupId", "does not match the pattern")]


def test_a_maximum_claim_in_another_currency_is_refused(full_root, refusal, at):
    at(full_root, "m:MaximumClaim").set("currency", "USD")

    assert _paths_and_reasons(refusal(full_root)) == [("/MortgageApplication/MaximumClaim", "attribute currency must be 'CNY'")]


def test_a_maximum_claim_of_zero_is_refused(full_root, refusal, at):
    at(full_root, "m:MaximumClaim").text = "0.00"

    assert _paths_and_reasons(refusal(full_root)) == [("/MortgageApplication/MaximumClaim", "must be greater than 0")]


def test_a_claim_period_without_its_end_is_refused(full_root, refusal, at):
    period = at(full_root, "m:ClaimPeriod")
    period.remove(period[1])

    assert _paths_and_reasons(refusal(full_root)) == [("/MortgageApplication/ClaimPeriod", "content is incomplete; expected End")]


def test_a_claim_period_date_that_does_not_exist_is_refused(full_root, refusal, at):
    at(full_root, "m:ClaimPeriod/m:End").text = "2031-02-30"

    assert _paths_and_reasons(refusal(full_root)) == [("/MortgageApplication/ClaimPeriod/End", "is not a valid date")]
