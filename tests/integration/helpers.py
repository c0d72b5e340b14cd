"""Small helpers for integration tests driving the API."""
from __future__ import annotations

from lxml import etree

from tests.conftest import upload_materials
from tests.support import factories

NS = {"g": "urn:pingluo-bdc:mortgage-gateway:v1"}


def submit_new(client, pki, bank_auth, **overrides) -> str:
    """Upload materials, submit a valid signed application, return its application number."""
    upload_materials(client, bank_auth)
    body = factories.signed_request(factories.application(**overrides), pki.bank)
    response = client.post("/v1/applications", content=body, headers={"Content-Type": "application/xml"})
    assert response.status_code == 202, response.text
    return etree.fromstring(response.content).findtext("g:ApplicationNo", namespaces=NS)


def claim(client, number: str, headers) -> None:
    response = client.post(f"/v1/review/applications/{number}/claim", headers=headers)
    assert response.status_code == 200, response.text


def approve(client, number: str, headers):
    claim(client, number, headers)
    response = client.post(f"/v1/review/applications/{number}/decision", json={"decision": "approve"}, headers=headers)
    assert response.status_code == 200, response.text
    # The certificate, then the signed result, are made by a background task.
    assert client.app.state.runtime.wait_idle(60)
    return response
