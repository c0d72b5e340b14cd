"""Every callback attempt is kept; a dead letter is logged; re-drive goes to the institution's current
callback URL and keeps the history; the admin API, web pages and CLI show it; bad input changes nothing."""
from __future__ import annotations

import logging
import re
import socket
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gateway.api.app import create_app
from gateway.persistence.db import transaction
from gateway.persistence.models import AdminAction, Delivery, DeliveryAttempt, Institution, OutboxMessage
from gateway.tasks import registry
from tests.conftest import ADMIN_PASSWORD, REVIEWER_PASSWORD, make_settings, seed, staff_headers, start_runtime
from tests.integration.helpers import approve, submit_new
from tests.support import factories
from tests.support import scenarios as s
from tests.support.callbacks import CallbackReceiver

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
BEYOND_ANY_DATABASE = ("9223372036854775808", "99999999999999999999999999")  # 2**63, and far beyond


@pytest.fixture
def receiver():
    receiver = CallbackReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def refusing():
    """A bank's receiver that is down: it answers 500 to everything."""
    receiver = CallbackReceiver(fail_first=10_000).start()
    yield receiver
    receiver.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request) -> str | None:
    return request.getfixturevalue("postgres_url") if request.param == "postgresql" else None


def closed_port_url() -> str:
    """A loopback URL nobody listens on: every POST is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/callbacks/gateway"


def gateway(tmp_path, pki, callback_url: str, database_url: str | None = None, **overrides):
    settings = {"sweep_interval_seconds": 0.2, "callback_max_attempts": 2, "callback_backoff_base_seconds": 0.1,
                "callback_backoff_cap_seconds": 0.1, **overrides}
    if database_url:
        settings["database_url"] = database_url
    runtime = start_runtime(make_settings(tmp_path / "var", pki, **settings))
    seed(runtime, pki, callback_url=callback_url)
    return runtime, TestClient(create_app(runtime), base_url="http://gateway.test")


def deliveries(runtime) -> list[Delivery]:
    with transaction(runtime.sessions) as session:
        return list(session.scalars(select(Delivery).order_by(Delivery.id)))


def all_dead(runtime, count: int) -> list[Delivery]:
    """The deliveries once ``count`` of them are dead letters, else an empty list."""
    dead = [d for d in deliveries(runtime) if d.status == "dead"]
    return dead if len(dead) == count else []


def wait_until(predicate, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def change_bank(runtime, **values) -> None:
    """What the institution admin does (its own tests cover how): a new callback URL, or disabling."""
    with transaction(runtime.sessions) as session:
        bank = session.scalar(select(Institution).where(Institution.code == factories.BANK_CODE))
        for name, value in values.items():
            setattr(bank, name, value)


def dead_letter_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "gateway.delivery" and r.levelno == logging.WARNING]


def snapshot(runtime, delivery_id: int) -> tuple:
    """Everything a refused re-drive must leave as it was."""
    with transaction(runtime.sessions) as session:
        d = session.get(Delivery, delivery_id)
        return (d.status, d.attempts, d.url, d.next_attempt_at, d.last_error, d.lease_until, d.queued_until,
                session.scalar(select(func.count()).select_from(DeliveryAttempt)),
                session.scalar(select(func.count()).select_from(AdminAction)),
                session.scalar(select(func.count()).select_from(OutboxMessage)))


# --- the operator's story ------------------------------------------------------------------------------


def test_a_wrong_callback_url_dead_letters_and_a_redrive_delivers_to_the_corrected_one_keeping_the_history(
        database_url, tmp_path, pki, receiver, bank_auth, caplog):
    caplog.set_level(logging.INFO, logger="gateway.delivery")
    wrong = closed_port_url()
    runtime, client = gateway(tmp_path, pki, wrong, database_url)
    with client:
        number = submit_new(client, pki, bank_auth)
        approve(client, number, staff_headers(client, "reviewer", REVIEWER_PASSWORD))
        # the result, then the certificate's XML twin: both dead letters
        dead, _certificate = wait_until(lambda: all_dead(runtime, 2))
        warnings = wait_until(lambda: len(dead_letter_warnings(caplog)) == 2 and dead_letter_warnings(caplog))
        [warning] = [w for w in warnings if f"delivery {dead.id} " in w]
        change_bank(runtime, callback_url=receiver.url)
        admin = staff_headers(client, "admin", ADMIN_PASSWORD)
        redriven = client.post(f"/v1/admin/deliveries/{dead.id}/redrive", headers=admin)
        assert redriven.status_code == 200, redriven.text
        assert redriven.json()["url"] == receiver.url
        assert len(receiver.wait_for(1)) == 1
        wait_until(lambda: deliveries(runtime)[0].status == "delivered")
        shown = client.get(f"/v1/admin/deliveries/{dead.id}", headers=admin).json()
    runtime.close()
    assert f"delivery {dead.id} dead-lettered after 2 attempt(s)" in warning
    assert f"application {number}, document result, institution {factories.BANK_CODE}" in warning
    assert [(a["outcome"], a["url"]) for a in shown["history"]] == [
        ("failed", wrong), ("dead", wrong), ("delivered", receiver.url)]
    assert [a["error"] for a in shown["history"]] == ["ConnectError", "ConnectError", None]
    assert [a["status_code"] for a in shown["history"]] == [None, None, 204]
    assert all(a["duration_ms"] >= 0 for a in shown["history"])
    assert (shown["status"], shown["attempts"], shown["url"]) == ("delivered", 1, receiver.url)
    assert [r["actor"] for r in shown["redrives"]] == ["admin"]


def test_a_redrive_is_recorded_with_who_and_where_to(tmp_path, pki, refusing, receiver, bank_auth):
    runtime, client = gateway(tmp_path, pki, refusing.url, callback_max_attempts=1)
    with client:
        number = submit_new(client, pki, bank_auth)
        approve(client, number, staff_headers(client, "reviewer", REVIEWER_PASSWORD))
        dead = wait_until(lambda: [d for d in deliveries(runtime) if d.status == "dead"])[0]
        change_bank(runtime, callback_url=receiver.url + "?token=kept-out-of-the-record")
        admin = staff_headers(client, "admin", ADMIN_PASSWORD)
        response = client.post(f"/v1/admin/deliveries/{dead.id}/redrive", headers=admin)
        assert response.status_code == 200, response.text
    with transaction(runtime.sessions) as session:
        action = session.scalar(select(AdminAction).where(AdminAction.subject_kind == "delivery"))
    runtime.close()
    assert (action.actor, action.action, action.subject) == ("admin", "delivery.redrive", str(dead.id))
    assert action.details == {"institution": factories.BANK_CODE, "url": receiver.url, "url_changed": True,
                              "attempts_before": 1}
    assert action.request_id == response.headers.get("X-Request-ID", action.request_id)


def test_a_pending_delivery_goes_to_the_institutions_current_url_at_its_next_attempt(
        tmp_path, pki, refusing, receiver, bank_auth):
    runtime, client = gateway(tmp_path, pki, refusing.url, sweep_interval_seconds=3600, callback_max_attempts=5)
    with client:
        number = submit_new(client, pki, bank_auth)
        approve(client, number, staff_headers(client, "reviewer", REVIEWER_PASSWORD))
        pending, _certificate = deliveries(runtime)
        assert (pending.status, pending.attempts) == ("pending", 1)
        change_bank(runtime, callback_url=receiver.url)
        time.sleep(0.15)  # the retry is due after 0.1 s
        registry.run(runtime, "delivery.attempt", [pending.id])
    delivered, _certificate = deliveries(runtime)
    with transaction(runtime.sessions) as session:
        history = [(a.outcome, a.url) for a in session.scalars(
            select(DeliveryAttempt).where(DeliveryAttempt.delivery_id == pending.id).order_by(DeliveryAttempt.id))]
    runtime.close()
    assert len(receiver.received) == 1 and refusing.attempts == 2  # the result's and the certificate's
    assert (delivered.status, delivered.url) == ("delivered", receiver.url)
    assert history == [("failed", refusing.url), ("delivered", receiver.url)]


@pytest.mark.parametrize(("change", "reason"), [
    ({"callback_url": None}, "no callback URL"),
], ids=["no-callback-url"])
def test_a_pending_delivery_that_can_no_longer_be_sent_is_dead_lettered_without_a_post(
        tmp_path, pki, refusing, bank_auth, caplog, change, reason):
    caplog.set_level(logging.INFO, logger="gateway.delivery")
    runtime, client = gateway(tmp_path, pki, refusing.url, sweep_interval_seconds=3600, callback_max_attempts=5)
    with client:
        number = submit_new(client, pki, bank_auth)
        approve(client, number, staff_headers(client, "reviewer", REVIEWER_PASSWORD))
        pending, _certificate = deliveries(runtime)
        change_bank(runtime, **change)
        time.sleep(0.15)
        registry.run(runtime, "delivery.attempt", [pending.id])
    dead, _certificate = deliveries(runtime)
    with transaction(runtime.sessions) as session:
        last = session.scalars(select(DeliveryAttempt).order_by(DeliveryAttempt.id.desc())).first()
    runtime.close()
    assert refusing.attempts == 2  # the result's and the certificate's first attempts
    assert (dead.status, dead.last_error) == ("dead", reason)
    assert (last.outcome, last.error, last.status_code, last.duration_ms) == ("dead", reason, None, None)
    [warning] = dead_letter_warnings(caplog)
    assert f"delivery {dead.id} dead-lettered" in warning and reason in warning


# --- refusals: each with its code, nothing changed --------------------------------------------------------


@pytest.fixture
def dead_letter(tmp_path, pki, refusing, bank_auth):
    """A gateway with a dead-lettered result (one attempt allowed), and an admin's token. (The
    certificate's XML twin, delivered after the result, is a dead letter too.)"""
    runtime, client = gateway(tmp_path, pki, refusing.url, sweep_interval_seconds=3600, callback_max_attempts=1)
    with client:
        number = submit_new(client, pki, bank_auth)
        approve(client, number, staff_headers(client, "reviewer", REVIEWER_PASSWORD))
        dead, certificate = deliveries(runtime)
        assert dead.status == certificate.status == "dead"
        yield runtime, client, dead.id, staff_headers(client, "admin", ADMIN_PASSWORD)
    runtime.close()


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_an_unknown_delivery_is_not_found(dead_letter, method):
    runtime, client, delivery_id, admin = dead_letter
    before = snapshot(runtime, delivery_id)
    path = f"/v1/admin/deliveries/{delivery_id + 1000}" + ("/redrive" if method == "POST" else "")
    response = client.request(method, path, headers=admin)
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert snapshot(runtime, delivery_id) == before


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("delivery_id", [*BEYOND_ANY_DATABASE, "0", "-1"])
def test_an_id_no_database_can_hold_is_not_found(dead_letter, method, delivery_id):
    runtime, client, existing, admin = dead_letter
    before = snapshot(runtime, existing)
    path = f"/v1/admin/deliveries/{delivery_id}" + ("/redrive" if method == "POST" else "")
    response = client.request(method, path, headers=admin)
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert snapshot(runtime, existing) == before


def test_redriving_a_delivered_delivery_is_refused(tmp_path, pki, receiver, bank_auth):
    runtime, client = gateway(tmp_path, pki, receiver.url, sweep_interval_seconds=3600)
    with client:
        number = submit_new(client, pki, bank_auth)
        approve(client, number, staff_headers(client, "reviewer", REVIEWER_PASSWORD))
        delivered, _certificate = deliveries(runtime)
        assert delivered.status == "delivered"
        before = snapshot(runtime, delivered.id)
        response = client.post(f"/v1/admin/deliveries/{delivered.id}/redrive",
                               headers=staff_headers(client, "admin", ADMIN_PASSWORD))
        assert (response.status_code, response.json()["code"]) == (409, "delivery.not_dead")
        assert snapshot(runtime, delivered.id) == before
    runtime.close()
    assert len(receiver.received) == 2  # the result and the certificate, once each


def test_redriving_a_pending_delivery_is_refused(tmp_path, pki, refusing, bank_auth):
    runtime, client = gateway(tmp_path, pki, refusing.url, sweep_interval_seconds=3600, callback_max_attempts=5,
                              callback_backoff_base_seconds=600, callback_backoff_cap_seconds=600)
    with client:
        number = submit_new(client, pki, bank_auth)
        approve(client, number, staff_headers(client, "reviewer", REVIEWER_PASSWORD))
        pending, _certificate = deliveries(runtime)
        assert pending.status == "pending"
        before = snapshot(runtime, pending.id)
        response = client.post(f"/v1/admin/deliveries/{pending.id}/redrive",
                               headers=staff_headers(client, "admin", ADMIN_PASSWORD))
        assert (response.status_code, response.json()["code"]) == (409, "delivery.not_dead")
        assert snapshot(runtime, pending.id) == before
    runtime.close()


@pytest.mark.parametrize(("change", "code"), [
    ({"callback_url": None}, "delivery.no_callback_url"),
], ids=["no-callback-url"])
def test_a_redrive_is_refused_while_the_institution_cannot_receive(dead_letter, refusing, change, code):
    runtime, client, delivery_id, admin = dead_letter
    change_bank(runtime, **change)
    before = snapshot(runtime, delivery_id)
    response = client.post(f"/v1/admin/deliveries/{delivery_id}/redrive", headers=admin)
    assert (response.status_code, response.json()["code"]) == (409, code)
    assert snapshot(runtime, delivery_id) == before
    assert refusing.attempts == 2  # the result's and the certificate's only attempts


def test_the_delivery_routes_are_for_admins_only(dead_letter):
    runtime, client, delivery_id, _ = dead_letter
    before = snapshot(runtime, delivery_id)
    reviewer = staff_headers(client, "reviewer", REVIEWER_PASSWORD)
    assert client.get(f"/v1/admin/deliveries/{delivery_id}", headers=reviewer).status_code == 403
    assert client.post(f"/v1/admin/deliveries/{delivery_id}/redrive", headers=reviewer).status_code == 403
    assert client.get(f"/v1/admin/deliveries/{delivery_id}").status_code == 401
    assert snapshot(runtime, delivery_id) == before


# --- the admin web pages -----------------------------------------------------------------------------------


def sign_in(app, username: str, password: str) -> tuple[TestClient, str]:
    browser = TestClient(app, base_url="http://gateway.test", follow_redirects=False)
    token = CSRF_FIELD.search(browser.get("/login").text).group(1)
    signed_in = browser.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert signed_in.status_code == 303, signed_in.text
    page = browser.get(signed_in.headers["location"], follow_redirects=True)
    return browser, CSRF_FIELD.search(page.text).group(1)


def test_the_admin_page_lists_dead_letters_and_redrives_one_to_the_current_url(dead_letter, receiver):
    runtime, client, delivery_id, _ = dead_letter
    browser, csrf = sign_in(client.app, "admin", ADMIN_PASSWORD)
    listing = browser.get("/admin/deliveries")
    assert listing.status_code == 200
    assert f'action="/admin/deliveries/{delivery_id}/redrive"' in listing.text and "HTTP 500" in listing.text
    change_bank(runtime, callback_url=receiver.url)
    redriven = browser.post(f"/admin/deliveries/{delivery_id}/redrive", data={"csrf_token": csrf})
    assert redriven.status_code == 303
    assert redriven.headers["location"] == f"/admin/deliveries/{delivery_id}?done=redrive"
    receiver.wait_for(1)
    wait_until(lambda: deliveries(runtime)[0].status == "delivered")
    page = browser.get(redriven.headers["location"])
    assert page.status_code == 200 and "已重新投递" in page.text
    assert "失败，转为死信" in page.text and "送达" in page.text and receiver.url in page.text
    assert re.search(r"重新投递</th><td>[0-9-]+ [0-9:]+，admin</td>", page.text)
    assert f'action="/admin/deliveries/{delivery_id}/redrive"' not in browser.get("/admin/deliveries?status=all").text


def test_the_admin_page_filters_by_status(dead_letter):
    _, client, delivery_id, _ = dead_letter
    browser, _ = sign_in(client.app, "admin", ADMIN_PASSWORD)
    assert f'href="/admin/deliveries/{delivery_id}"' in browser.get("/admin/deliveries?status=dead").text
    assert f'href="/admin/deliveries/{delivery_id}"' not in browser.get("/admin/deliveries?status=delivered").text


def test_a_web_redrive_without_the_csrf_token_is_refused(dead_letter):
    runtime, client, delivery_id, _ = dead_letter
    browser, _ = sign_in(client.app, "admin", ADMIN_PASSWORD)
    before = snapshot(runtime, delivery_id)
    assert browser.post(f"/admin/deliveries/{delivery_id}/redrive", data={}).status_code == 403
    assert snapshot(runtime, delivery_id) == before


def test_a_web_redrive_the_gateway_refuses_shows_why_in_chinese(dead_letter):
    runtime, client, delivery_id, _ = dead_letter
    change_bank(runtime, callback_url=None)
    browser, csrf = sign_in(client.app, "admin", ADMIN_PASSWORD)
    assert "请先在“机构”页面设置回调地址" in browser.get(f"/admin/deliveries/{delivery_id}").text
    before = snapshot(runtime, delivery_id)
    refused = browser.post(f"/admin/deliveries/{delivery_id}/redrive", data={"csrf_token": csrf})
    assert refused.status_code == 409 and "该机构当前没有回调地址" in refused.text
    assert snapshot(runtime, delivery_id) == before


@pytest.mark.parametrize("delivery_id", ["987654", BEYOND_ANY_DATABASE[0]])
def test_the_admin_page_of_an_unknown_delivery_is_not_found(dead_letter, delivery_id):
    _, client, _, _ = dead_letter
    browser, _ = sign_in(client.app, "admin", ADMIN_PASSWORD)
    assert browser.get(f"/admin/deliveries/{delivery_id}").status_code == 404


def test_the_admin_pages_refuse_a_reviewer(dead_letter):
    runtime, client, delivery_id, _ = dead_letter
    browser, csrf = sign_in(client.app, "reviewer", REVIEWER_PASSWORD)
    before = snapshot(runtime, delivery_id)
    assert browser.get("/admin/deliveries").status_code == 403
    assert browser.get(f"/admin/deliveries/{delivery_id}").status_code == 403
    assert browser.post(f"/admin/deliveries/{delivery_id}/redrive", data={"csrf_token": csrf}).status_code == 403
    assert snapshot(runtime, delivery_id) == before


# --- the CLI -------------------------------------------------------------------------------------------------


def test_the_cli_shows_a_delivery_with_every_attempt(dead_letter, monkeypatch, capsys):
    runtime, _, delivery_id, _ = dead_letter
    capsys.readouterr()
    assert s.run_cli(monkeypatch, runtime, "deliveries", "show", str(delivery_id)) == 0
    out = capsys.readouterr().out
    assert f"delivery {delivery_id}: dead" in out and factories.BANK_CODE in out
    attempt_line = (r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\tdead\t500\t\d+"
                    r"\thttp://127\.0\.0\.1:\d+/callbacks/gateway\tHTTP 500$")
    assert re.search(attempt_line, out, re.MULTILINE), out


def test_the_cli_redrives_to_the_current_url_and_records_the_operator(dead_letter, receiver, monkeypatch, capsys):
    runtime, _, delivery_id, _ = dead_letter
    change_bank(runtime, callback_url=receiver.url)
    assert s.run_cli(monkeypatch, runtime, "deliveries", "redrive", str(delivery_id)) == 0
    assert f"delivery {delivery_id} re-driven to {receiver.url}" in capsys.readouterr().out
    receiver.wait_for(1)
    with transaction(runtime.sessions) as session:
        action = session.scalar(select(AdminAction).where(AdminAction.subject_kind == "delivery"))
    assert action.actor.startswith("cli:") and action.action == "delivery.redrive"


@pytest.mark.parametrize("delivery_id", ["987654", BEYOND_ANY_DATABASE[1]])
def test_the_cli_refuses_an_unknown_delivery(dead_letter, monkeypatch, capsys, delivery_id):
    runtime, _, existing, _ = dead_letter
    before = snapshot(runtime, existing)
    assert s.run_cli(monkeypatch, runtime, "deliveries", "redrive", delivery_id) == 1
    assert "error [not_found]" in capsys.readouterr().err
    assert snapshot(runtime, existing) == before
