"""The clerk's form: each mistake named at its field, and a checked form read exactly like a bank's request."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from bank_adapters.canonical import Mortgagee, RegistrationType
from bank_adapters.xml_v1 import XmlApplicationAdapter
from gateway.web.clerk_form import ApplicationForm, form_field, to_canonical, validate
from tests.support import factories

SHA = "ab" * 32


def posted(**overrides) -> dict[str, str]:
    form = {
        "registration_type": "MORTGAGE_FIRST", "request_id": "WEB-1", "unit_code": factories.UNIT_CODE,
        "mortgagor-0-name": "王建国", "mortgagor-0-id_type": "RESIDENT_ID", "mortgagor-0-id_number": "640221198503150018",
        "mortgagor-1-name": "李秀梅", "mortgagor-1-id_type": "RESIDENT_ID", "mortgagor-1-id_number": "640221198707220022",
        "debtor_same": "on", "secured_amount": "1,200,000.00", "debt_start": "2026-12-01", "debt_end": "2046-11-30",
        "loan_contract_no": "JK-1", "mortgage_contract_no": "DY-1",
        "material-0-type": "LOAN_CONTRACT", "material-0-name": "借款合同.pdf", "material-0-sha256": SHA,
        "material-1-type": "MORTGAGE_CONTRACT", "material-1-name": "抵押合同.pdf", "material-1-sha256": "cd" * 32,
    }
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


def test_a_complete_first_mortgage_form_has_no_errors():
    assert validate(ApplicationForm.from_form(posted())) == {}


def test_a_wrong_id_check_digit_is_named_at_its_field():
    errors = validate(ApplicationForm.from_form(posted(**{"mortgagor-1-id_number": "640221198707220023"})))
    assert errors == {"mortgagor-1-id_number": "居民身份证号码校验位错误，请逐位核对"}


def test_a_wrong_unit_code_segment_is_described():
    errors = validate(ApplicationForm.from_form(posted(unit_code="640221001001G100012F00010001")))
    assert errors["unit_code"] == "第13–14位（宗地（宗海）特征码）应为2位大写字母"


def test_a_credit_code_party_is_checked_as_a_credit_code():
    form = posted(**{"mortgagor-0-id_type": "USCC", "mortgagor-0-id_number": "91640221MA76R3PK3R"})
    assert validate(ApplicationForm.from_form(form)) == {"mortgagor-0-id_number": "统一社会信用代码校验位错误，请逐位核对"}


def test_amounts_dates_and_missing_materials_are_reported_together():
    form = posted(secured_amount="12.345", debt_end="2026-11-30", **{"material-1-sha256": None})
    assert set(validate(ApplicationForm.from_form(form))) == {"secured_amount", "debt_end", "materials"}


def test_a_blank_second_mortgagor_row_is_ignored():
    form = ApplicationForm.from_form(posted(**{"mortgagor-1-name": "", "mortgagor-1-id_number": ""}))
    assert len(form.mortgagors) == 1


def test_a_discharge_needs_the_evidence_that_fits_its_reason():
    form = posted(registration_type="MORTGAGE_DISCHARGE", referenced_certificate_no="宁(2025)平罗县不动产证明第0000101号",
                  discharge_reason="COURT_RULING", **{"material-0-type": "DISCHARGE_EVIDENCE", "material-1-sha256": None})
    assert "人民法院、仲裁委员会生效法律文书" in validate(ApplicationForm.from_form(form))["materials"]


def test_the_checked_form_reads_back_unchanged_through_the_signed_request_format():
    form = ApplicationForm.from_form(posted())
    created = datetime(2026, 11, 27, 9, 30, tzinfo=timezone.utc)
    application = to_canonical(form, mortgagee=Mortgagee("12640200455762132G", "公积金中心"), created_at=created)
    adapter = XmlApplicationAdapter()
    assert adapter.to_canonical(adapter.from_canonical(application)) == application
    assert application.secured_amount == Decimal("1200000.00")
    assert application.debtor == application.mortgagors[0]
    assert application.registration_type is RegistrationType.MORTGAGE_FIRST


def test_findings_point_at_the_form_fields_they_concern():
    assert form_field("mortgagors[1].id_number") == "mortgagor-1-id_number"
    assert form_field("mortgagors") == "mortgagors"
    assert form_field("debtor") == "debtor-name"
    assert form_field("unit_code") == "unit_code"
    assert form_field(None) is None
