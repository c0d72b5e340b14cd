"""The pull inbox against real `gateway serve` processes: a bank with no callback URL submits signed
XML, a reviewer approves over the review API, and the bank pulls every signed document from its
inbox (HTTP Message Signatures), verifies each with xmlsec1, and acknowledges. With two API
processes on one database, a cursor one process gave is good at the other."""
from __future__ import annotations

import base64
import hashlib
import time

import httpx
import pytest
from lxml import etree

from signing.xmlsec1 import xmlsec1_verify
from tests.support import factories
from tests.support.onboarding import bank_http, onboard, staff_http
from tests.support.processes import gateway_env, start_server

NS = {"g": "urn:pingluo-bdc:mortgage-gateway:v1"}


def submit_and_approve(base_url: str, bank: httpx.Client, pki) -> str:
    for data in factories.MATERIALS.values():
        uploaded = bank.put(f"/v1/materials/{factories.sha256(data)}", content=data,
                            headers={"Content-Type": "application/pdf"})
        assert uploaded.status_code in (200, 201), uploaded.text
    request = factories.signed_request_with_xmlsec1(factories.application(), pki.bank)
    submitted = httpx.post(f"{base_url}/v1/applications", content=request,
                           headers={"Content-Type": "application/xml"}, timeout=30)
    assert submitted.status_code == 202, submitted.text
    number = etree.fromstring(submitted.content).findtext("g:ApplicationNo", namespaces=NS)
    staff = staff_http(base_url)
    assert staff.post(f"/v1/review/applications/{number}/claim").status_code == 200
    decided = staff.post(f"/v1/review/applications/{number}/decision", json={"decision": "approve"})
    assert decided.status_code == 200, decided.text
    return number


def pull_until(bank: httpx.Client, count: int, timeout: float = 60.0, **params) -> dict:
    """The inbox page once it holds ``count`` entries (the certificate is made in the background)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = bank.get("/v1/inbox", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        if len(page["entries"]) >= count:
            return page
        time.sleep(0.3)
    raise AssertionError(f"fewer than {count} inbox entries within {timeout} s")


def test_a_pull_only_bank_pulls_verifies_and_acknowledges_everything(tmp_path, pki):
    env = gateway_env(tmp_path / "var", pki)
    onboard(env, pki, tmp_path)  # the bank with no callback URL: pull only
    server, base_url = start_server(env, tmp_path)
    try:
        bank = bank_http(base_url, pki)
        number = submit_and_approve(base_url, bank, pki)
        page = pull_until(bank, 3, limit=500)
        entries = page["entries"]
        assert [(e["sequence"], e["kind"], e["application_no"]) for e in entries] == [
            (1, "receipt", number), (2, "result", number), (3, "certificate", number)]
        for entry in entries:
            document = base64.b64decode(entry["document"])
            assert hashlib.sha256(document).hexdigest() == entry["sha256"]
            assert entry["media_type"] == "application/xml"
            ok, output = xmlsec1_verify(document, pki.ca_path)
            assert ok, (entry["kind"], output)
        result = etree.fromstring(base64.b64decode(entries[1]["document"]))
        assert result.findtext("g:Decision", namespaces=NS) == "APPROVED"

        acknowledged = bank.post("/v1/inbox/ack", json={"cursor": entries[-1]["cursor"]})
        assert acknowledged.status_code == 200, acknowledged.text
        assert acknowledged.json()["acknowledged_sequence"] == 3
        after_ack = bank.get("/v1/inbox").json()
        assert after_ack["entries"] == [] and after_ack["acknowledged"] == entries[-1]["cursor"]
        forged = bank.get("/v1/inbox", params={"after": entries[-1]["cursor"][:-1] + "A"})
        assert forged.status_code == 400 and forged.json()["code"] == "inbox.cursor_invalid"
    finally:
        server.stop()
    assert (tmp_path / "var" / "keys" / "inbox-cursor-secret").exists()


@pytest.mark.services
def test_two_api_processes_share_the_cursor_secret(tmp_path, pki, postgres_url):
    env = gateway_env(tmp_path / "var", pki, GATEWAY_DATABASE_URL=postgres_url)
    onboard(env, pki, tmp_path)  # the bank with no callback URL: pull only
    first, first_url = start_server(env, tmp_path, log_name="serve-1.log")
    second = None
    try:
        second, second_url = start_server(env, tmp_path, log_name="serve-2.log")
        bank_at_first, bank_at_second = bank_http(first_url, pki), bank_http(second_url, pki)
        number = submit_and_approve(first_url, bank_at_first, pki)
        first_page = pull_until(bank_at_second, 1, limit=1)  # the second process makes the first cursor
        rest = pull_until(bank_at_first, 2, after=first_page["next_cursor"])  # the first reads it
        sequences = [e["sequence"] for e in first_page["entries"] + rest["entries"]]
        assert sequences == list(range(1, len(sequences) + 1)) and len(sequences) >= 3
        assert all(e["application_no"] == number for e in rest["entries"])
        acknowledged = bank_at_second.post("/v1/inbox/ack", json={"cursor": rest["entries"][-1]["cursor"]})
        assert acknowledged.status_code == 200, acknowledged.text
    finally:
        if second:
            second.stop()
        first.stop()
