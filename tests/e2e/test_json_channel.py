"""The JSON + JWS channel against a real `gateway serve`: a bank submits a JWS-signed JSON
application, gets a JWS receipt, a reviewer approves it through the review API, and the bank
fetches the JWS result — every gateway JWS verified against the pinned gateway certificate, with
joserfc (signing.jws), with `cryptography` alone, and the result also with the `openssl` command."""
from __future__ import annotations

import json
import time

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from signing.jws import verify_jws
from signing.trust import TrustStore, certificate_fingerprint
from tests.support import factories
from tests.support.jws_requests import JOSE, JSON, b64url_decode, compact_request, detached_request
from tests.support.onboarding import bank_http, onboard, staff_http
from tests.support.processes import cli, gateway_env, start_server


def verified_by_the_gateway(document: bytes, pinned: x509.Certificate) -> dict:
    """What a bank does before trusting a gateway JWS: kid is the pinned certificate, the signature
    verifies with its key — checked by joserfc and by hand — then the payload is read."""
    header_b64, payload_b64, signature_b64 = document.split(b".")
    header = json.loads(b64url_decode(header_b64))
    assert header["alg"] == "PS256" and header["kid"] == certificate_fingerprint(pinned)
    pinned.public_key().verify(b64url_decode(signature_b64), header_b64 + b"." + payload_b64,
                               padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256())
    from datetime import datetime, timezone

    verified = verify_jws(document, trust=_TRUST[0], at=datetime.now(timezone.utc),
                          find_certificate={header["kid"]: pinned}.get)
    payload = json.loads(verified.payload)
    assert payload == json.loads(b64url_decode(payload_b64))
    return payload


def openssl_verifies(document: bytes, cert_path, tmp_path) -> bool:
    """A third, independent check: OpenSSL's command line, RSASSA-PSS SHA-256 with a 32-byte salt."""
    import subprocess

    header_b64, payload_b64, signature_b64 = document.split(b".")
    (tmp_path / "input").write_bytes(header_b64 + b"." + payload_b64)
    (tmp_path / "signature").write_bytes(b64url_decode(signature_b64))
    public_key = subprocess.run(["openssl", "x509", "-in", str(cert_path), "-pubkey", "-noout"],
                                capture_output=True, check=True).stdout
    (tmp_path / "gateway-public.pem").write_bytes(public_key)
    checked = subprocess.run(["openssl", "dgst", "-sha256", "-sigopt", "rsa_padding_mode:pss",
                              "-sigopt", "rsa_pss_saltlen:32", "-verify", str(tmp_path / "gateway-public.pem"),
                              "-signature", str(tmp_path / "signature"), str(tmp_path / "input")],
                             capture_output=True, text=True)
    return checked.returncode == 0 and "Verified OK" in checked.stdout


_TRUST: list = []  # the test CA (the gateway certificate chains to it), set by the test


def test_a_jws_application_through_a_real_gateway(tmp_path, pki):
    _TRUST[:] = [TrustStore.from_pem(anchors=pki.ca_path.read_bytes())]
    env = gateway_env(tmp_path / "var", pki)
    onboard(env, pki, tmp_path)  # pull only: no callback URL
    cli(env, "institution", "update", "--code", factories.BANK_CODE, "--output-format", "json")
    assert "output format: json" in cli(env, "institution", "show", "--code", factories.BANK_CODE)
    server, base_url = start_server(env, tmp_path)
    try:
        bank = bank_http(base_url, pki)
        served = x509.load_pem_x509_certificates(httpx.get(f"{base_url}/v1/gateway/certificate").content)[0]
        pinned = pki.gateway.certificate
        assert served == pinned
        for data in factories.MATERIALS.values():
            assert bank.put(f"/v1/materials/{factories.sha256(data)}", content=data,
                            headers={"Content-Type": "application/pdf"}).status_code == 201

        app = factories.application()
        body = compact_request(app, pki.bank)
        submitted = httpx.post(f"{base_url}/v1/applications", content=body, headers={"Content-Type": JOSE},
                               timeout=30)
        assert submitted.status_code == 202, submitted.text
        assert submitted.headers["content-type"] == JOSE
        receipt = verified_by_the_gateway(submitted.content, pinned)
        assert receipt["document"] == "Receipt" and receipt["request_id"] == app.request_id
        number = receipt["application_no"]
        retried = httpx.post(f"{base_url}/v1/applications", content=body, headers={"Content-Type": JOSE}, timeout=30)
        assert retried.status_code == 200 and retried.content == submitted.content

        # a second application, detached: refused when the body is not what was signed, then accepted
        other = factories.application(request_id=f"{app.request_id}-2")
        other_body, signature = detached_request(other, pki.bank)
        mismatch = httpx.post(f"{base_url}/v1/applications", content=other_body + b" ",
                              headers={"Content-Type": JSON, "JWS-Signature": signature}, timeout=30)
        assert mismatch.status_code == 422 and mismatch.json()["code"] == "jws.detached_mismatch"

        staff = staff_http(base_url)
        assert staff.post(f"/v1/review/applications/{number}/claim").status_code == 200
        view = staff.get(f"/v1/review/applications/{number}").json()
        assert view["signature"]["fingerprint_sha256"] == pki.bank.fingerprint
        decided = staff.post(f"/v1/review/applications/{number}/decision", json={"decision": "approve"})
        assert decided.status_code == 200, decided.text

        deadline = time.monotonic() + 60
        while (result := bank.get(f"/v1/applications/{number}/result")).status_code == 409:
            assert time.monotonic() < deadline, "no result within the timeout"
            time.sleep(0.2)
        assert result.status_code == 200 and result.headers["content-type"] == JOSE
        payload = verified_by_the_gateway(result.content, pinned)
        assert openssl_verifies(result.content, pki.gateway.cert_path, tmp_path)
        header_b64, payload_b64, signature_b64 = result.content.split(b".")
        tampered = header_b64 + b"." + payload_b64[:-2] + (b"AA" if payload_b64[-2:] != b"AA" else b"BB") + b"." + signature_b64
        assert not openssl_verifies(tampered, pki.gateway.cert_path, tmp_path)
        assert payload["document"] == "Result" and payload["decision"] == "APPROVED"
        assert payload["application_no"] == number and payload["request_sha256"] == factories.sha256(body)
        assert payload["registration"]["certificate_no"].startswith("宁(")
        stored_receipt = bank.get(f"/v1/applications/{number}/documents/receipt")
        assert stored_receipt.headers["content-type"] == JOSE and stored_receipt.content == submitted.content
        assert bank.get(f"/v1/applications/{number}").json()["status"] == "REGISTERED"
    finally:
        server.stop()
