"""A supplement (补正) on an application that is not waiting for one is refused for its state (409)
before any material is looked at: acceptance testing got ``422 material.missing`` instead, which
told the bank to upload something that could never be accepted."""
from __future__ import annotations

from sqlalchemy import func, select

from gateway.persistence.db import transaction
from gateway.persistence.models import ApplicationMaterial, SignedDocument
from tests.integration.helpers import approve, submit_new

NEVER_UPLOADED = {"type_code": "MARRIAGE_CERTIFICATE", "file_name": "marriage.pdf", "sha256": "ab" * 32}


def supply(client, bank_auth, number: str):
    return client.post(f"/v1/applications/{number}/supplement", auth=bank_auth,
                       json={"materials": [NEVER_UPLOADED], "note": "补充材料"})


def counts(runtime) -> tuple[int, int]:
    with transaction(runtime.sessions) as session:
        return (session.scalar(select(func.count(ApplicationMaterial.id))),
                session.scalar(select(func.count(SignedDocument.id)).where(SignedDocument.kind == "supplement")))


def test_a_supplement_on_a_queued_application_with_missing_materials_is_a_409(client, runtime, pki, bank_auth):
    number = submit_new(client, pki, bank_auth)
    before = counts(runtime)

    answer = supply(client, bank_auth, number)

    assert answer.status_code == 409, answer.text
    assert answer.json()["code"] == "application.illegal_transition"
    assert answer.json()["current_status"] == "QUEUED"
    assert client.get(f"/v1/applications/{number}", auth=bank_auth).json()["status"] == "QUEUED"
    assert counts(runtime) == before


def test_a_supplement_on_a_decided_application_with_missing_materials_is_a_409(client, runtime, pki, bank_auth,
                                                                                reviewer):
    number = submit_new(client, pki, bank_auth)
    approve(client, number, reviewer)
    before = counts(runtime)

    answer = supply(client, bank_auth, number)

    assert answer.status_code == 409, answer.text
    assert answer.json()["code"] == "application.illegal_transition"
    assert counts(runtime) == before
