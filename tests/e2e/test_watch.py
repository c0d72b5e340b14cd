"""Title watch against real processes: `gateway serve` runs; the operator imports a seizure with the
`gateway register import` command (a process of its own); the bank holding a mortgage on the unit
receives the signed watch notice on its callback URL and finds the same bytes in its inbox.

The bank checks everything as its integration would: the gateway's HTTP signature on the callback,
the XML signature against the gateway certificate, the document against the published schema.
"""
from __future__ import annotations

import base64

import pytest
from lxml import etree

from signing.httpsig import verify_request
from tests.support import factories, scenarios as s
from tests.support.onboarding import (  # noqa: F401 - receiver is the fixture
    add_bank, bank_http, celery_env, drop_queue, receiver)
from tests.support.processes import cli, gateway_env, start_server, start_worker
from tests.support.watch import BANK, RULING, UNIT, row, seizure, text, verified, write_csv


def onboard(env, pki, receiver, tmp_path) -> None:
    """The operator registers the bank, then imports the unit with the bank's mortgage on it."""
    cli(env, "db", "upgrade")
    add_bank(env, pki, callback_url=receiver.url)
    mortgagors = factories.application().mortgagors
    rows = [{"record_type": "UNIT", "unit_code": UNIT, "location": "平罗县城关镇测试路1号1单元101室",
             "use": "RESIDENTIAL", "state": "TITLED"},
            *[{"record_type": "OWNER", "unit_code": UNIT, "name": m.name, "id_type": "RESIDENT_ID",
               "id_number": m.id_number, "share": "1/2"} for m in mortgagors],
            row("MORTGAGE", certificate_no=s.EXISTING_NO, mortgagee_code=BANK, mortgagee_name="平罗县测试商业银行",
                kind="GENERAL", priority="1", secured_amount="500000.00",
                mortgagor_id_numbers=";".join(m.id_number for m in mortgagors), registered_on="2025-03-03")]
    out = cli(env, "register", "import", str(write_csv(tmp_path / "register.csv", rows)))
    assert "1 mortgage" in out


def import_seizure_and_check_the_notice(env, base_url: str, pki, receiver, tmp_path) -> None:
    cli(env, "register", "import", str(write_csv(tmp_path / "seizure.csv", [seizure()])))

    [delivered] = receiver.wait_for(1, timeout=60)
    assert receiver.attempts >= 2  # the first try was answered 500 and retried
    signed_by = verify_request(method="POST", url=receiver.url, headers=delivered.headers, body=delivered.body,
                               resolve_key=lambda key_id: pki.gateway.certificate.public_key())
    assert signed_by.key_id == pki.gateway.fingerprint
    assert delivered.headers["X-Gateway-Document-Kind"] == "watch_notice"
    assert "X-Gateway-Application-No" not in delivered.headers  # a notice concerns no application
    assert delivered.headers["Content-Type"].startswith("application/xml")
    notice = verified(delivered.body, pki.gateway.cert_pem)
    assert (text(notice, "g:UnitCode"), text(notice, "g:Event/g:Kind"), text(notice, "g:Event/g:Reference"),
            text(notice, "g:WatchedBy/g:Mortgage/g:CertificateNo")) == (UNIT, "SEIZURE", RULING, s.EXISTING_NO)

    bank = bank_http(base_url, pki)
    inbox = bank.get("/v1/inbox", params={"limit": 100})
    assert inbox.status_code == 200, inbox.text
    watch = [entry for entry in inbox.json()["entries"] if entry["kind"] == "watch_notice"]
    assert [base64.b64decode(entry["document"]) for entry in watch] == [delivered.body]
    assert [entry["application_no"] for entry in watch] == [None]

    # The operator runs the same file again: nothing new reaches the bank.
    cli(env, "register", "import", str(write_csv(tmp_path / "seizure.csv", [seizure()])))
    again = bank.get("/v1/inbox", params={"limit": 100}).json()["entries"]
    assert [entry for entry in again if entry["kind"] == "watch_notice"] == watch
    assert len(receiver.received) == 1
    assert etree.QName(notice).localname == "WatchNotice"


def test_a_seizure_imported_while_the_gateway_runs_reaches_the_banks_callback_and_inbox(tmp_path, pki, receiver):
    env = gateway_env(tmp_path / "var", pki)
    onboard(env, pki, receiver, tmp_path)
    server, base_url = start_server(env, tmp_path)
    try:
        import_seizure_and_check_the_notice(env, base_url, pki, receiver, tmp_path)
    finally:
        server.stop()


@pytest.mark.services
def test_a_seizure_imported_on_postgresql_is_published_by_the_celery_worker(
        tmp_path, pki, receiver, postgres_url, redis_server):
    env, queue = celery_env(tmp_path, pki, postgres_url, redis_server)
    onboard(env, pki, receiver, tmp_path)
    worker = start_worker(env, tmp_path)
    server, base_url = start_server(env, tmp_path)
    try:
        import_seizure_and_check_the_notice(env, base_url, pki, receiver, tmp_path)
        assert "watch.publish" in worker.log()  # the worker signed and published it
    finally:
        server.stop()
        worker.stop()
        drop_queue(redis_server, queue)
