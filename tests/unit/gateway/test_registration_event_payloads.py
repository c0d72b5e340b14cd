"""What a registration event says, without a database: its stable id, its JSON form, and that a mortgage
event never carries a person's name."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal
from types import SimpleNamespace

import pytest

from bank_adapters import ChangeField, ChangeItem
from gateway.registration_events.payloads import event_id_of, event_payload, mortgage_details, payload_bytes
from tests.support import scenarios as s

REGISTERED_AT = datetime(2026, 12, 7, 2, 30, 15, 123456, tzinfo=timezone.utc)


def mortgage(**overrides) -> SimpleNamespace:
    values = dict(certificate_no="宁(2026)平罗县不动产证明第0000002号", kind="GENERAL", status="IN_FORCE", priority=1,
                  mortgagee_code=s.BANK.code, mortgagee_name=s.BANK.name, secured_amount=Decimal("1200000"),
                  maximum_claim_amount=None, currency="CNY", debt_start=date(2026, 12, 1), debt_end=date(2046, 11, 30),
                  claim_period_start=None, claim_period_end=None)
    return SimpleNamespace(**{**values, **overrides})


def test_the_event_id_depends_on_the_certificate_number_only():
    assert event_id_of(s.EXISTING_NO) == event_id_of(s.EXISTING_NO)
    assert event_id_of(s.EXISTING_NO) != event_id_of(s.SECOND_NO)
    assert event_id_of(s.EXISTING_NO).startswith("RE") and len(event_id_of(s.EXISTING_NO)) == 32


def test_a_mortgagor_name_change_names_the_field_but_not_the_new_name():
    app = s.change(s.EXISTING_NO, ChangeItem(ChangeField.MORTGAGOR_NAME, "王建华"),
                   ChangeItem(ChangeField.DEBT_END, "2045-11-30"))
    summary = {"changes": [{"field": c.field.value, "new_value": c.new_value} for c in app.changes]}

    details = mortgage_details(mortgage(), app, summary)

    assert details["changes"] == [{"field": "MORTGAGOR_NAME", "new_value": None},
                                  {"field": "DEBT_END", "new_value": "2045-11-30"}]
    assert "王建华" not in json.dumps(details, ensure_ascii=False, default=str)


def test_a_transfer_names_both_mortgagees_and_the_mortgage_transferred():
    details = mortgage_details(mortgage(mortgagee_code=s.OTHER_BANK.code), s.transfer(s.EXISTING_NO),
                               {"from": s.BANK.code, "to": s.OTHER_BANK.code})

    assert details["referenced_certificate_no"] == s.EXISTING_NO
    assert details["transfer"] == {"from_mortgagee_code": s.BANK.code, "to_mortgagee_code": s.OTHER_BANK.code}
    assert "changes" not in details and "discharge_reason" not in details


def test_amounts_have_two_decimals_and_the_payload_is_json_native():
    payload = event_payload(event_id="RE" + "0" * 30, event_type="MORTGAGE_FIRST", unit_code=s.SHOP_CODE,
                            certificate_no="宁(2026)平罗县不动产证明第0000002号", registered_at=REGISTERED_AT,
                            application_no=None, details=mortgage_details(mortgage(), s.first(), None))

    assert payload["registered_at"] == "2026-12-07T02:30:15Z"
    assert payload["details"]["mortgage"]["secured_amount"] == "1200000.00"
    assert payload["details"]["mortgage"]["debt_end"] == "2046-11-30"
    assert json.loads(payload_bytes(payload)) == payload


def test_details_a_json_document_cannot_carry_are_refused():
    with pytest.raises(TypeError):
        event_payload(event_id="RE" + "0" * 30, event_type="OWNERSHIP_TRANSFER", unit_code=s.SHOP_CODE,
                      certificate_no="宁(2026)平罗县不动产证明第0000003号", registered_at=REGISTERED_AT,
                      application_no=None, details={"sale_price": object()})
