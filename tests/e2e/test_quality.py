"""Quality figures against a real `gateway serve`: a bank submits, is refused once at intake and gets a
supplement request, then fetches its month's figures and the signed statement over HTTP signatures and
verifies the statement with xmlsec1; a supervisor reads every institution's figures."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
from lxml import etree

from gateway.timezone import LOCAL_TZ
from signing.xmlsec1 import xmlsec1_verify
from tests.support import factories
from tests.support.onboarding import bank_http, onboard, staff_http
from tests.support.processes import gateway_env, start_server

NS = {"g": "urn:pingluo-bdc:mortgage-gateway:v1"}
PASSWORD = "quality-staff-password"


def post_application(base_url: str, body: bytes) -> httpx.Response:
    return httpx.post(f"{base_url}/v1/applications", content=body, headers={"Content-Type": "application/xml"},
                      timeout=30)


def test_a_bank_reads_its_figures_and_signed_statement_from_a_real_server(tmp_path, pki):
    env = gateway_env(tmp_path / "var", pki)
    onboard(env, pki, tmp_path, staff=("reviewer", "supervisor"), password=PASSWORD)
    server, base_url = start_server(env, tmp_path)
    try:
        bank = bank_http(base_url, pki)
        for data in factories.MATERIALS.values():
            assert bank.put(f"/v1/materials/{factories.sha256(data)}", content=data,
                            headers={"Content-Type": "application/pdf"}).status_code == 201
        submitted = post_application(base_url, factories.signed_request_with_xmlsec1(factories.application(), pki.bank))
        assert submitted.status_code == 202, submitted.text
        number = etree.fromstring(submitted.content).findtext("g:ApplicationNo", namespaces=NS)
        stale = factories.application(created_at=datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=1))
        refused = post_application(base_url, factories.signed_request_with_xmlsec1(stale, pki.bank))
        assert refused.status_code == 422 and refused.json()["code"] == "request.stale"

        reviewer = staff_http(base_url, "reviewer", PASSWORD)
        assert reviewer.post(f"/v1/review/applications/{number}/claim").status_code == 200
        decided = reviewer.post(f"/v1/review/applications/{number}/decision", json={
            "decision": "request_supplement", "missing": [{"type_code": "LOAN_CONTRACT", "reason": "合同缺页"}]})
        assert decided.status_code == 200, decided.text

        month = datetime.now(LOCAL_TZ).strftime("%Y-%m")
        figures = bank.get(f"/v1/quality/{month}")
        assert figures.status_code == 200, figures.text
        mine = figures.json()
        assert mine["applications"]["received"] == 1
        assert mine["intake_refusals"]["by_code"] == {"request.stale": 1}
        assert (mine["supplement_requests"]["requested"], mine["supplement_requests"]["avoidable_share"]) == (1, 1.0)

        statement = bank.get(f"/v1/quality/{month}/statement")
        assert statement.status_code == 200 and statement.headers["content-type"].startswith("application/xml")
        ok, output = xmlsec1_verify(statement.content, pki.ca_path)
        assert ok, output
        root = etree.fromstring(statement.content)
        assert root.findtext("g:SupplementRequests/g:AvoidableShare", namespaces=NS) == "1.0000"
        assert root.findtext("g:IntakeRefusals/g:Refused", namespaces=NS) == "1"

        assert bank.get("/v1/quality/2026-7").json()["code"] == "quality.month_invalid"
        everyone = staff_http(base_url, "supervisor", PASSWORD).get(f"/v1/supervision/quality?month={month}")
        assert everyone.status_code == 200, everyone.text
        assert [row["institution_code"] for row in everyone.json()["institutions"]] == [factories.BANK_CODE]
    finally:
        server.stop()
