"""The whole flow as a bank drives it, against real `gateway` processes, in both runtime modes.

A bank signs with Debian's xmlsec1, uploads its materials and submits over HTTP; a reviewer
approves; the bank fetches the signed result, and the result reaches its callback receiver.
Receipts and results are verified with `xmlsec1 --verify` against the trust anchor.
"""
from __future__ import annotations

import io
import time
import zipfile

import httpx
import pytest
from lxml import etree

from signing.httpsig import verify_request
from signing.xmlsec1 import xmlsec1_verify
from tests.support import factories, onboarding
from tests.support.onboarding import (  # noqa: F401 - receiver is the fixture
    PASSWORD, bank_http, celery_env, drop_queue, receiver, staff_http)
from tests.support.processes import gateway_env, start_server, start_worker

NS = {"g": "urn:pingluo-bdc:mortgage-gateway:v1"}


def onboard(env, pki, receiver, tmp_path) -> None:
    """What an operator does: load the register, register the bank with its certificate and
    callback, add a reviewer and an admin."""
    imported = onboarding.onboard(env, pki, tmp_path, callback_url=receiver.url, staff=("reviewer", "admin"))
    assert "imported 2 owner, 1 unit" in imported


def wait_for_result(bank: httpx.Client, number: str, timeout: float = 60.0) -> httpx.Response:
    """The result is signed once the certificate has been generated in the background."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = bank.get(f"/v1/applications/{number}/result")
        if result.status_code == 200:
            return result
        assert result.status_code == 409, result.text
        time.sleep(0.2)
    raise AssertionError("no result within the timeout")


def drive_the_whole_flow(base_url: str, pki, receiver, tmp_path) -> None:
    bank = bank_http(base_url, pki)
    for data in factories.MATERIALS.values():
        uploaded = bank.put(f"/v1/materials/{factories.sha256(data)}", content=data,
                            headers={"Content-Type": "application/pdf"})
        assert uploaded.status_code == 201, uploaded.text

    request = factories.signed_request_with_xmlsec1(factories.application(), pki.bank)
    submitted = httpx.post(f"{base_url}/v1/applications", content=request,
                           headers={"Content-Type": "application/xml"}, timeout=30)
    assert submitted.status_code == 202, submitted.text
    ok, output = xmlsec1_verify(submitted.content, pki.ca_path)
    assert ok, output
    number = etree.fromstring(submitted.content).findtext("g:ApplicationNo", namespaces=NS)

    staff = staff_http(base_url, "reviewer", PASSWORD)
    queue = staff.get("/v1/review/queue").json()
    assert [item["application_no"] for item in queue["items"]] == [number]
    assert staff.post(f"/v1/review/applications/{number}/claim").status_code == 200
    view = staff.get(f"/v1/review/applications/{number}").json()
    assert view["signature"]["fingerprint_sha256"] == pki.bank.fingerprint
    assert len(view["materials"]) == 3
    decided = staff.post(f"/v1/review/applications/{number}/decision", json={"decision": "approve"})
    assert decided.status_code == 200, decided.text

    result = wait_for_result(bank, number)
    ok, output = xmlsec1_verify(result.content, pki.ca_path)
    assert ok, output
    certificate_no = etree.fromstring(result.content).findtext("g:Registration/g:CertificateNo", namespaces=NS)
    assert certificate_no.startswith("宁(") and certificate_no.endswith("号")

    # the result, and the certificate's sealed XML twin after it (inbox.md, callbacks.md)
    delivered = next(c for c in receiver.wait_for(2, timeout=60) if c.headers["X-Gateway-Document-Kind"] == "result")
    assert receiver.attempts >= 2  # the first try was answered 500 and retried
    assert delivered.body == result.content
    verified = verify_request(
        method="POST", url=receiver.url, headers=delivered.headers, body=delivered.body,
        resolve_key=lambda key_id: pki.gateway.certificate.public_key(),
    )
    assert verified.key_id == pki.gateway.fingerprint

    status = bank.get(f"/v1/applications/{number}").json()
    assert status["status"] == "REGISTERED"
    assert [h["action"] for h in status["history"]] == ["submit", "claim", "approve", "register"]

    evidence = staff_http(base_url, "admin", PASSWORD).get(f"/v1/admin/applications/{number}/evidence")
    archive = zipfile.ZipFile(io.BytesIO(evidence.content))
    assert archive.read("01-request.xml") == request


def test_the_whole_flow_on_the_embedded_default(tmp_path, pki, receiver):
    env = gateway_env(tmp_path / "var", pki)
    onboard(env, pki, receiver, tmp_path)
    server, base_url = start_server(env, tmp_path)
    try:
        drive_the_whole_flow(base_url, pki, receiver, tmp_path)
    finally:
        server.stop()


@pytest.mark.services
def test_the_whole_flow_on_postgresql_redis_and_a_celery_worker(tmp_path, pki, receiver, postgres_url, redis_server):
    env, queue = celery_env(tmp_path, pki, postgres_url, redis_server)
    onboard(env, pki, receiver, tmp_path)
    worker = start_worker(env, tmp_path)
    server, base_url = start_server(env, tmp_path)
    try:
        drive_the_whole_flow(base_url, pki, receiver, tmp_path)
        assert "delivery.attempt" in worker.log()  # the Celery worker, not the API, delivered it
    finally:
        server.stop()
        worker.stop()
        drop_queue(redis_server, queue)
