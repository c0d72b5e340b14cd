"""抵押权转移登记 is filed jointly: the transferee confirms the transferor's exact signed request."""
from __future__ import annotations

from sqlalchemy import select

from gateway.persistence.db import transaction
from gateway.persistence.models import SignedDocument
import pytest

from tests.support import scenarios as s
from tests.support.register import add_mortgage
from tests.support.tamper import runtime, seeded_database  # noqa: F401 (fixtures)


@pytest.fixture
def bank(pki) -> s.Bank:
    return s.main_bank(pki)


def submitted_transfer(client, runtime, bank) -> str:
    with transaction(runtime.sessions) as session:
        add_mortgage(session, certificate_no=s.EXISTING_NO)
    return s.submit_ok(client, s.transfer(s.EXISTING_NO), bank)


def test_a_transfer_cannot_be_approved_before_the_transferee_confirms(client, runtime, bank, reviewer):
    number = submitted_transfer(client, runtime, bank)
    s.claim(client, number, reviewer)
    response = client.post(f"/v1/review/applications/{number}/decision", json={"decision": "approve"},
                           headers=reviewer)
    assert response.status_code == 409
    assert response.json()["code"] == "transfer.awaiting_transferee"
    assert s.statuses(runtime, number) == ["IN_REVIEW"]


def test_the_transferees_confirmation_is_kept_verbatim_and_recorded_in_the_history(client, runtime, pki, bank, reviewer):
    number = submitted_transfer(client, runtime, bank)
    s.confirm_transfer(client, number, s.other_bank(pki))
    history = s.status(client, number, bank)["history"]
    assert [(h["action"], h["actor_kind"]) for h in history][-1] == ("confirm_transfer", "institution")
    with transaction(runtime.sessions) as session:
        kinds = session.scalars(select(SignedDocument.kind)).all()
    assert "transferee_confirmation" in kinds


def test_a_confirmation_of_other_bytes_is_refused(client, runtime, pki, bank):
    number = submitted_transfer(client, runtime, bank)
    response = client.post(f"/v1/applications/{number}/transferee-confirmation",
                           json={"request_sha256": "0" * 64}, auth=s.other_bank(pki).auth)
    assert response.status_code == 422
    assert response.json()["code"] == "transfer.request_mismatch"


def test_only_the_named_transferee_can_confirm(client, runtime, pki, bank):
    number = submitted_transfer(client, runtime, bank)
    response = client.post(f"/v1/applications/{number}/transferee-confirmation",
                           json={"request_sha256": "0" * 64}, auth=bank.auth)
    assert response.status_code == 404


def test_a_confirmed_transfer_is_registered_and_the_transferee_downloads_the_certificate(
        client, runtime, pki, bank, reviewer):
    number = submitted_transfer(client, runtime, bank)
    transferee = s.other_bank(pki)
    s.confirm_transfer(client, number, transferee)
    s.approve(client, number, reviewer)
    assert s.statuses(runtime, number) == ["REGISTERED"]
    pdf = client.get(f"/v1/applications/{number}/certificate.pdf", auth=transferee.auth)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
