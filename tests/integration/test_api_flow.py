"""The spine through the HTTP API on the embedded default: submit, review, result."""
from __future__ import annotations

from lxml import etree

from tests.conftest import upload_materials
from tests.support import factories

NS = {"g": "urn:pingluo-bdc:mortgage-gateway:v1"}


def submit(client, body: bytes):
    return client.post("/v1/applications", content=body, headers={"Content-Type": "application/xml"})


def test_a_signed_request_is_accepted_with_a_signed_receipt(client, pki, bank_auth):
    upload_materials(client, bank_auth)
    response = submit(client, factories.signed_request(factories.application(), pki.bank))
    assert response.status_code == 202, response.text
    receipt = etree.fromstring(response.content)
    assert receipt.tag == "{urn:pingluo-bdc:mortgage-gateway:v1}Receipt"
    assert receipt.findtext("g:Status", namespaces=NS) == "QUEUED"
    assert response.headers["location"].endswith(receipt.findtext("g:ApplicationNo", namespaces=NS))


def test_an_approved_application_yields_a_signed_result_with_a_certificate_number(client, pki, bank_auth, reviewer):
    upload_materials(client, bank_auth)
    receipt = etree.fromstring(submit(client, factories.signed_request(factories.application(), pki.bank)).content)
    number = receipt.findtext("g:ApplicationNo", namespaces=NS)
    assert client.post(f"/v1/review/applications/{number}/claim", headers=reviewer).status_code == 200
    decided = client.post(f"/v1/review/applications/{number}/decision", json={"decision": "approve"}, headers=reviewer)
    assert decided.status_code == 200, decided.text
    assert client.app.state.runtime.wait_idle(60)  # the certificate task sends the result
    result = client.get(f"/v1/applications/{number}/result", auth=bank_auth)
    assert result.status_code == 200
    root = etree.fromstring(result.content)
    assert root.findtext("g:Decision", namespaces=NS) == "APPROVED"
    assert root.findtext("g:Registration/g:CertificateNo", namespaces=NS).startswith("宁(")
