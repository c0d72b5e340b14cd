"""The reference bank client's JSON channel against a real `gateway serve`: applications signed with
JWS (compact and detached), receipts and results verified as the gateway's JWS."""
from __future__ import annotations

import base64
import json
from pathlib import Path

from bank_adapters.json_v1 import to_document
from tests.e2e.test_bank_client import (  # noqa: F401 - gateway is the fixture
    approve, client, gateway, start_listener, wait_for_event, write_config)
from tests.support import factories


def write_json_application(directory: Path, **overrides) -> Path:
    """An unsigned JSON application (docs/interface/schemas/mortgage-application-v1.schema.json) with its
    material files beside it."""
    (directory / "materials").mkdir(parents=True, exist_ok=True)
    application = factories.application(**overrides)
    for ref, data in zip(application.materials, factories.MATERIALS.values(), strict=True):
        (directory / "materials" / ref.file_name).write_bytes(data)
    path = directory / f"{application.request_id}.json"
    path.write_text(json.dumps(to_document(application), ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def test_a_bank_submits_json_signed_with_jws_and_gets_a_verified_jws_result(tmp_path, pki, gateway):
    config = write_config(tmp_path, pki, gateway["url"], gateway["listen_port"])
    client(config, "gateway-certificate", "--save")
    listener = start_listener(config, tmp_path)
    try:
        submit_json_and_follow_it(tmp_path, pki, gateway, config, listener)
    finally:
        listener.stop()


def submit_json_and_follow_it(tmp_path, pki, gateway, config, listener):
    submitted = client(config, "submit", str(write_json_application(tmp_path / "outbox")),
                       "--save-request", str(tmp_path / "signed.jws"))
    assert submitted["http_status"] == 202 and submitted["format"] == "json"
    assert submitted["media_type"] == "application/jose" and submitted["document"] == "Receipt"
    assert submitted["signed_by"] == pki.gateway.fingerprint
    number = submitted["application_no"]
    header = json.loads(base64.urlsafe_b64decode(Path(submitted["receipt"]).read_text().split(".")[0] + "=="))
    assert header["kid"] == pki.gateway.fingerprint and header["alg"] in ("PS256", "RS256", "ES256")

    approve(gateway["url"], number)
    result = client(config, "result", number, "--wait", "90")
    assert result["media_type"] == "application/jose"
    assert result["fields"]["document"] == "Result" and result["fields"]["decision"] == "APPROVED"
    # The same JWS result reaches the callback receiver, which verifies it before storing it.
    delivered = wait_for_event(listener, lambda e: e.get("event") == "received" and e.get("kind") == "result")
    assert delivered["application_no"] == number and delivered["sha256"] == result["sha256"]
    assert delivered["path"].endswith(".jws")

    # A JWS result with its payload swapped is refused.
    protected, payload, signature = Path(result["path"]).read_text().strip().split(".")
    changed = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    changed["decision"] = "REJECTED"
    forged = base64.urlsafe_b64encode(json.dumps(changed).encode()).rstrip(b"=").decode()
    (tmp_path / "forged.jws").write_text(f"{protected}.{forged}.{signature}")
    assert "does not verify" in client(config, "verify", str(tmp_path / "forged.jws"), expect=3)["stderr"]

    # Resending the stored compact JWS answers the same receipt.
    resent = client(config, "submit", str(tmp_path / "signed.jws"))
    assert resent["http_status"] == 200 and resent["application_no"] == number


def test_a_detached_jws_submission_is_received_like_a_compact_one(tmp_path, pki, gateway):
    config = write_config(tmp_path, pki, gateway["url"], gateway["listen_port"])
    client(config, "gateway-certificate", "--save")
    submitted = client(config, "submit", "--detached", str(write_json_application(tmp_path / "outbox")))
    assert submitted["http_status"] == 202 and submitted["media_type"] == "application/jose"
    assert client(config, "status", submitted["application_no"])["status"] in ("QUEUED", "IN_REVIEW", "PRE_REVIEW")
