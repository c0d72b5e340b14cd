"""bank_adapters.json_v1: strict JSON, schema violations reported by path without values, and the
canonical application read back exactly."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from bank_adapters.canonical import ChangeField, ChangeItem, LinkRef, Mortgagee, RegistrationType, SpecialCircumstance
from bank_adapters.json_v1 import JsonApplicationAdapter, JsonMalformed, JsonSchemaInvalid
from tests.support import factories

ADAPTER = JsonApplicationAdapter()


def document(**changes) -> bytes:
    data = json.loads(ADAPTER.from_canonical(factories.application()))
    data.update(changes)
    return json.dumps(data, ensure_ascii=False).encode()


def violations(body: bytes) -> dict[str, str]:
    with pytest.raises(JsonSchemaInvalid) as refused:
        ADAPTER.to_canonical(body)
    assert refused.value.code == "json.schema_invalid"
    return {v.path: v.reason for v in refused.value.violations}


def test_every_optional_field_round_trips():
    app = factories.application(
        registration_type=RegistrationType.MORTGAGE_FIRST_MAXIMUM, maximum_claim_amount=Decimal("3000000.5"),
        claim_period_start=date(2026, 1, 1), claim_period_end=date(2031, 1, 1), referenced_certificate_no="宁(2026)平罗县不动产证明第0000001号",
        changes=(ChangeItem(ChangeField.PRIORITY, "2"),), transferee=Mortgagee(factories.OTHER_BANK_CODE, "另一家银行"),
        construction_permit_no="建字第640221202600001号", special_circumstances=(SpecialCircumstance.SURVEY_REQUIRED,),
        link=LinkRef("GROUP-1", 1, 2))
    assert ADAPTER.to_canonical(ADAPTER.from_canonical(app)) == app
    app = replace(factories.application(), debtor=None, secured_amount=None, debt_start=None, debt_end=None,
                  loan_contract_no=None, mortgage_contract_no=None)
    assert ADAPTER.to_canonical(ADAPTER.from_canonical(app)) == app


@pytest.mark.parametrize("body", [b"", b"{", b"\xff\xfe{}", b"\xef\xbb\xbf{}", b'{"a": NaN}', b'{"a": Infinity}',
                                  b'{"a": 1, "a": 2}', b"[" * 100 + b"]" * 100, b'{"a": "\\ud800"}',
                                  b'{"a": [[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]}'])
def test_what_is_not_strict_json_is_malformed(body):
    with pytest.raises(JsonMalformed) as refused:
        ADAPTER.to_canonical(body)
    assert refused.value.code == "json.malformed"


def test_violations_name_the_member_and_the_rule_never_the_value():
    secret = "6402211985*03150018"
    found = violations(document(unit_code=secret, secured_amount=1200000.0, extra_member=secret,
                                mortgagors=[{"name": " 王建国", "id_type": "CITIZEN", "id_number": secret}]))
    assert found == {
        "/unit_code": "does not match the required pattern (pattern)",
        "/secured_amount": "has the wrong JSON type (type)",
        "/": "member(s) not in the schema: 'extra_member'",
        "/mortgagors/0/name": "does not match the required pattern (pattern)",
        "/mortgagors/0/id_type": "is not one of the allowed codes (enum)",
        "/mortgagors/0/id_number": "does not match the required pattern (pattern)",
    }
    assert secret not in json.dumps(found) and "王建国" not in json.dumps(found)


@pytest.mark.parametrize(("changes", "path"), [
    ({"secured_amount": "0.00"}, "/secured_amount"),
    ({"secured_amount": "12.345"}, "/secured_amount"),
    ({"version": "2"}, "/version"),
    ({"currency": "USD"}, "/currency"),
    ({"debt_end": "2046-02-30"}, "/debt_end"),
    ({"created_at": "2026-12-07T10:00:00"}, "/created_at"),
    ({"materials": []}, "/materials"),
    ({"special_circumstances": ["SURVEY_REQUIRED", "SURVEY_REQUIRED"]}, "/special_circumstances"),
    ({"link": {"group_id": "G", "position": 1, "size": 11}}, "/link/size"),
    ({"loan_contract_no": "x" * 65}, "/loan_contract_no"),
    ({"referenced_certificate_no": "a/b"}, "/referenced_certificate_no"),
    ({"debtor": None}, "/debtor"),
])
def test_each_rule_of_the_xsd_holds_in_json(changes, path):
    assert path in violations(document(**changes))


def test_a_start_without_its_end_is_refused():
    data = json.loads(document())
    del data["debt_end"]
    assert violations(json.dumps(data).encode()) == {"/": "must be given together with its pair (start and end) (dependentRequired)"}
