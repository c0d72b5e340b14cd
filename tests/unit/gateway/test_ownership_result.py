"""The result of an ownership transfer: the 不动产权证书号 as CertificateNo, and no Priority, valid in both forms."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import jsonschema_rs
from lxml import etree

from gateway import outputs
from gateway.applications import documents
from gateway.register.ownership import title_certificate_number
from gateway.settings import Settings

SCHEMAS = Path(__file__).resolve().parents[3] / "docs" / "interface" / "schemas"
AT = datetime(2026, 12, 7, 2, 30, tzinfo=timezone.utc)
NS = {"g": "urn:pingluo-bdc:mortgage-gateway:v1"}


def transfer_result() -> etree._Element:
    facts = documents.ResultFacts(
        application_no="64022120261207000001", request_id="REQ-1", mortgagee_code="91640221MA76B3KX0N",
        request_sha256="0" * 64, decision="APPROVED", decided_at=AT,
        registration=documents.RegistrationFacts("宁(2026)平罗县不动产权第0000001号", "640221001001GB00012F00010001",
                                                 None, AT))
    return documents.build_result(facts, issued_at=AT)


def test_a_transfers_result_has_no_priority_and_is_valid_against_the_output_xsd():
    result = transfer_result()
    schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "gateway-output-v1.xsd")))

    assert result.find("g:Registration/g:Priority", NS) is None
    assert schema.validate(result), schema.error_log


def test_a_transfers_result_in_json_form_is_valid_against_the_output_json_schema():
    form = outputs.to_json_form(transfer_result())
    validator = jsonschema_rs.Draft202012Validator(
        json.loads((SCHEMAS / "gateway-output-v1.schema.json").read_text(encoding="utf-8")))

    assert "priority" not in form["registration"]
    assert validator.is_valid(form), [e.message for e in validator.iter_errors(form)]


def test_the_title_certificate_number_follows_the_official_numbering():
    assert title_certificate_number(Settings(), 2026, 318) == "宁(2026)平罗县不动产权第0000318号"
