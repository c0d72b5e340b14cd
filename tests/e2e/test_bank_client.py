"""The reference bank client (`gateway-client`, bank_client/) against a real `gateway serve`.

Every bank step runs the `gateway-client` command as a subprocess, configured like a bank would
configure it: its key and certificate, the pinned gateway certificate, a store directory. The
centre's side (onboarding, the reviewer's decision) is done with the gateway's CLI and review API.
"""
from __future__ import annotations

import json
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from signing.httpsig import sign_headers
from signing.xmldsig import sign_enveloped
from tests.support import factories
from tests.support.onboarding import onboard, staff_http
from tests.support.processes import BIN, Process, free_port, gateway_env, start_server

PASSWORD = "client-e2e-reviewer-password"


def client(config: Path, *args: str, expect: int = 0) -> dict:
    """Run `gateway-client`; check its exit status; return its JSON output (or stderr on failure)."""
    done = subprocess.run([str(BIN / "gateway-client"), "--config", str(config), *args], capture_output=True,
                          text=True, timeout=180)
    assert done.returncode == expect, f"exit {done.returncode}: {done.stderr}{done.stdout}"
    if expect == 0:
        return json.loads(done.stdout)
    return {"stderr": done.stderr, **(json.loads(done.stdout) if done.stdout.strip() else {})}


@pytest.fixture
def gateway(request, tmp_path, pki):
    """A served gateway with the test bank onboarded: its callback at a port the client will listen on,
    or none (pull-only) when the test is parametrized with ``{"callback": False}``; on PostgreSQL with
    ``{"postgresql": True}`` (else the embedded SQLite default)."""
    options = getattr(request, "param", {})
    with_callback = options.get("callback", True)
    seal_key, seal_cert = make_seal(tmp_path, pki)
    database = {"GATEWAY_DATABASE_URL": request.getfixturevalue("postgres_url")} if options.get("postgresql") else {}
    env = gateway_env(tmp_path / "var", pki, GATEWAY_SEAL_KEY_PATH=str(seal_key), GATEWAY_SEAL_CERT_PATH=str(seal_cert),
                      **database)
    listen_port = free_port()
    onboard(env, pki, tmp_path, password=PASSWORD,
            callback_url=f"http://127.0.0.1:{listen_port}/callbacks/gateway" if with_callback else None)
    server, base_url = start_server(env, tmp_path)
    yield {"url": base_url, "env": env, "listen_port": listen_port}
    server.stop()


def make_seal(tmp_path: Path, pki) -> tuple[Path, Path]:
    """The registration authority's seal: its own key, issued by the centre's CA (not the gateway's key)."""
    from datetime import datetime, timedelta, timezone

    from signing.pki import certificate_to_pem, generate_private_key, issue_certificate, private_key_to_pem

    key = generate_private_key("rsa")
    now = datetime.now(timezone.utc)
    certificate = issue_certificate(ca_key=pki.ca_key, ca_cert=pki.ca_certificate, common_name="Test Seal",
                                    organization="平罗县不动产登记中心", public_key=key.public_key(),
                                    not_before=now - timedelta(days=1), not_after=now + timedelta(days=365))
    (tmp_path / "seal-key.pem").write_bytes(private_key_to_pem(key))
    (tmp_path / "seal-cert.pem").write_bytes(certificate_to_pem(certificate))
    return tmp_path / "seal-key.pem", tmp_path / "seal-cert.pem"


def write_config(tmp_path: Path, pki, gateway_url: str, listen_port: int, name: str = "gateway-client.toml",
                 seal: Path | None = None) -> Path:
    config = tmp_path / name
    config.write_text((f'seal_certificate = "{seal}"\n' if seal else "") + f"""
gateway_url = "{gateway_url}"
institution = "{factories.BANK_CODE}"
key = "{pki.bank.key_path}"
certificate = "{pki.bank.cert_path}"
gateway_certificate = "pinned/gateway-cert.pem"
store = "store"

[listen]
port = {listen_port}
""", encoding="utf-8")
    return config


def write_application(directory: Path, **overrides) -> Path:
    """An unsigned application as a bank's core system writes it, with its material files beside it."""
    (directory / "materials").mkdir(parents=True, exist_ok=True)
    application = factories.application(**overrides)
    for ref, data in zip(application.materials, factories.MATERIALS.values(), strict=True):
        (directory / "materials" / ref.file_name).write_bytes(data)
    path = directory / f"{application.request_id}.xml"
    from lxml import etree

    path.write_bytes(etree.tostring(factories.unsigned_xml(application), xml_declaration=True, encoding="UTF-8"))
    return path


def approve(base_url: str, number: str) -> None:
    staff = staff_http(base_url, "reviewer", PASSWORD)
    assert staff.post(f"/v1/review/applications/{number}/claim").status_code == 200
    decided = staff.post(f"/v1/review/applications/{number}/decision", json={"decision": "approve"})
    assert decided.status_code == 200, decided.text


def start_listener(config: Path, tmp_path: Path) -> Process:
    listener = Process([str(BIN / "gateway-client"), "--config", str(config), "listen"], {**__import__("os").environ},
                       tmp_path / "listen.log")
    deadline = time.monotonic() + 30
    while '"listening"' not in listener.log():
        assert listener.process.poll() is None, listener.log()
        assert time.monotonic() < deadline, "gateway-client listen did not start"
        time.sleep(0.1)
    return listener


def listen_events(listener: Process) -> list[dict]:
    return [json.loads(line) for line in listener.log().splitlines() if line.startswith("{")]


def wait_for_event(listener: Process, predicate, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for event in listen_events(listener):
            if predicate(event):
                return event
        time.sleep(0.2)
    raise AssertionError(f"no such event from listen: {listener.log()}")


def test_a_bank_submits_xml_gets_the_verified_result_and_its_callback_once(tmp_path, pki, gateway):
    config = write_config(tmp_path, pki, gateway["url"], gateway["listen_port"])
    pinned = client(config, "gateway-certificate", "--save")
    assert pinned["certificates"][0]["sha256"] == pki.gateway.fingerprint
    listener = start_listener(config, tmp_path)
    try:
        application = write_application(tmp_path / "outbox")
        submitted = client(config, "submit", str(application), "--save-request", str(tmp_path / "signed.xml"))
        assert submitted["http_status"] == 202 and submitted["document"] == "Receipt"
        assert submitted["signed_by"] == pki.gateway.fingerprint
        assert sorted(m["uploaded"] for m in submitted["materials"]) == [True, True, True]
        number = submitted["application_no"]
        assert Path(submitted["receipt"]).read_bytes()  # kept byte for byte in the store

        approve(gateway["url"], number)
        result = client(config, "result", number, "--wait", "90")
        assert result["fields"]["decision"] == "APPROVED"
        assert result["fields"]["registration"]["certificate_no"].endswith("号")
        assert client(config, "status", number)["status"] == "REGISTERED"

        event = wait_for_event(listener, lambda e: e.get("event") == "received" and e.get("kind") == "result")
        assert event["application_no"] == number
        assert Path(event["path"]).read_bytes() == Path(result["path"]).read_bytes()

        # The gateway delivers at least once: the same delivery again (signed afresh, as every attempt is).
        body = Path(event["path"]).read_bytes()
        url = f"http://127.0.0.1:{gateway['listen_port']}/callbacks/gateway"
        headers = {"Content-Type": "application/xml", "X-Gateway-Delivery-Id": event["delivery_id"],
                   "X-Gateway-Document-Kind": "result", "X-Gateway-Application-No": number}
        headers.update(sign_headers(method="POST", url=url, headers=headers, body=body,
                                    key_id=pki.gateway.fingerprint, private_key=pki.gateway.key))
        assert httpx.post(url, content=body, headers=headers).status_code == 204
        duplicate = wait_for_event(listener, lambda e: e.get("event") == "duplicate")
        assert duplicate["delivery_id"] == event["delivery_id"]
        assert [e["delivery_id"] for e in listen_events(listener) if e.get("event") == "received"
                and e.get("kind") == "result"] == [event["delivery_id"]]

        # An exact resend of the signed bytes (kept in the store, and by --save-request) gets the same
        # receipt, and creates nothing.
        assert Path(submitted["request"]).read_bytes() == (tmp_path / "signed.xml").read_bytes()
        resent = client(config, "submit", submitted["request"])
        assert resent["http_status"] == 200 and resent["application_no"] == number
        assert resent["sha256"] == submitted["sha256"]
    finally:
        listener.stop()


def test_listen_refuses_a_callback_not_signed_by_the_pinned_gateway_key(tmp_path, pki, gateway):
    config = write_config(tmp_path, pki, gateway["url"], gateway["listen_port"])
    client(config, "gateway-certificate", "--save")
    listener = start_listener(config, tmp_path)
    try:
        url = f"http://127.0.0.1:{gateway['listen_port']}/callbacks/gateway"
        forged = sign_enveloped(b"<Result xmlns='urn:pingluo-bdc:mortgage-gateway:v1'><ApplicationNo>1</ApplicationNo>"
                                b"</Result>", key=pki.other_bank.key, certificate=pki.other_bank.certificate)
        headers = {"Content-Type": "application/xml", "X-Gateway-Delivery-Id": "999"}
        by_other = {**headers, **sign_headers(method="POST", url=url, headers=headers, body=forged,
                                              key_id=pki.other_bank.fingerprint, private_key=pki.other_bank.key)}
        assert httpx.post(url, content=forged, headers=by_other).status_code == 401
        # HTTP-signed by the gateway's key, but the document inside is not the gateway's.
        by_gateway = {**headers, **sign_headers(method="POST", url=url, headers=headers, body=forged,
                                                key_id=pki.gateway.fingerprint, private_key=pki.gateway.key)}
        assert httpx.post(url, content=forged, headers=by_gateway).status_code == 422
        assert httpx.post(url, content=forged, headers=headers).status_code == 401
        assert not list((tmp_path / "store" / "documents").rglob("*.xml"))
    finally:
        listener.stop()


class FakeGateway:
    """Serves one fixed answer for every GET, as a compromised or spoofed gateway would."""

    def __init__(self, body: bytes, content_type: str = "application/xml"):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        fake.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_result_refuses_a_tampered_or_foreign_signed_result(tmp_path, pki, gateway):
    config = write_config(tmp_path, pki, gateway["url"], gateway["listen_port"])
    client(config, "gateway-certificate", "--save")
    submitted = client(config, "submit", str(write_application(tmp_path / "outbox")))
    number = submitted["application_no"]
    approve(gateway["url"], number)
    genuine = Path(client(config, "result", number, "--wait", "90")["path"]).read_bytes()
    assert b"<Decision>APPROVED</Decision>" in genuine

    tampered = genuine.replace(b"<Decision>APPROVED</Decision>", b"<Decision>REJECTED</Decision>")
    from lxml import etree

    unsigned = etree.fromstring(genuine)
    unsigned.remove(unsigned[-1])
    resigned = sign_enveloped(etree.tostring(unsigned), key=pki.other_bank.key, certificate=pki.other_bank.certificate)
    for name, body in (("tampered", tampered), ("foreign", resigned)):
        fake = FakeGateway(body)
        try:
            refused = client(config, "--url", fake.url, "--store", str(tmp_path / f"store-{name}"), "result", number,
                             expect=3)
        finally:
            fake.stop()
        assert "does not verify" in refused["stderr"] or "pinned" in refused["stderr"], refused
        assert not list((tmp_path / f"store-{name}" / "documents").rglob("*.xml"))
        (tmp_path / f"{name}.xml").write_bytes(body)
        client(config, "verify", str(tmp_path / f"{name}.xml"), expect=3)
    assert client(config, "verify", str(Path(client(config, "result", number)["path"])))["fields"]["decision"] \
        == "APPROVED"


def test_a_submission_whose_answer_is_lost_can_be_resent_from_the_store(tmp_path, pki, gateway):
    config = write_config(tmp_path, pki, "http://127.0.0.1:9", gateway["listen_port"])  # nothing listens there
    client(config, "--url", gateway["url"], "gateway-certificate", "--save")
    application = write_application(tmp_path / "outbox")
    lost = client(config, "--url", gateway["url"], "submit", str(application), "--dry-run")  # materials uploaded
    assert lost["dry_run"]["outcome"] in ("SIMPLE", "COMPLEX")
    failed = client(config, "submit", str(application), expect=1)["stderr"]
    kept = failed.split("gateway-client submit ")[1].split("`")[0]
    answered = client(config, "--url", gateway["url"], "submit", kept)
    assert answered["http_status"] == 202 and Path(answered["request"]).read_bytes() == Path(kept).read_bytes()


def test_submit_reports_the_gateways_refusal_with_its_code(tmp_path, pki, gateway):
    config = write_config(tmp_path, pki, gateway["url"], gateway["listen_port"])
    client(config, "gateway-certificate", "--save")
    application = write_application(tmp_path / "outbox")
    for material in (tmp_path / "outbox" / "materials").iterdir():
        material.unlink()
    refused = client(config, "submit", str(application), expect=1)
    assert "material.missing" in refused["stderr"]
    assert refused["refused"]["code"] == "material.missing" and refused["refused"]["sha256"]
