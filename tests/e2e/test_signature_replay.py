"""Two copies of one signed POST racing each other: exactly one is carried out, in both runtime modes.

Against real `gateway serve` processes: on the embedded default one server takes both copies at
once; on PostgreSQL two servers share the database and each takes one copy, so the refusal must
come from the shared store, not from anything one process keeps to itself.
"""
from __future__ import annotations

import json
import threading
import time

import httpx
import pytest
from lxml import etree

from signing.httpsig import sign_headers
from tests.support import factories
from tests.support.onboarding import bank_http, onboard, staff_http
from tests.support.processes import gateway_env, start_server

NS = {"g": "urn:pingluo-bdc:mortgage-gateway:v1"}
PASSWORD = "replay-reviewer-password"
ADDRESS = {"recipient": "平罗县测试商业银行个贷中心", "phone": "0952-6012345",
           "address": "宁夏石嘴山市平罗县城关镇鼓楼南街18号", "postcode": "753400"}


def registered_application(base_url: str, pki) -> str:
    """Submit, approve, and wait for the certificate: a postal request needs one in force."""
    bank = bank_http(base_url, pki)
    for data in factories.MATERIALS.values():
        assert bank.put(f"/v1/materials/{factories.sha256(data)}", content=data,
                        headers={"Content-Type": "application/pdf"}).status_code == 201
    submitted = httpx.post(f"{base_url}/v1/applications", timeout=30, headers={"Content-Type": "application/xml"},
                           content=factories.signed_request(factories.application(), pki.bank))
    assert submitted.status_code == 202, submitted.text
    number = etree.fromstring(submitted.content).findtext("g:ApplicationNo", namespaces=NS)
    staff = staff_http(base_url, "reviewer", PASSWORD)
    assert staff.post(f"/v1/review/applications/{number}/claim").status_code == 200
    assert staff.post(f"/v1/review/applications/{number}/decision", json={"decision": "approve"}).status_code == 200
    deadline = time.monotonic() + 60
    while bank.get(f"/v1/applications/{number}/result").status_code != 200:
        assert time.monotonic() < deadline, "no certificate within 60 s"
        time.sleep(0.2)
    return number


def send_at_once(base_urls: list[str], path: str, body: bytes, headers: dict[str, str]) -> list[httpx.Response]:
    """The same bytes and headers, one copy per base URL, released together."""
    start = threading.Barrier(len(base_urls))
    answers: list[httpx.Response] = []

    def send(base_url: str) -> None:
        start.wait()
        answers.append(httpx.post(base_url + path, content=body, headers=headers, timeout=30))

    threads = [threading.Thread(target=send, args=(url,)) for url in base_urls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def race_two_copies(base_urls: list[str], pki) -> None:
    number = registered_application(base_urls[0], pki)
    path = f"/v1/applications/{number}/postal-requests"
    body = json.dumps(ADDRESS, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json"}
    headers.update(sign_headers(method="POST", url=base_urls[0] + path, headers=headers, body=body,
                                key_id=pki.bank.fingerprint, private_key=pki.bank.key))

    answers = send_at_once(base_urls, path, body, headers)

    assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
    [refused] = [a for a in answers if a.status_code == 409]
    assert refused.json()["code"] == "signature.replayed"
    bank = bank_http(base_urls[0], pki)
    assert len(bank.get(path).json()) == 1


def test_of_two_copies_sent_at_once_one_is_carried_out_on_the_embedded_default(tmp_path, pki):
    env = gateway_env(tmp_path / "var", pki)
    onboard(env, pki, tmp_path, password=PASSWORD)
    server, base_url = start_server(env, tmp_path)
    try:
        race_two_copies([base_url, base_url], pki)
    finally:
        server.stop()


@pytest.mark.services
def test_of_two_copies_sent_to_two_servers_one_is_carried_out_on_postgresql(tmp_path, pki, postgres_url):
    env = gateway_env(tmp_path / "var", pki, GATEWAY_DATABASE_URL=postgres_url)
    onboard(env, pki, tmp_path, password=PASSWORD)
    (tmp_path / "second").mkdir()
    first, first_url = start_server(env, tmp_path)
    second, second_url = start_server(env, tmp_path / "second")
    try:
        race_two_copies([first_url, second_url], pki)
    finally:
        first.stop()
        second.stop()
