"""The monthly Statement pushed to each institution's inbox once the month is over (docs/interface/quality.md
§7), on SQLite and PostgreSQL: one per institution with activity in the month, signed (xmlsec1), holding the
month's figures; none for an institution without activity; never twice, not even from two sweeps at once;
never for the running month; on the callback too where the institution has one."""
from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import select

from gateway.api.app import create_app
from gateway.inbox.models import InboxEntry
from gateway.persistence.db import read_only, transaction
from gateway.persistence.models import Delivery, Institution
from gateway.persistence.types import utcnow
from gateway.quality.figures import compute
from gateway.quality.models import QualityStatement
from gateway.quality.months import Month
from gateway.quality.statement import build_statement
from gateway.quality.tasks import GRACE, push_monthly_statements, push_statement
from gateway.runtime import Runtime
from gateway.tasks import registry
from gateway.timezone import LOCAL_TZ
from tests.conftest import make_settings, seed, start_runtime
from tests.support import factories
from tests.support import scenarios as s
from tests.support.callbacks import CallbackReceiver
from tests.support.pdf_tools import xml_verifies

NS = {"g": "urn:pingluo-bdc:mortgage-gateway:v1", "ds": "http://www.w3.org/2000/09/xmldsig#"}


@dataclass
class Gateway:
    runtime: Runtime
    client: TestClient
    bank: s.Bank
    other: s.Bank
    receiver: CallbackReceiver
    month: Month  # the running month: the one the tests fill

    @property
    def after(self):
        """A sweep's clock in the next month, past the grace period."""
        return self.month.next().bounds()[0] + GRACE + timedelta(hours=1)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def gateway(request, tmp_path, pki) -> Iterator[Gateway]:
    overrides = {} if request.param == "sqlite" else {"database_url": request.getfixturevalue("postgres_url")}
    receiver = CallbackReceiver().start()
    runtime = start_runtime(make_settings(tmp_path / "var", pki, **overrides))
    seed(runtime, pki, callback_url=receiver.url)  # the test bank has a callback URL, the other bank none
    try:
        with TestClient(create_app(runtime), base_url="http://gateway.test") as client:
            yield Gateway(runtime, client, s.main_bank(pki), s.other_bank(pki), receiver,
                          Month.of(utcnow().astimezone(LOCAL_TZ).date()))
    finally:
        runtime.close()
        receiver.stop()


def _stale(bank: s.Bank, mortgagee) -> bytes:
    return factories.signed_request(s.first(mortgagee=mortgagee, created_at=utcnow().replace(microsecond=0)
                                            - timedelta(days=2)), bank.identity)


def bank_active(gw: Gateway) -> None:
    """The test bank: one application received and one request refused (stale) this month."""
    first = s.first()
    s.upload_for(gw.client, first, gw.bank)
    s.submit_ok(gw.client, first, gw.bank)
    refused = s.post(gw.client, _stale(gw.bank, s.BANK))
    assert refused.json()["code"] == "request.stale"


def other_refused_only(gw: Gateway) -> None:
    """The other bank: no application, one refusal attributed to it."""
    refused = s.post(gw.client, _stale(gw.other, s.OTHER_BANK))
    assert refused.json()["code"] == "request.stale"


def inbox(gw: Gateway, bank: s.Bank) -> list[dict]:
    response = gw.client.get("/v1/inbox", params={"limit": 500}, auth=bank.auth)
    assert response.status_code == 200, response.text
    return response.json()["entries"]


def statements(gw: Gateway, bank: s.Bank) -> list[dict]:
    return [e for e in inbox(gw, bank) if e["kind"] == "statement"]


def institution_id(gw: Gateway, code: str) -> int:
    with read_only(gw.runtime.read_sessions) as session:
        return session.scalar(select(Institution.id).where(Institution.code == code))


def rows(gw: Gateway) -> list[tuple]:
    with read_only(gw.runtime.read_sessions) as session:
        return list(session.execute(select(QualityStatement.institution_id, QualityStatement.month,
                                           QualityStatement.sha256).order_by(QualityStatement.id)).all())


def unsigned(document: bytes) -> bytes:
    root = etree.fromstring(document)
    for signature in root.findall("ds:Signature", NS):
        root.remove(signature)
    return etree.tostring(root, method="c14n")


def test_each_active_institution_gets_its_months_statement_once_signed_and_equal_to_the_figures(gateway, pki):
    gw = gateway
    bank_active(gw)
    assert push_monthly_statements(gw.runtime, now=gw.after) == 1
    (entry,) = statements(gw, gw.bank)
    assert entry["application_no"] is None and entry["media_type"] == "application/xml"
    document = base64.b64decode(entry["document"])
    assert entry["sha256"] == hashlib.sha256(document).hexdigest()
    verified, output = xml_verifies(document, pki.ca_path)
    assert verified, output

    root = etree.fromstring(document)
    assert root.tag == "{urn:pingluo-bdc:mortgage-gateway:v1}Statement"
    assert root.findtext("g:InstitutionCode", namespaces=NS) == factories.BANK_CODE
    assert root.findtext("g:Month", namespaces=NS) == str(gw.month)
    assert root.findtext("g:Complete", namespaces=NS) == "true"
    figures = gw.client.get(f"/v1/quality/{gw.month}", auth=gw.bank.auth).json()
    assert int(root.findtext("g:Applications/g:Received", namespaces=NS)) == figures["applications"]["received"] == 1
    assert int(root.findtext("g:IntakeRefusals/g:Refused", namespaces=NS)) == figures["intake_refusals"]["refused"] == 1
    with read_only(gw.runtime.read_sessions) as session:  # the whole document: the month's figures, nothing else
        month = compute(session, gw.runtime.settings, gw.month, now=gw.after,
                        institution_id=institution_id(gw, factories.BANK_CODE))
    assert unsigned(document) == etree.tostring(build_statement(month, month.institutions[0], issued_at=gw.after),
                                                method="c14n")

    assert statements(gw, gw.other) == []  # no activity in the month: no statement
    assert rows(gw) == [(institution_id(gw, factories.BANK_CODE), str(gw.month), entry["sha256"])]

    # Sweeping again, even an hour later, adds nothing.
    assert push_monthly_statements(gw.runtime, now=gw.after) == 0
    assert push_monthly_statements(gw.runtime, now=gw.after + timedelta(hours=1)) == 0
    assert len(statements(gw, gw.bank)) == 1 and len(rows(gw)) == 1


def test_a_refusal_attributed_to_an_institution_is_activity_enough(gateway, pki):
    gw = gateway
    bank_active(gw)
    other_refused_only(gw)
    assert push_monthly_statements(gw.runtime, now=gw.after) == 2
    (entry,) = statements(gw, gw.other)
    document = base64.b64decode(entry["document"])
    assert xml_verifies(document, pki.ca_path)[0]
    root = etree.fromstring(document)
    assert root.findtext("g:InstitutionCode", namespaces=NS) == factories.OTHER_BANK_CODE
    assert root.findtext("g:Applications/g:Received", namespaces=NS) == "0"
    assert root.findtext("g:IntakeRefusals/g:Refused", namespaces=NS) == "1"
    assert len(statements(gw, gw.bank)) == 1


def test_the_running_month_is_never_sent(gateway):
    gw = gateway
    bank_active(gw)
    assert push_monthly_statements(gw.runtime) == 0  # now: the previous month, in which nothing happened
    just_ended = gw.month.next().bounds()[0] + timedelta(minutes=1)  # the month is over, the grace is not
    assert push_monthly_statements(gw.runtime, now=just_ended) == 0
    assert statements(gw, gw.bank) == [] and rows(gw) == []
    registry.TASKS["quality.statements"](gw.runtime)  # the registered sweep, on the real clock
    assert gw.runtime.wait_idle()
    assert statements(gw, gw.bank) == [] and rows(gw) == []


def test_the_statement_is_queued_for_the_callback_url_and_posted(gateway):
    gw = gateway
    bank_active(gw)
    other_refused_only(gw)
    receipts_before = len(gw.receiver.received)
    assert push_monthly_statements(gw.runtime, now=gw.after) == 2
    (entry,) = statements(gw, gw.bank)
    with read_only(gw.runtime.read_sessions) as session:
        queued = session.execute(select(Delivery.id, Delivery.institution_id, Delivery.url, Delivery.next_attempt_at)
                                 .join(InboxEntry, InboxEntry.id == Delivery.inbox_entry_id)
                                 .where(InboxEntry.kind == "statement")).all()
    # The test bank's statement is queued for its callback; the other bank has no callback URL: pull only.
    assert [(d.institution_id, d.url) for d in queued] == [(institution_id(gw, factories.BANK_CODE), gw.receiver.url)]
    assert queued[0].next_attempt_at == gw.after  # due from the sweep's moment (here, the sweep's clock)
    with transaction(gw.runtime.sessions) as session:  # bring the test's future moment to now, and attempt it
        session.get(Delivery, queued[0].id).next_attempt_at = utcnow()
    registry.TASKS["delivery.attempt"](gw.runtime, queued[0].id)
    assert gw.runtime.wait_idle()
    document = base64.b64decode(entry["document"])
    assert document in [r.body for r in gw.receiver.received[receipts_before:]]


def test_two_sweeps_at_once_push_each_statement_once(gateway):
    gw = gateway
    bank_active(gw)
    other_refused_only(gw)
    start = threading.Barrier(2)
    counts: list[int] = []

    def sweep() -> None:
        start.wait()
        counts.append(push_monthly_statements(gw.runtime, now=gw.after))

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(counts) == 2
    assert len(statements(gw, gw.bank)) == 1 and len(statements(gw, gw.other)) == 1
    assert len(rows(gw)) == 2


def test_a_push_that_loses_the_race_publishes_nothing(gateway):
    """What the later of two concurrent sweeps meets: the month's row is there; its insert fails, it rolls
    back and moves on."""
    gw = gateway
    bank_active(gw)
    bank = institution_id(gw, factories.BANK_CODE)
    assert push_statement(gw.runtime, bank, gw.month, now=gw.after) is True
    assert push_statement(gw.runtime, bank, gw.month, now=gw.after + timedelta(seconds=1)) is False
    assert len(statements(gw, gw.bank)) == 1 and len(rows(gw)) == 1
    sequences = [e["sequence"] for e in inbox(gw, gw.bank)]
    assert sequences == list(range(1, len(sequences) + 1))  # the rolled-back push took no number
