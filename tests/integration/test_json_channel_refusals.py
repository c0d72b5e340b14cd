"""Bad JWS input (issue 11): each refused with its documented code, and nothing stored — on SQLite
and PostgreSQL. The forged JWS here are assembled by hand, as an attacker would."""
from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gateway.api.app import create_app
from gateway.persistence.db import read_only
from gateway.persistence.models import Application, ApplicationEvent, SignedDocument
from tests.conftest import make_settings, seed, start_runtime, upload_materials
from tests.support import factories
from tests.support.jws_requests import JOSE, JSON, b64url, compact_request, detached_request, json_body

DOCS_ERRORS = __import__("pathlib").Path(__file__).resolve().parents[2] / "docs" / "interface" / "errors.md"


@pytest.fixture(params=["sqlite", "postgresql"])
def json_client(request, tmp_path, pki, bank_auth):
    overrides = {}
    if request.param == "postgresql":
        overrides["database_url"] = request.getfixturevalue("postgres_url")
    runtime = start_runtime(make_settings(tmp_path / "var", pki, **overrides))
    seed(runtime, pki)
    with TestClient(create_app(runtime), base_url="http://gateway.test") as client:
        upload_materials(client, bank_auth)  # so that only the JWS can be the reason for a refusal
        yield client
    runtime.close()


def stored(client) -> tuple[int, int, int]:
    with read_only(client.app.state.runtime.read_sessions) as session:
        return tuple(session.scalar(select(func.count()).select_from(model))
                     for model in (Application, SignedDocument, ApplicationEvent))


def refused(client, body: bytes, headers: dict, code: str, status: int = 422) -> dict:
    """POST it to both endpoints; each answers ``code``, documented in errors.md, and nothing is stored."""
    assert f"| `{code}` | {status} |" in DOCS_ERRORS.read_text(encoding="utf-8")
    before = stored(client)
    for path in ("/v1/applications", "/v1/applications/dry-run"):
        response = client.post(path, content=body, headers=headers)
        assert response.status_code == status, response.text
        assert response.json()["code"] == code, response.text
    assert stored(client) == before == (0, 0, 0)
    return response.json()


def forged(header: dict, payload: bytes, *, key=None, alg_hash=None, signature: bytes | None = None) -> bytes:
    """A compact JWS with any header, signed PS256 with ``key`` (or with the given signature bytes)."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(payload)}".encode()
    if signature is None:
        signature = key.sign(signing_input, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
                             hashes.SHA256())
    return signing_input + b"." + b64url(signature).encode()


def test_alg_none_is_refused(json_client, pki):
    body = forged({"alg": "none", "kid": pki.bank.fingerprint}, json_body(factories.application()), signature=b"")
    refused(json_client, body, {"Content-Type": JOSE}, "jws.algorithm_refused")


def test_hs256_with_the_public_key_as_secret_is_refused(json_client, pki):
    payload = json_body(factories.application())
    header = {"alg": "HS256", "kid": pki.bank.fingerprint}
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(payload)}".encode()
    for secret in (pki.bank.cert_pem,
                   pki.bank.certificate.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)):
        mac = hmac.new(secret, signing_input, hashlib.sha256).digest()
        refused(json_client, signing_input + b"." + b64url(mac).encode(), {"Content-Type": JOSE},
                "jws.algorithm_refused")


def test_a_crit_header_is_refused(json_client, pki):
    payload = json_body(factories.application())
    body = forged({"alg": "PS256", "kid": pki.bank.fingerprint, "crit": ["exp"], "exp": 4102444800}, payload,
                  key=pki.bank.key)
    refused(json_client, body, {"Content-Type": JOSE}, "jws.crit_unsupported")


def test_a_crit_other_than_b64_on_a_detached_signature_is_refused(json_client, pki):
    payload = json_body(factories.application())
    header = {"alg": "PS256", "kid": pki.bank.fingerprint, "b64": False, "crit": ["b64", "exp"], "exp": 4102444800}
    signing_input = b64url(json.dumps(header).encode()).encode() + b"." + payload
    signature = pki.bank.key.sign(signing_input, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
                                  hashes.SHA256())
    detached = f"{b64url(json.dumps(header).encode())}..{b64url(signature)}"
    refused(json_client, payload, {"Content-Type": JSON, "JWS-Signature": detached}, "jws.crit_unsupported")


def test_an_unknown_kid_is_refused(json_client, pki):
    payload = json_body(factories.application())
    unknown = hashlib.sha256(b"no such certificate").hexdigest()
    body = forged({"alg": "PS256", "kid": unknown}, payload, key=pki.bank.key)
    refused(json_client, body, {"Content-Type": JOSE}, "jws.unknown_key")


def test_a_payload_changed_after_signing_is_refused(json_client, pki):
    app = factories.application()
    header, _, signature = compact_request(app, pki.bank).split(b".")
    changed = json.loads(json_body(app))
    changed["secured_amount"] = "9900000.00"
    body = header + b"." + b64url(json.dumps(changed).encode()).encode() + b"." + signature
    refused(json_client, body, {"Content-Type": JOSE}, "jws.signature_invalid")


def test_a_detached_payload_that_does_not_match_is_refused(json_client, pki):
    body, signature = detached_request(factories.application(), pki.bank)
    changed = body.replace(b'"1200000.00"', b'"9900000.00"')
    assert changed != body
    refused(json_client, changed, {"Content-Type": JSON, "JWS-Signature": signature}, "jws.detached_mismatch")
    # Even a re-serialisation of the same JSON is another body.
    reserialised = json.dumps(json.loads(body), ensure_ascii=True).encode()
    refused(json_client, reserialised, {"Content-Type": JSON, "JWS-Signature": signature}, "jws.detached_mismatch")


def test_a_json_body_without_jws_signature_is_refused(json_client):
    refused(json_client, json_body(factories.application()), {"Content-Type": JSON}, "jws.missing")


def test_a_key_fetched_from_a_url_is_refused(json_client, pki):
    body = forged({"alg": "PS256", "jku": "https://attacker.example/keys", "kid": pki.bank.fingerprint},
                  json_body(factories.application()), key=pki.bank.key)
    refused(json_client, body, {"Content-Type": JOSE}, "jws.malformed")


def test_something_that_is_not_a_jws_is_refused(json_client):
    refused(json_client, b"<MortgageApplication/>", {"Content-Type": JOSE}, "jws.malformed")


def test_a_signed_payload_that_is_not_json_is_refused(json_client, pki):
    body = forged({"alg": "PS256", "kid": pki.bank.fingerprint}, b'{"request_id": "x", "request_id": "y"}',
                  key=pki.bank.key)
    refused(json_client, body, {"Content-Type": JOSE}, "json.malformed")


def test_a_signed_payload_off_the_schema_is_refused_with_paths_and_no_values(json_client, pki):
    document = json.loads(json_body(factories.application()))
    document["mortgagors"][0]["id_number"] = "640221-NOT*VALID"
    document["unexpected"] = "x"
    body = forged({"alg": "PS256", "kid": pki.bank.fingerprint}, json.dumps(document, ensure_ascii=False).encode(),
                  key=pki.bank.key)
    problem = refused(json_client, body, {"Content-Type": JOSE}, "json.schema_invalid")
    paths = {v["path"] for v in problem["violations"]}
    assert paths == {"/", "/mortgagors/0/id_number"}
    assert "640221-NOT*VALID" not in json.dumps(problem)
