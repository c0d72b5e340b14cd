"""`gateway serve` on a port of the operator's choosing, with no GATEWAY_PUBLIC_BASE_URL: the banner and
the public URL follow the port actually served, so certificates carry a VerifyUrl that works.

Acceptance testing started `gateway serve --port 8080` and found the certificates' VerifyUrl (and the
printed URL) still naming port 8000, the default.
"""
from __future__ import annotations

import time
import uuid

import httpx
from lxml import etree

from tests.support import factories
from tests.support.onboarding import bank_http, onboard, staff_http
from tests.support.processes import BIN, Process, cli, free_port, gateway_env, start_worker

NS = {"g": "urn:pingluo-bdc:mortgage-gateway:v1"}


def serve(env, tmp_path, *options: str) -> tuple[Process, str]:
    """`gateway serve <options>`, once it answers on 127.0.0.1 at the port in ``options`` or the env."""
    port = options[options.index("--port") + 1] if "--port" in options else env["GATEWAY_PORT"]
    server = Process([str(BIN / "gateway"), "serve", *options], env, tmp_path / "serve.log")
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"gateway serve exited: {server.log()}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return server, base_url
        except httpx.HTTPError:
            time.sleep(0.2)
    server.stop()
    raise AssertionError(f"gateway serve did not start: {server.log()}")


def registered_verify_url(base_url: str, pki) -> str:
    """Submit, approve, and read the VerifyUrl of the signed result."""
    bank = bank_http(base_url, pki)
    for data in factories.MATERIALS.values():
        assert bank.put(f"/v1/materials/{factories.sha256(data)}", content=data,
                        headers={"Content-Type": "application/pdf"}).status_code == 201
    submitted = httpx.post(f"{base_url}/v1/applications", content=factories.signed_request(factories.application(), pki.bank),
                           headers={"Content-Type": "application/xml"}, timeout=30)
    assert submitted.status_code == 202, submitted.text
    number = etree.fromstring(submitted.content).findtext("g:ApplicationNo", namespaces=NS)
    staff = staff_http(base_url)
    assert staff.post(f"/v1/review/applications/{number}/claim").status_code == 200
    assert staff.post(f"/v1/review/applications/{number}/decision", json={"decision": "approve"}).status_code == 200
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        result = bank.get(f"/v1/applications/{number}/result")
        if result.status_code == 200:
            return etree.fromstring(result.content).findtext("g:Certificate/g:VerifyUrl", namespaces=NS)
        time.sleep(0.2)
    raise AssertionError("no result within the timeout")


def test_a_certificate_issued_by_gateway_serve_on_another_port_links_to_that_port(tmp_path, pki):
    env = gateway_env(tmp_path / "var", pki)
    onboard(env, pki, tmp_path)
    port = free_port()
    server, base_url = serve(env, tmp_path, "--port", str(port))
    try:
        verify_url = registered_verify_url(base_url, pki)
        assert verify_url.startswith(f"http://127.0.0.1:{port}/verify/"), verify_url
        assert httpx.get(verify_url).status_code == 200
        assert f"at http://127.0.0.1:{port}" in server.log()
    finally:
        server.stop()


def test_the_banner_of_gateway_serve_follows_gateway_port(tmp_path, pki):
    port = free_port()
    env = gateway_env(tmp_path / "var", pki, GATEWAY_PORT=str(port))
    server, _ = serve(env, tmp_path)
    try:
        assert f"at http://127.0.0.1:{port}" in server.log()
        assert ":8000" not in server.log()
    finally:
        server.stop()


def test_gateway_serve_on_every_interface_names_the_loopback_address(tmp_path, pki):
    port = free_port()
    server, _ = serve(gateway_env(tmp_path / "var", pki), tmp_path, "--host", "0.0.0.0", "--port", str(port))
    try:
        assert f"at http://127.0.0.1:{port}" in server.log()
        assert "GATEWAY_PUBLIC_BASE_URL" in server.log()  # the operator is told to set the real one
    finally:
        server.stop()


def test_an_explicit_public_base_url_is_kept_whatever_the_port(tmp_path, pki):
    port = free_port()
    env = gateway_env(tmp_path / "var", pki, GATEWAY_PUBLIC_BASE_URL="https://gateway.example")
    server, _ = serve(env, tmp_path, "--port", str(port))
    try:
        assert "at https://gateway.example" in server.log()
    finally:
        server.stop()


def test_the_demo_banner_follows_gateway_port(tmp_path, pki):
    port = free_port()
    env = gateway_env(tmp_path / "var", pki, GATEWAY_PORT=str(port))

    printed = cli(env, "demo", "init")

    assert f"http://127.0.0.1:{port}/login" in printed and ":8000" not in printed


def test_a_worker_without_a_public_base_url_warns_that_its_certificates_link_to_the_default_port(
        tmp_path, pki, redis_server):
    env = gateway_env(tmp_path / "var", pki, GATEWAY_TASK_MODE="celery", GATEWAY_BROKER_URL=redis_server,
                      GATEWAY_TASK_QUEUE=f"gateway-test-{uuid.uuid4().hex[:12]}")
    cli(env, "db", "upgrade")
    worker = start_worker(env, tmp_path, "--concurrency", "1", "--no-beat")
    try:
        assert "GATEWAY_PUBLIC_BASE_URL is not set: certificates made here link to http://127.0.0.1:8000" in worker.log()
    finally:
        worker.stop()
