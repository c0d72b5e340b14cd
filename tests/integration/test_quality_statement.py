"""The signed monthly statement (a ``Statement`` in gateway-output-v1.xsd, verified with xmlsec1 as a bank
would) and the supervisors' web page of the quality figures, on the world of test_quality_figures."""
from __future__ import annotations

import functools
import re
from pathlib import Path

import json

import jsonschema_rs
import xmlschema
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import update

from gateway.persistence.db import transaction
from gateway.persistence.models import Institution
from gateway.persistence.types import utcnow
from signing.jws import verify_jws
from signing.trust import TrustStore, certificate_fingerprint, load_pem_certificates

from tests.conftest import ADMIN_PASSWORD, REVIEWER_PASSWORD
from tests.integration.test_quality_figures import World, figures, world  # noqa: F401 (fixture)
from tests.support import factories
from tests.support.pdf_tools import xml_verifies
from tests.support.jws_requests import parts

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "interface" / "schemas" / "gateway-output-v1.xsd"
JSON_SCHEMA_PATH = SCHEMA_PATH.with_name("gateway-output-v1.schema.json")
NS = {"g": "urn:pingluo-bdc:mortgage-gateway:v1"}
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


@functools.cache
def output_schema() -> xmlschema.XMLSchema10:
    return xmlschema.XMLSchema10(SCHEMA_PATH.read_text(encoding="utf-8"), allow="none", defuse="always")


def statement(world: World, bank) -> bytes:
    response = world.client.get(f"/v1/quality/{world.month}/statement", auth=bank.auth)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    return response.content


def test_the_statement_is_signed_by_the_gateway_and_verifies_with_xmlsec1(world, pki):
    signed = statement(world, world.bank)
    verified, output = xml_verifies(signed, pki.ca_path)
    assert verified, output
    tampered = signed.replace(b"<Received>4</Received>", b"<Received>3</Received>")
    assert tampered != signed
    assert not xml_verifies(tampered, pki.ca_path)[0]


def test_the_statement_validates_against_the_output_schema_and_says_what_the_json_says(world):
    root = etree.fromstring(statement(world, world.bank))
    output_schema().validate(root)
    assert root.tag == "{urn:pingluo-bdc:mortgage-gateway:v1}Statement"
    assert root.findtext("g:InstitutionCode", namespaces=NS) == factories.BANK_CODE
    assert root.findtext("g:Month", namespaces=NS) == world.month
    assert root.findtext("g:Complete", namespaces=NS) == "false"
    mine = figures(world, world.bank)
    applications = root.find("g:Applications", NS)
    assert int(applications.findtext("g:Received", namespaces=NS)) == mine["applications"]["received"] == 4
    assert {(c.get("of"), c.get("key"), int(c.text)) for c in applications.iterfind("g:Count", NS)} == {
        ("registration_type", "MORTGAGE_FIRST", 4), ("channel", "bank_xml", 4), ("triage", "SIMPLE", 4)}
    refusals = root.find("g:IntakeRefusals", NS)
    assert refusals.findtext("g:Refused", namespaces=NS) == "2"
    assert {(c.get("of"), c.get("key"), int(c.text)) for c in refusals.iterfind("g:Count", NS)} == {
        ("code", "request.stale", 1), ("code", "prereview.refused", 1), ("finding", "materials.missing", 1)}
    supplements = root.find("g:SupplementRequests", NS)
    assert [supplements.findtext(f"g:{name}", namespaces=NS) for name in
            ("Requested", "Items", "Avoidable", "AvoidableShare")] == ["2", "3", "1", "0.5000"]
    assert [(m.get("code"), m.text, m.get("avoidable")) for m in supplements.iterfind("g:Material", NS)] == [
        ("LOAN_CONTRACT", "2", "2"), ("MARRIAGE_CERTIFICATE", "1", "0")]
    decisions = root.find("g:Decisions", NS)
    assert [decisions.findtext(f"g:{name}", namespaces=NS) for name in ("Decided", "Approved", "Rejected")] == [
        "2", "1", "1"]
    assert float(decisions.findtext("g:MedianHours", namespaces=NS)) == mine["decisions"]["median_hours"]


def test_each_institution_gets_a_statement_of_its_own(world):
    root = etree.fromstring(statement(world, world.other))
    assert root.findtext("g:InstitutionCode", namespaces=NS) == factories.OTHER_BANK_CODE
    assert root.findtext("g:Applications/g:Received", namespaces=NS) == "1"
    assert root.find("g:SupplementRequests/g:AvoidableShare", NS) is None
    assert root.find("g:Decisions/g:MedianHours", NS) is None
    output_schema().validate(root)


def _output_format(world: World, code: str, fmt: str) -> None:
    with transaction(world.runtime.sessions) as session:
        session.execute(update(Institution).where(Institution.code == code).values(output_format=fmt))


def test_an_institution_on_json_output_gets_the_statement_as_a_jws(world, pki):
    _output_format(world, factories.OTHER_BANK_CODE, "json")
    try:
        response = world.client.get(f"/v1/quality/{world.month}/statement", auth=world.other.auth)
    finally:
        _output_format(world, factories.OTHER_BANK_CODE, "xml")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/jose")
    pinned = pki.gateway.certificate
    verified = verify_jws(response.content, at=utcnow(),
                          trust=TrustStore(anchors=tuple(load_pem_certificates(pki.ca_path.read_bytes()))),
                          find_certificate=lambda kid: pinned if kid == certificate_fingerprint(pinned) else None)
    assert parts(response.content)[0]["typ"] == "statement+jws"
    payload = json.loads(verified.payload)
    validator = jsonschema_rs.Draft202012Validator(json.loads(JSON_SCHEMA_PATH.read_text(encoding="utf-8")))
    assert [f"{e.instance_path}: {e.message}" for e in validator.iter_errors(payload)] == []
    assert payload["document"] == "Statement" and payload["institution_code"] == factories.OTHER_BANK_CODE
    assert payload["applications"]["received"] == "1" and payload["month"] == world.month
    assert payload["applications"]["count"][0]["of"] == "registration_type"


def signed_in(world: World, username: str, password: str) -> TestClient:
    browser = TestClient(world.client.app, base_url="http://gateway.test", follow_redirects=False)
    token = CSRF_FIELD.search(browser.get("/login").text).group(1)
    response = browser.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert response.status_code == 303, response.text
    return browser


def test_the_supervisors_page_shows_every_institutions_month(world):
    with signed_in(world, "supervisor", ADMIN_PASSWORD) as browser:
        page = browser.get(f"/supervision/quality?month={world.month}")
        assert page.status_code == 200, page.text
        assert "content-security-policy" in page.headers
        text = page.text
        assert f"各机构申报质量（{world.month}）" in text
        assert "平罗县测试商业银行" in text and "另一家银行" in text
        assert "prereview.refused" in text and "certificate.not_registered" in text
        assert "MARRIAGE_CERTIFICATE" in text and "50%" in text
        assert "<svg" in text and "<script>" not in text  # the chart is drawn on the server; no inline script
        default = browser.get("/supervision/quality")
        assert default.status_code == 200 and f'value="{world.month}"' in default.text


def test_the_page_says_when_the_month_is_not_written_yyyy_mm(world):
    with signed_in(world, "supervisor", ADMIN_PASSWORD) as browser:
        page = browser.get("/supervision/quality?month=2026-13")
        assert page.status_code == 400
        assert "月份应写作 YYYY-MM" in page.text


def test_a_reviewer_may_not_open_the_page(world):
    with signed_in(world, "reviewer", REVIEWER_PASSWORD) as browser:
        page = browser.get(f"/supervision/quality?month={world.month}")
        assert page.status_code == 403
        assert "平罗县测试商业银行" not in page.text
    anonymous = TestClient(world.client.app, base_url="http://gateway.test", follow_redirects=False)
    assert anonymous.get("/supervision/quality").headers["location"].startswith("/login?next=")
