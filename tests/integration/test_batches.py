"""The batch channel: a bundle answered at once, each item received or refused in the background,
one receipt or refusal per item in the inbox, progress visible, a re-sent bundle creating nothing."""
from __future__ import annotations

import functools
import json
import re
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import jsonschema_rs
import pytest
import xmlschema
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from gateway.api.app import create_app
from gateway.applications.intake import Channel, accept_submission, check_submission
from gateway.batches.models import Batch, BatchItem
from gateway.batches.tasks import process_batch, resume_stalled_batches
from gateway.inbox.models import InboxEntry
from gateway.persistence.db import transaction
from gateway.persistence.models import Application, SignedDocument
from gateway.persistence.types import utcnow
from gateway.quality.models import IntakeRefusal
from signing.xml_parser import parse_xml
from tests.conftest import make_settings, seed, start_runtime
from tests.support import batches, factories, jws_requests

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "interface" / "schemas" / "gateway-output-v1.xsd"
JSON_SCHEMA_PATH = SCHEMA_PATH.with_name("gateway-output-v1.schema.json")
NS = {"g": "urn:pingluo-bdc:mortgage-gateway:v1"}
UNKNOWN_UNIT = "640221001001GB00099F00990099"


@pytest.fixture(params=["sqlite", "postgresql"])
def runtime(request, tmp_path, pki):
    overrides = {}
    if request.param == "postgresql":
        overrides["database_url"] = request.getfixturevalue("postgres_url")
    runtime = start_runtime(make_settings(tmp_path / "var", pki, **overrides))
    seed(runtime, pki)
    yield runtime
    runtime.close()


@pytest.fixture
def client(runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime), base_url="http://gateway.test") as test_client:
        yield test_client


@functools.cache
def output_schema() -> xmlschema.XMLSchema10:
    return xmlschema.XMLSchema10(SCHEMA_PATH.read_text(encoding="utf-8"), allow="none", defuse="always")


def count(runtime, model) -> int:
    with transaction(runtime.sessions) as session:
        return session.scalar(select(func.count()).select_from(model))


def inbox(runtime, kind: str) -> list[bytes]:
    """The signed bytes of the inbox entries of ``kind``, in order (kept in the entry, or its document)."""
    with transaction(runtime.sessions) as session:
        entries = session.scalars(select(InboxEntry).where(InboxEntry.kind == kind).order_by(InboxEntry.sequence))
        return [entry.content if entry.content is not None else session.get(SignedDocument, entry.document_id).content
                for entry in entries]


def status(client, auth, batch_id: str = "BATCH-1", **params) -> dict:
    response = client.get(f"/v1/batches/{batch_id}", params=params, auth=auth)
    assert response.status_code == 200, response.text
    return response.json()


def uploaded(client, runtime, body: bytes, auth) -> dict:
    response = batches.upload(client, body, auth)
    assert response.status_code == 202, response.text
    assert runtime.wait_idle(120)
    return response.json()


def test_a_bundle_is_answered_at_once_and_every_item_gets_a_signed_receipt(client, runtime, pki, bank_auth):
    items = batches.signed_items(pki.bank, 3)
    answer = uploaded(client, runtime, batches.build_bundle(items, batch_id="PLB-20261207-01"), bank_auth)
    assert answer["batch_id"] == "PLB-20261207-01" and answer["items"] == 3
    assert answer["status_url"] == "/v1/batches/PLB-20261207-01"
    progress = status(client, bank_auth, "PLB-20261207-01")
    counts = (progress["status"], progress["accepted"], progress["refused"], progress["pending"])
    assert counts == ("completed", 3, 0, 0)
    assert [item["request_id"] for item in progress["items"]] == [item.request_id for item in items]
    receipts = [parse_xml(content, max_bytes=10**6) for content in inbox(runtime, "receipt")]
    assert sorted(r.findtext("g:ApplicationNo", namespaces=NS) for r in receipts) == sorted(
        item["application_no"] for item in progress["items"])
    with transaction(runtime.sessions) as session:
        assert set(session.scalars(select(Application.channel))) == {"batch"}
        assert set(session.scalars(select(BatchItem.content))) == {b""}, "the items' bytes are not kept once received"


def test_one_bad_item_does_not_sink_the_others(client, runtime, pki, bank_auth):
    good = batches.signed_items(pki.bank, 2)
    tampered = batches.signed_items(pki.bank, 1)[0]
    tampered.document = tampered.document.replace(b"1200000.00", b"1300000.00")
    refused_by_prereview = batches.signed_items(pki.bank, 1, unit_code=UNKNOWN_UNIT)[0]
    stale = batches.signed_items(pki.bank, 1, created_at=utcnow().replace(microsecond=0) - timedelta(hours=2))[0]
    items = [good[0], tampered, refused_by_prereview, stale, good[1]]
    uploaded(client, runtime, batches.build_bundle(items), bank_auth)
    progress = status(client, bank_auth)
    states = [(item["state"], item["code"]) for item in progress["items"]]
    assert states == [("accepted", None), ("refused", "signature.invalid"), ("refused", "prereview.refused"),
                      ("refused", "request.stale"), ("accepted", None)]
    assert count(runtime, Application) == 2
    refusals = [parse_xml(content, max_bytes=10**6) for content in inbox(runtime, "refusal")]
    assert [r.findtext("g:Position", namespaces=NS) for r in refusals] == ["2", "3", "4"]
    for refusal in refusals:
        output_schema().validate(refusal)
    assert refusals[1].find("g:Findings/g:Finding/g:Code", namespaces=NS) is not None
    with transaction(runtime.sessions) as session:
        recorded = sorted(session.scalars(select(IntakeRefusal.code).where(IntakeRefusal.channel == "batch")))
    assert recorded == ["prereview.refused", "request.stale", "signature.invalid"]


def test_json_applications_signed_with_jws_are_received_and_answered_in_jws(client, runtime, pki, bank_auth):
    items = [*batches.jws_items(pki.bank, 1), *batches.jws_items(pki.bank, 1, detached=True),
             *batches.jws_items(pki.bank, 1, unit_code=UNKNOWN_UNIT), *batches.signed_items(pki.bank, 1)]
    uploaded(client, runtime, batches.build_bundle(items), bank_auth)
    progress = status(client, bank_auth)
    assert [(i["state"], i["code"]) for i in progress["items"]] == [
        ("accepted", None), ("accepted", None), ("refused", "prereview.refused"), ("accepted", None)]
    with transaction(runtime.sessions) as session:
        kinds = session.execute(select(InboxEntry.kind, InboxEntry.media_type).order_by(InboxEntry.sequence)).all()
    assert sorted(kinds) == [("receipt", "application/jose"), ("receipt", "application/jose"),
                             ("receipt", "application/xml"), ("refusal", "application/jose")]
    refusal = json.loads(jws_requests.parts(inbox(runtime, "refusal")[0])[1])  # the gateway's JWS: its payload
    jsonschema_rs.Draft202012Validator(json.loads(JSON_SCHEMA_PATH.read_text(encoding="utf-8"))).validate(refusal)
    assert (refusal["document"], refusal["position"], refusal["code"]) == ("Refusal", "3", "prereview.refused")


def test_a_refusal_is_signed_by_the_gateway(client, runtime, pki, bank_auth):
    from signing.xml_parser import parse_document
    from signing.xmldsig import verify_enveloped
    from signing.trust import TrustStore, load_pem_certificates

    item = batches.signed_items(pki.bank, 1, unit_code=UNKNOWN_UNIT)[0]
    uploaded(client, runtime, batches.build_bundle([item]), bank_auth)
    content, = inbox(runtime, "refusal")
    trust = TrustStore(load_pem_certificates(pki.ca_path.read_bytes()))
    verified = verify_enveloped(parse_document(content, max_bytes=10**6), trust=trust, at=utcnow(),
                                expected_root=f"{{{NS['g']}}}Refusal")
    assert verified.signed_root.findtext("g:RequestId", namespaces=NS) == item.request_id
    assert verified.signed_root.findtext("g:RequestSha256", namespaces=NS) == factories.sha256(item.document)


def test_a_re_sent_bundle_creates_nothing_new(client, runtime, pki, bank_auth):
    body = batches.build_bundle(batches.signed_items(pki.bank, 2))
    first = uploaded(client, runtime, body, bank_auth)
    again = batches.upload(client, body, bank_auth)  # the same bytes, signed afresh
    assert again.status_code == 200, again.text
    assert again.json() == first
    assert runtime.wait_idle(60)
    assert (count(runtime, Batch), count(runtime, BatchItem), count(runtime, Application)) == (1, 2, 2)
    assert len(inbox(runtime, "receipt")) == 2


def test_the_same_batch_id_with_other_content_is_refused(client, runtime, pki, bank_auth):
    uploaded(client, runtime, batches.build_bundle(batches.signed_items(pki.bank, 1)), bank_auth)
    response = batches.upload(client, batches.build_bundle(batches.signed_items(pki.bank, 1)), bank_auth)
    assert response.status_code == 409
    assert response.json()["code"] == "batch.id_reused"
    assert (count(runtime, Batch), count(runtime, BatchItem)) == (1, 1)


def test_applications_already_received_are_answered_by_their_receipt_not_received_twice(client, runtime, pki,
                                                                                          bank_auth):
    items = batches.signed_items(pki.bank, 2)
    uploaded(client, runtime, batches.build_bundle(items, batch_id="FIRST"), bank_auth)
    uploaded(client, runtime, batches.build_bundle(items, batch_id="SECOND"), bank_auth)
    first, second = status(client, bank_auth, "FIRST"), status(client, bank_auth, "SECOND")
    assert [i["application_no"] for i in first["items"]] == [i["application_no"] for i in second["items"]]
    assert second["accepted"] == 2 and count(runtime, Application) == 2


def test_another_institution_cannot_see_a_batch(client, runtime, pki, bank_auth, other_bank_auth):
    uploaded(client, runtime, batches.build_bundle(batches.signed_items(pki.bank, 1)), bank_auth)
    response = client.get("/v1/batches/BATCH-1", auth=other_bank_auth)
    assert response.status_code == 404


def test_progress_pages_through_the_items_in_order(client, runtime, pki, bank_auth):
    items = batches.signed_items(pki.bank, 5)
    uploaded(client, runtime, batches.build_bundle(items), bank_auth)
    first = status(client, bank_auth, limit=2)
    second = status(client, bank_auth, after=first["next_after"], limit=2)
    last = status(client, bank_auth, after=second["next_after"], limit=2)
    assert [i["position"] for i in first["items"] + second["items"] + last["items"]] == [1, 2, 3, 4, 5]
    assert last["next_after"] is None and first["items_total"] == 5


@pytest.fixture
def stopped_tasks(runtime, monkeypatch) -> list:
    """Task messages are recorded instead of run: the batch waits, as if the worker were down."""
    sent = []
    monkeypatch.setattr(runtime.dispatcher.runner, "submit", lambda name, args, **_: sent.append((name, args)))
    return sent


def test_progress_shows_pending_items_until_the_background_intake_runs(client, runtime, pki, bank_auth,
                                                                        stopped_tasks):
    response = batches.upload(client, batches.build_bundle(batches.signed_items(pki.bank, 3)), bank_auth)
    assert response.status_code == 202
    progress = status(client, bank_auth)
    assert (progress["status"], progress["pending"], progress["completed_at"]) == ("processing", 3, None)
    assert {item["state"] for item in progress["items"]} == {"pending"}
    (name, (batch_id, ticket)), = [m for m in stopped_tasks if m[0] == "batches.process"]
    process_batch(runtime, batch_id, ticket)
    assert status(client, bank_auth)["status"] == "completed"


def test_the_intake_resumes_after_a_crash_without_receiving_anything_twice(client, runtime, pki, bank_auth,
                                                                            stopped_tasks):
    items = batches.signed_items(pki.bank, 3)
    assert batches.upload(client, batches.build_bundle(items), bank_auth).status_code == 202
    with transaction(runtime.sessions) as session:
        batch = session.scalar(select(Batch))
        received_at, batch_id = batch.received_at, batch.id
        # The worker died holding the lease, after receiving item 1 and before marking it.
        batch.lease_until = batch.queued_until = utcnow() - timedelta(seconds=1)
    checked = check_submission(runtime, items[0].document, now=received_at)
    number = accept_submission(runtime, checked, channel=Channel(name="batch")).application_no
    resume_stalled_batches(runtime)
    tickets = [args[1] for name, args in stopped_tasks if name == "batches.process"]
    assert tickets == [1, 2]
    process_batch(runtime, batch_id, 1)  # a message of before the crash does nothing now
    assert status(client, bank_auth)["pending"] == 3
    process_batch(runtime, batch_id, 2)
    progress = status(client, bank_auth)
    assert progress["accepted"] == 3 and progress["items"][0]["application_no"] == number
    assert count(runtime, Application) == 3


def test_an_item_whose_request_id_was_used_for_other_content_is_refused_alone(client, runtime, pki, bank_auth):
    earlier = factories.application()
    first = batches.BundleItem(earlier.request_id, factories.signed_request(earlier, pki.bank))
    uploaded(client, runtime, batches.build_bundle([first], batch_id="FIRST"), bank_auth)
    reused = batches.BundleItem(earlier.request_id, factories.signed_request(
        replace(earlier, loan_contract_no="OTHER-LOAN-1"), pki.bank))
    uploaded(client, runtime, batches.build_bundle([reused, *batches.signed_items(pki.bank, 1)], batch_id="SECOND"),
             bank_auth)
    progress = status(client, bank_auth, "SECOND")
    assert [(i["state"], i["code"]) for i in progress["items"]] == [("refused", "request.id_reused"),
                                                                     ("accepted", None)]


def test_a_batch_of_a_few_hundred_items_is_fully_receipted(tmp_path, pki, bank_auth):
    runtime = start_runtime(make_settings(tmp_path / "var", pki))
    seed(runtime, pki)
    try:
        items = batches.signed_items(pki.bank, 300)
        with TestClient(create_app(runtime), base_url="http://gateway.test") as client:
            started = datetime.now(timezone.utc)
            uploaded(client, runtime, batches.build_bundle(items), bank_auth)
            progress = status(client, bank_auth, limit=1000)
            elapsed = (datetime.now(timezone.utc) - started).total_seconds()
        assert (progress["status"], progress["accepted"]) == ("completed", 300)
        numbers = [item["application_no"] for item in progress["items"]]
        assert len(set(numbers)) == 300 and all(re.fullmatch(r"640221\d{14}", n) for n in numbers)
        assert len(inbox(runtime, "receipt")) == 300
        print(f"300 items in {elapsed:.1f} s")
    finally:
        runtime.close()


def test_a_lost_task_message_is_sent_again_by_the_sweep(client, runtime, pki, bank_auth, stopped_tasks):
    assert batches.upload(client, batches.build_bundle(batches.signed_items(pki.bank, 1)), bank_auth).status_code == 202
    resume_stalled_batches(runtime)  # the first message is not presumed lost yet
    assert len([m for m in stopped_tasks if m[0] == "batches.process"]) == 1
    with transaction(runtime.sessions) as session:
        session.execute(update(Batch).values(queued_until=utcnow() - timedelta(seconds=1)))
    resume_stalled_batches(runtime)
    assert [m[1][1] for m in stopped_tasks if m[0] == "batches.process"] == [1, 2]


def test_each_item_is_answered_by_callback_when_the_bank_has_a_callback_url(tmp_path, pki, bank_auth):
    from tests.support.callbacks import CallbackReceiver

    receiver = CallbackReceiver().start()
    runtime = start_runtime(make_settings(tmp_path / "var", pki, sweep_interval_seconds=0.2))
    seed(runtime, pki, callback_url=receiver.url)
    try:
        items = [*batches.signed_items(pki.bank, 1), *batches.signed_items(pki.bank, 1, unit_code=UNKNOWN_UNIT)]
        with TestClient(create_app(runtime), base_url="http://gateway.test") as client:
            uploaded(client, runtime, batches.build_bundle(items), bank_auth)
            deadline = time.monotonic() + 30
            while len(receiver.received) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
        kinds = sorted(r.headers["X-Gateway-Document-Kind"] for r in receiver.received)
        assert kinds == ["receipt", "refusal"]
        refusal, = [r for r in receiver.received if r.headers["X-Gateway-Document-Kind"] == "refusal"]
        assert parse_xml(refusal.body, max_bytes=10**6).findtext("g:Position", namespaces=NS) == "2"
    finally:
        runtime.close()
        receiver.stop()
