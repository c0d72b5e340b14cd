"""Inbox entries by callback: what is queued (and what not), the headers and media type of the POST,
entries about no application through dead letter, admin API, web page, CLI and re-drive; and a
rolled-back publication leaves nothing behind."""
from __future__ import annotations

import base64
import re
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gateway.api.app import create_app
from gateway.applications.intake import Channel, accept_submission, check_submission
from gateway.inbox.models import InboxEntry
from gateway.inbox.service import publish
from gateway.persistence.db import transaction
from gateway.persistence.models import Counter, Delivery, Institution
from gateway.persistence.types import utcnow
from signing.httpsig import verify_request
from tests.conftest import ADMIN_PASSWORD, make_settings, seed, staff_headers, start_runtime, upload_materials
from tests.integration.helpers import claim, submit_new
from tests.support import factories
from tests.support import scenarios as s
from tests.support.callbacks import CallbackReceiver

JWS = b"eyJhbGciOiJQUzI1NiJ9.eyJub3RpY2UiOiJ0ZXN0In0.c2lnbmF0dXJl"  # stands in for a signed JWS notice
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def receiver():
    receiver = CallbackReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def refusing():
    receiver = CallbackReceiver(fail_first=10_000).start()
    yield receiver
    receiver.stop()


def gateway(tmp_path, pki, callback_url, **overrides):
    settings = {"sweep_interval_seconds": 0.2, "callback_max_attempts": 1, **overrides}
    runtime = start_runtime(make_settings(tmp_path / "var", pki, **settings))
    seed(runtime, pki, callback_url=callback_url)
    return runtime, TestClient(create_app(runtime), base_url="http://gateway.test")


def bank_id(runtime) -> int:
    with transaction(runtime.sessions) as session:
        return session.scalar(select(Institution.id).where(Institution.code == factories.BANK_CODE))


def publish_notice(runtime, *, deliver: bool = True, content: bytes = JWS) -> None:
    with transaction(runtime.sessions) as session:
        publish(session, institution_id=bank_id(runtime), kind="watch_notice", content=content,
                media_type="application/jose", deliver=deliver, at=utcnow())


def deliveries(runtime) -> list[Delivery]:
    with transaction(runtime.sessions) as session:
        return list(session.scalars(select(Delivery).order_by(Delivery.id)))


def wait_until(predicate, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def test_an_entry_about_no_application_is_posted_with_its_media_type_and_inbox_sequence(tmp_path, pki, receiver):
    runtime, client = gateway(tmp_path, pki, receiver.url)
    with client:
        publish_notice(runtime)
        [callback] = receiver.wait_for(1)
    runtime.close()
    headers = {name.lower(): value for name, value in callback.headers.items()}
    assert callback.body == JWS
    assert headers["content-type"] == "application/jose"
    assert (headers["x-gateway-document-kind"], headers["x-gateway-inbox-sequence"]) == ("watch_notice", "1")
    assert "x-gateway-application-no" not in headers
    verified = verify_request(method="POST", url=receiver.url, headers=callback.headers, body=callback.body,
                              resolve_key=lambda key_id: pki.gateway.certificate.public_key())
    assert verified.key_id == pki.gateway.fingerprint


def test_an_entry_published_without_delivery_is_only_in_the_inbox(tmp_path, pki, receiver):
    runtime, client = gateway(tmp_path, pki, receiver.url)
    with client:
        publish_notice(runtime, deliver=False)
        runtime.wait_idle()
        with transaction(runtime.sessions) as session:
            assert session.scalar(select(func.count()).select_from(InboxEntry)) == 1
    runtime.close()
    assert deliveries(runtime) == [] and receiver.received == []


def test_a_synchronous_receipt_is_not_posted_but_a_batch_items_receipt_is(tmp_path, pki, receiver, bank_auth):
    runtime, client = gateway(tmp_path, pki, receiver.url)
    with client:
        submit_new(client, pki, bank_auth)  # its receipt was the HTTP response
        upload_materials(client, bank_auth)
        body = factories.signed_request(factories.application(), pki.bank)
        checked = check_submission(runtime, body, now=utcnow())
        outcome = accept_submission(runtime, checked, channel=Channel("batch"))
        [callback] = receiver.wait_for(1)
        runtime.wait_idle()
        kinds = [e["kind"] for e in client.get("/v1/inbox", auth=bank_auth).json()["entries"]]
    runtime.close()
    assert kinds == ["receipt", "receipt"]
    assert callback.body == outcome.receipt
    assert callback.headers["X-Gateway-Document-Kind"] == "receipt"
    assert callback.headers["X-Gateway-Application-No"] == outcome.application_no
    assert callback.headers["X-Gateway-Inbox-Sequence"] == "2"
    assert len(receiver.received) == 1


def test_a_supplement_request_goes_to_the_inbox_and_the_callback(tmp_path, pki, receiver, bank_auth):
    runtime, client = gateway(tmp_path, pki, receiver.url)
    with client:
        number = submit_new(client, pki, bank_auth)
        reviewer = staff_headers(client, "reviewer", "reviewer-password-1")
        claim(client, number, reviewer)
        missing = [{"type_code": "MARRIAGE_CERTIFICATE", "reason": "共有人婚姻关系证明缺失"}]
        decided = client.post(f"/v1/review/applications/{number}/decision",
                              json={"decision": "request_supplement", "missing": missing}, headers=reviewer)
        assert decided.status_code == 200, decided.text
        [callback] = receiver.wait_for(1)
        entries = client.get("/v1/inbox", auth=bank_auth).json()["entries"]
        notice = client.get(f"/v1/applications/{number}/documents/supplement_request", auth=bank_auth).content
    runtime.close()
    assert [(e["kind"], e["application_no"]) for e in entries] == [("receipt", number), ("supplement_request", number)]
    assert base64.b64decode(entries[1]["document"]) == callback.body == notice
    assert callback.headers["X-Gateway-Inbox-Sequence"] == "2"


def test_a_rolled_back_publication_leaves_no_entry_no_delivery_and_no_number(tmp_path, pki, receiver):
    runtime, client = gateway(tmp_path, pki, receiver.url)
    with client, pytest.raises(RuntimeError):
        with transaction(runtime.sessions) as session:
            publish(session, institution_id=bank_id(runtime), kind="watch_notice", content=JWS,
                    media_type="application/jose", at=utcnow())
            raise RuntimeError("the producer failed after publishing")
    with transaction(runtime.sessions) as session:
        assert session.scalar(select(func.count()).select_from(InboxEntry)) == 0
        assert session.scalar(select(func.count()).select_from(Counter).where(Counter.name.like("inbox:%"))) == 0
    assert deliveries(runtime) == []
    publish_notice(runtime)  # the next one is number 1
    assert receiver.wait_for(1)[0].headers["X-Gateway-Inbox-Sequence"] == "1"
    runtime.close()


def test_an_unknown_kind_is_refused_before_anything_is_noted(runtime):
    with pytest.raises(ValueError), transaction(runtime.sessions) as session:
        publish(session, institution_id=bank_id(runtime), kind="gossip", content=b"x", media_type="text/plain",
                at=utcnow())


def test_a_dead_letter_about_no_application_shows_in_the_admin_api_web_and_cli_and_is_redriven(
        tmp_path, pki, refusing, receiver, monkeypatch, capsys):
    runtime, client = gateway(tmp_path, pki, refusing.url)
    with client:
        publish_notice(runtime)
        [dead] = wait_until(lambda: [d for d in deliveries(runtime) if d.status == "dead"])
        admin = staff_headers(client, "admin", ADMIN_PASSWORD)
        listed = client.get("/v1/admin/deliveries?status=dead", headers=admin).json()
        shown = client.get(f"/v1/admin/deliveries/{dead.id}", headers=admin).json()

        browser = TestClient(client.app, base_url="http://gateway.test", follow_redirects=False)
        token = CSRF_FIELD.search(browser.get("/login").text).group(1)
        signed_in = browser.post("/login", data={"username": "admin", "password": ADMIN_PASSWORD, "csrf_token": token})
        assert signed_in.status_code == 303
        listing = browser.get("/admin/deliveries")
        page = browser.get(f"/admin/deliveries/{dead.id}")

        capsys.readouterr()
        assert s.run_cli(monkeypatch, runtime, "deliveries", "show", str(dead.id)) == 0
        cli_out = capsys.readouterr().out

        with transaction(runtime.sessions) as session:
            session.scalar(select(Institution).where(Institution.code == factories.BANK_CODE)).callback_url = receiver.url
        redriven = client.post(f"/v1/admin/deliveries/{dead.id}/redrive", headers=admin)
        assert redriven.status_code == 200, redriven.text
        [callback] = receiver.wait_for(1)
    runtime.close()
    assert [(d["id"], d["application_no"], d["document_kind"], d["inbox_sequence"]) for d in listed] == [
        (dead.id, None, "watch_notice", 1)]
    assert (shown["application_no"], shown["document_kind"], shown["institution_code"]) == (
        None, "watch_notice", factories.BANK_CODE)
    assert listing.status_code == 200 and "抵押物权利变动提示" in listing.text
    assert page.status_code == 200 and "不涉及申请" in page.text and "收件箱序号" in page.text
    assert f"delivery {dead.id}: dead, application -, document watch_notice, inbox entry 1" in cli_out
    assert callback.body == JWS and callback.headers["X-Gateway-Inbox-Sequence"] == "1"
