"""A captured HTTP-signed POST cannot be replayed: its signature is good for one request only.

A bank signs each non-idempotent request afresh; the same signed request sent again within the
signature's lifetime is refused with 409 ``signature.replayed`` and changes nothing. Uploads
(``PUT /v1/materials/{sha256}``) are idempotent by design and may be sent again as they are.
"""
from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import http_sf
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gateway.api.app import create_app
from gateway.persistence.db import transaction
from gateway.certificates.models import PostalRequest
from gateway.persistence.models import Institution, SignatureUse
from gateway.persistence.types import utcnow
from gateway.runtime import Runtime
from gateway.tasks import registry
from signing.httpsig import HttpSignatureAuth, sign_headers
from tests.conftest import REVIEWER_PASSWORD, staff_headers
from tests.integration.helpers import approve, submit_new
from tests.support import factories
from tests.support.tamper import runtime_from_template, seeded_database  # noqa: F401

BASE_URL = "http://gateway.test"
ADDRESS = {"recipient": "平罗县测试商业银行个贷中心", "phone": "0952-6012345",
           "address": "宁夏石嘴山市平罗县城关镇鼓楼南街18号", "postcode": "753400"}
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


@dataclass(frozen=True)
class Gateway:
    runtime: Runtime
    client: TestClient
    pki: object
    application_no: str  # approved, its certificate issued

    @property
    def postal_path(self) -> str:
        return f"/v1/applications/{self.application_no}/postal-requests"


@pytest.fixture(scope="module")
def gateway(seeded_database, tmp_path_factory, pki) -> Iterator[Gateway]:
    runtime = runtime_from_template(seeded_database, tmp_path_factory.mktemp("replay") / "var", pki)
    bank = HttpSignatureAuth(key_id=pki.bank.fingerprint, private_key=pki.bank.key)
    with TestClient(create_app(runtime), base_url=BASE_URL) as client:
        number = submit_new(client, pki, bank)
        approve(client, number, staff_headers(client, "reviewer", REVIEWER_PASSWORD))
        yield Gateway(runtime, client, pki, number)
    runtime.close()


def signed(method: str, path: str, body: bytes, party, content_type: str = "application/json") -> dict[str, str]:
    """A request's headers signed once, to be sent as often as a test likes."""
    headers = {"content-type": content_type}
    headers.update(sign_headers(method=method, url=BASE_URL + path, headers=headers, body=body,
                                key_id=party.fingerprint, private_key=party.key))
    return headers


def postal_requests(gateway: Gateway) -> int:
    with gateway.runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(PostalRequest))


def signature_uses(gateway: Gateway) -> int:
    with gateway.runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(SignatureUse))


def body_of(address: dict = ADDRESS) -> bytes:
    return json.dumps(address, ensure_ascii=False).encode()


def test_the_same_signed_postal_request_sent_three_times_creates_one_request(gateway):
    body = body_of()
    headers = signed("POST", gateway.postal_path, body, gateway.pki.bank)
    before = postal_requests(gateway)

    answers = [gateway.client.post(gateway.postal_path, content=body, headers=headers) for _ in range(3)]

    assert [a.status_code for a in answers] == [201, 409, 409], [a.text for a in answers]
    assert {a.json()["code"] for a in answers[1:]} == {"signature.replayed"}
    assert postal_requests(gateway) == before + 1


def test_the_same_request_signed_afresh_is_not_a_replay(gateway):
    body = body_of()
    before = postal_requests(gateway)

    for _ in range(2):
        headers = signed("POST", gateway.postal_path, body, gateway.pki.bank)
        response = gateway.client.post(gateway.postal_path, content=body, headers=headers)
        assert response.status_code == 201, response.text

    assert postal_requests(gateway) == before + 2


def test_a_replay_under_another_label_is_still_refused(gateway):
    body = body_of()
    headers = signed("POST", gateway.postal_path, body, gateway.pki.bank)
    assert gateway.client.post(gateway.postal_path, content=body, headers=headers).status_code == 201
    relabelled = {**headers, "Signature-Input": headers["Signature-Input"].replace("sig1=", "other=", 1),
                  "Signature": headers["Signature"].replace("sig1=", "other=", 1)}
    before = postal_requests(gateway)

    response = gateway.client.post(gateway.postal_path, content=body, headers=relabelled)

    assert response.status_code == 409, response.text
    assert response.json()["code"] == "signature.replayed"
    assert postal_requests(gateway) == before


def test_the_twin_of_a_used_ecdsa_signature_is_refused_as_a_replay(gateway):
    """ECDSA's (r, n − s) verifies as well as (r, s): anyone holding one can make the other."""
    body = body_of()
    headers = signed("POST", gateway.postal_path, body, gateway.pki.bank_ec)
    assert gateway.client.post(gateway.postal_path, content=body, headers=headers).status_code == 201
    [(label, (value, params))] = http_sf.parse(headers["Signature"].encode(), tltype="dictionary").items()
    r, s = value[:32], int.from_bytes(value[32:], "big")
    twin = r + (P256_ORDER - s).to_bytes(32, "big")
    before = postal_requests(gateway)

    response = gateway.client.post(gateway.postal_path, content=body, headers={
        **headers, "Signature": f"{label}=:{base64.b64encode(twin).decode()}:"})

    assert response.status_code == 409, response.text
    assert response.json()["code"] == "signature.replayed"
    assert postal_requests(gateway) == before


def test_a_refused_request_does_not_use_up_its_signature(gateway):
    body = body_of({**ADDRESS, "postcode": "7534"})  # refused: not six digits
    headers = signed("POST", gateway.postal_path, body, gateway.pki.bank)
    uses = signature_uses(gateway)

    answers = [gateway.client.post(gateway.postal_path, content=body, headers=headers) for _ in range(2)]

    assert [a.status_code for a in answers] == [422, 422]
    assert signature_uses(gateway) == uses


def test_a_material_upload_may_be_sent_again_as_it_is(gateway):
    """Uploads are content-addressed: sending the same signed PUT again stores nothing new."""
    data = b"%PDF-1.4 replayed upload\n"
    path = f"/v1/materials/{factories.sha256(data)}"
    headers = signed("PUT", path, data, gateway.pki.bank, content_type="application/pdf")

    answers = [gateway.client.put(path, content=data, headers=headers) for _ in range(2)]

    assert [a.status_code for a in answers] == [201, 200], [a.text for a in answers]


def test_the_sweep_forgets_signatures_past_their_lifetime(gateway):
    now = utcnow()
    with transaction(gateway.runtime.sessions) as session:
        bank_id = session.scalar(select(Institution.id).where(Institution.code == factories.BANK_CODE))
        session.add_all([
            SignatureUse(signature_sha256="0" * 64, institution_id=bank_id, expires_at=now - timedelta(seconds=1)),
            SignatureUse(signature_sha256="1" * 64, institution_id=bank_id, expires_at=now + timedelta(minutes=5)),
        ])

    registry.run(gateway.runtime, "institutions.forget_used_signatures", [])

    with gateway.runtime.sessions() as session:
        kept = set(session.scalars(select(SignatureUse.signature_sha256)))
    assert "0" * 64 not in kept
    assert "1" * 64 in kept
