"""The pull inbox over HTTP: every signed document in order, pages by cursor, acknowledgement, and
cursors that are forged or another institution's refused with nothing changed."""
from __future__ import annotations

import base64
import hashlib

import pytest
from sqlalchemy import func, select

from gateway.inbox.models import InboxEntry, InboxPosition
from gateway.persistence.db import transaction
from gateway.persistence.models import Delivery
from tests.integration.helpers import approve, submit_new
from tests.support import factories


def pull(client, auth, **params):
    response = client.get("/v1/inbox", params=params, auth=auth)
    assert response.status_code == 200, response.text
    return response.json()


def ack(client, auth, cursor):
    return client.post("/v1/inbox/ack", json={"cursor": cursor}, auth=auth)


def inbox_state(runtime) -> tuple:
    """What a refused request must leave as it was."""
    with transaction(runtime.sessions) as session:
        return (session.scalar(select(func.count()).select_from(InboxEntry)),
                list(session.execute(select(InboxPosition.institution_id, InboxPosition.acknowledged_sequence)).all()))


def test_a_pull_only_bank_receives_its_receipt_result_and_certificate_in_order(client, runtime, pki, bank_auth,
                                                                              reviewer):
    number = submit_new(client, pki, bank_auth)
    approve(client, number, reviewer)
    page = pull(client, bank_auth)
    assert [(e["sequence"], e["kind"], e["application_no"]) for e in page["entries"]] == [
        (1, "receipt", number), (2, "result", number), (3, "certificate", number)]
    assert page["more"] is False and page["acknowledged"] is None
    receipt = client.get(f"/v1/applications/{number}/documents/receipt", auth=bank_auth)
    result = client.get(f"/v1/applications/{number}/result", auth=bank_auth)
    certificate = client.get(f"/v1/applications/{number}/certificate.xml", auth=bank_auth)
    documents = [base64.b64decode(e["document"]) for e in page["entries"]]
    assert documents == [receipt.content, result.content, certificate.content]
    assert [e["sha256"] for e in page["entries"]] == [hashlib.sha256(d).hexdigest() for d in documents]
    assert {e["media_type"] for e in page["entries"]} == {"application/xml"}
    with transaction(runtime.sessions) as session:  # no callback URL: nothing queued for a callback
        assert session.scalar(select(func.count()).select_from(Delivery)) == 0


def test_pages_follow_each_other_without_a_skip_or_a_repeat(client, pki, bank_auth, reviewer):
    numbers = [submit_new(client, pki, bank_auth) for _ in range(5)]
    seen, after = [], None
    while True:
        page = pull(client, bank_auth, limit=2, **({"after": after} if after else {}))
        seen += [e["sequence"] for e in page["entries"]]
        after = page["next_cursor"]
        if not page["more"]:
            break
    assert seen == [1, 2, 3, 4, 5]
    assert pull(client, bank_auth, after=after)["entries"] == []
    assert pull(client, bank_auth, after=after)["next_cursor"] == after  # an empty page keeps the position
    approve(client, numbers[0], reviewer)
    assert [e["kind"] for e in pull(client, bank_auth, after=after)["entries"]] == ["result", "certificate"]


def test_acknowledging_moves_the_default_start_and_never_backwards(client, runtime, pki, bank_auth):
    for _ in range(3):
        submit_new(client, pki, bank_auth)
    entries = pull(client, bank_auth)["entries"]
    moved = ack(client, bank_auth, entries[1]["cursor"])
    assert moved.status_code == 200, moved.text
    assert moved.json() == {"acknowledged": entries[1]["cursor"], "acknowledged_sequence": 2}
    page = pull(client, bank_auth)
    assert [e["sequence"] for e in page["entries"]] == [3]
    assert page["acknowledged"] == entries[1]["cursor"]
    back = ack(client, bank_auth, entries[0]["cursor"])
    assert back.status_code == 200
    assert back.json() == {"acknowledged": entries[1]["cursor"], "acknowledged_sequence": 2}
    assert [e["sequence"] for e in pull(client, bank_auth, after=entries[0]["cursor"])["entries"]] == [2, 3]
    assert inbox_state(runtime)[1] == [(1, 2)]


def test_each_institution_sees_only_its_own_inbox(client, pki, bank_auth, other_bank_auth):
    submit_new(client, pki, bank_auth)
    assert len(pull(client, bank_auth)["entries"]) == 1
    assert pull(client, other_bank_auth)["entries"] == []


# --- bad input: each refused with its code, nothing changed ------------------------------------------------


def test_another_institutions_cursor_is_refused(client, runtime, pki, bank_auth, other_bank_auth):
    submit_new(client, pki, bank_auth)
    theirs = pull(client, bank_auth)["entries"][0]["cursor"]
    before = inbox_state(runtime)
    response = client.get("/v1/inbox", params={"after": theirs}, auth=other_bank_auth)
    assert (response.status_code, response.json()["code"]) == (400, "inbox.cursor_invalid")
    refused = ack(client, other_bank_auth, theirs)
    assert (refused.status_code, refused.json()["code"]) == (400, "inbox.cursor_invalid")
    assert inbox_state(runtime) == before


def _forged(cursor: str) -> str:
    token = bytearray(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    token[7] ^= 0x01  # sequence 1 → 0 (or any other position), the MAC left as it was
    return base64.urlsafe_b64encode(bytes(token)).rstrip(b"=").decode()


@pytest.mark.parametrize("make", [
    _forged,
    lambda c: c[:-2] + ("AA" if c[-2:] != "AA" else "BB"),  # the MAC changed
    lambda c: "x" * len(c),
    lambda c: c + "AAAA",  # longer than any cursor the gateway makes
    lambda c: "%%%%",
    lambda c: "",
], ids=["sequence-changed", "mac-changed", "garbage", "too-long", "not-base64", "empty"])
def test_a_forged_cursor_is_refused(client, runtime, pki, bank_auth, make):
    submit_new(client, pki, bank_auth)
    cursor = pull(client, bank_auth)["entries"][0]["cursor"]
    before = inbox_state(runtime)
    response = client.get("/v1/inbox", params={"after": make(cursor)}, auth=bank_auth)
    assert (response.status_code, response.json()["code"]) == (400, "inbox.cursor_invalid")
    refused = ack(client, bank_auth, make(cursor))
    assert refused.status_code in (400, 422)
    assert refused.json()["code"] in ("inbox.cursor_invalid", "request.invalid")
    assert inbox_state(runtime) == before


@pytest.mark.parametrize("limit", ["0", "501", "-1", "many"])
def test_a_limit_out_of_bounds_is_refused(client, bank_auth, limit):
    response = client.get("/v1/inbox", params={"limit": limit}, auth=bank_auth)
    assert (response.status_code, response.json()["code"]) == (422, "request.invalid")


@pytest.mark.parametrize("limit", [1, 500])
def test_the_limits_bounds_are_accepted(client, pki, bank_auth, limit):
    submit_new(client, pki, bank_auth)
    submit_new(client, pki, bank_auth)
    page = pull(client, bank_auth, limit=limit)
    assert len(page["entries"]) == min(limit, 2) and page["more"] is (limit == 1)


def test_the_inbox_needs_a_signed_request(client):
    assert client.get("/v1/inbox").status_code == 401
    assert client.post("/v1/inbox/ack", json={"cursor": "x"}).status_code == 401


def test_pulling_documents_about_an_application_is_recorded_in_the_audit_trail(client, runtime, pki, bank_auth):
    from gateway.audit.models import AuditEntry

    number = submit_new(client, pki, bank_auth)
    pull(client, bank_auth)
    with transaction(runtime.sessions) as session:
        reads = session.scalars(select(AuditEntry).where(AuditEntry.action == "data.read")).all()
    assert [(r.actor, r.actor_role, r.subject, r.details) for r in reads] == [
        (factories.BANK_CODE, "institution", number, {"what": "inbox"})]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def api_on(request, tmp_path, pki):
    """A runtime and API client on SQLite or PostgreSQL, seeded (no callback URL)."""
    from fastapi.testclient import TestClient

    from gateway.api.app import create_app
    from tests.conftest import make_settings, seed, start_runtime

    overrides = {"database_url": request.getfixturevalue("postgres_url")} if request.param == "postgresql" else {}
    runtime = start_runtime(make_settings(tmp_path / "var", pki, **overrides))
    seed(runtime, pki)
    with TestClient(create_app(runtime), base_url="http://gateway.test") as client:
        yield runtime, client
    runtime.close()


def test_pull_acknowledge_and_refusals_on_either_database(api_on, pki, bank_auth, other_bank_auth):
    from tests.conftest import REVIEWER_PASSWORD, staff_headers

    runtime, client = api_on
    number = submit_new(client, pki, bank_auth)
    approve(client, number, staff_headers(client, "reviewer", REVIEWER_PASSWORD))
    entries = pull(client, bank_auth, limit=2)["entries"]
    rest = pull(client, bank_auth, after=entries[-1]["cursor"])["entries"]
    assert [e["kind"] for e in entries + rest] == ["receipt", "result", "certificate"]
    assert ack(client, bank_auth, rest[-1]["cursor"]).json()["acknowledged_sequence"] == 3
    assert ack(client, bank_auth, entries[0]["cursor"]).json()["acknowledged_sequence"] == 3  # never backwards
    assert pull(client, bank_auth)["entries"] == []
    before = inbox_state(runtime)
    for response in (client.get("/v1/inbox", params={"after": entries[0]["cursor"]}, auth=other_bank_auth),
                     ack(client, other_bank_auth, entries[0]["cursor"]),
                     client.get("/v1/inbox", params={"after": _forged(entries[0]["cursor"])}, auth=bank_auth)):
        assert (response.status_code, response.json()["code"]) == (400, "inbox.cursor_invalid")
    assert inbox_state(runtime) == before
