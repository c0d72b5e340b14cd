"""The tamper-evident audit trail: what is recorded, and that tampering is found (SQLite and PostgreSQL)."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from gateway.api.app import create_app
from gateway.audit.chain import entry_hash
from gateway.audit.checkpoints import checkpoint_sweep, make_checkpoint
from gateway.audit.models import AuditCheckpoint, AuditEntry
from gateway.audit.verify import verify
from gateway.keys import load_trust_store
from gateway.persistence.db import read_only, transaction
from tests.conftest import ADMIN_PASSWORD, REVIEWER_PASSWORD, make_settings, seed, staff_headers, start_runtime
from tests.integration.helpers import approve, submit_new
from tests.support.scenarios import run_cli
from tests.support.report import checked as show_checked


@pytest.fixture(params=["sqlite", "postgresql"])
def any_runtime(request, tmp_path, pki):
    overrides = {}
    if request.param == "postgresql":
        overrides["database_url"] = request.getfixturevalue("postgres_url")
    runtime = start_runtime(make_settings(tmp_path / "var", pki, **overrides))
    seed(runtime, pki)
    yield runtime
    runtime.close()


@pytest.fixture
def any_client(any_runtime):
    with TestClient(create_app(any_runtime), base_url="http://gateway.test") as test_client:
        yield test_client


def checked(runtime):
    with read_only(runtime.read_sessions) as session:
        return verify(session, trusted=tuple(load_trust_store(runtime.settings).anchors),
                      current=runtime.signer.certificate)


def entries(runtime) -> list[AuditEntry]:
    with read_only(runtime.read_sessions) as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))


def report_line(name: str, report) -> None:
    show_checked(f"[audit] {name}: entries {report.entries}, checkpoints {report.checkpoints} "
          f"({report.checkpoints_valid} valid), problems {report.problem_count}; first: {report.first}")


@pytest.fixture
def worked(any_runtime, any_client, pki, bank_auth):
    """An application submitted, opened by a reviewer, approved; its status read by the bank; evidence
    exported by an admin; a staff account created by an admin."""
    number = submit_new(any_client, pki, bank_auth)
    reviewer = staff_headers(any_client, "reviewer", REVIEWER_PASSWORD)
    assert any_client.get(f"/v1/review/applications/{number}", headers=reviewer).status_code == 200
    approve(any_client, number, reviewer)
    assert any_client.get(f"/v1/applications/{number}", auth=bank_auth).status_code == 200
    admin = staff_headers(any_client, "admin", ADMIN_PASSWORD)
    assert any_client.get(f"/v1/admin/applications/{number}/evidence", headers=admin).status_code == 200
    created = any_client.post("/v1/admin/staff", headers=admin,
                              json={"username": "reviewer7", "role": "reviewer", "password": "long-password-7"})
    assert created.status_code == 201, created.text
    return number


def test_state_changes_decisions_sign_ins_admin_actions_documents_and_reads_are_all_chained(any_runtime, worked):
    rows = entries(any_runtime)
    actions = [(e.action, e.actor, e.actor_role) for e in rows]
    for expected in [("application.submit", "91640221MA76B3KX0N", "institution"),
                     ("staff.sign_in", "reviewer", "reviewer"), ("application.claim", "reviewer", "reviewer"),
                     ("application.approve", "reviewer", "reviewer"), ("staff.sign_in", "admin", "admin"),
                     ("admin.staff.create", "admin", "admin")]:
        assert expected in actions, expected
    assert {e.details["kind"] for e in rows if e.action == "document.store"} >= {"request", "receipt", "result"}
    reads = {(e.actor_role, e.details["what"], e.purpose) for e in rows if e.action == "data.read"}
    assert reads >= {("reviewer", "review.view", worked), ("institution", "status", worked),
                     ("admin", "evidence.export", worked)}
    assert [e.seq for e in rows] == list(range(1, len(rows) + 1))
    report = checked(any_runtime)
    report_line("intact chain", report)
    assert report.ok and report.entries == len(rows)


def test_no_entry_holds_an_id_number_or_a_name(any_runtime, worked):
    for e in entries(any_runtime):
        text_of_entry = repr((e.actor, e.subject, e.purpose, e.details, e.unit_codes))
        assert "640221198503150018" not in text_of_entry and "王建国" not in text_of_entry
        assert all(len(index) == 64 for index in e.person_indexes)


def test_a_rolled_back_change_leaves_no_entry_and_no_gap(any_runtime, worked):
    from gateway import audit

    before = len(entries(any_runtime))
    with pytest.raises(RuntimeError):
        with transaction(any_runtime.sessions) as session:
            audit.record(session, actor="x", actor_role="system", action="test.rolled_back", subject_kind="test",
                         subject="1")
            raise RuntimeError("the change failed")
    with transaction(any_runtime.sessions) as session:
        audit.record(session, actor="x", actor_role="system", action="test.kept", subject_kind="test", subject="2")
    rows = entries(any_runtime)
    assert len(rows) == before + 1 and rows[-1].action == "test.kept" and rows[-1].seq == before + 1
    assert checked(any_runtime).ok


def tamper(runtime, statement: str, **values) -> None:
    """Raw SQL, as a database administrator would change the table behind the gateway's back."""
    with runtime.engine.begin() as connection:
        connection.execute(text(statement), values)


def test_an_altered_entry_is_named(any_runtime, worked):
    target = entries(any_runtime)[4].seq
    tamper(any_runtime, "UPDATE audit_entries SET actor = 'someone-else' WHERE seq = :seq", seq=target)
    report = checked(any_runtime)
    report_line("altered", report)
    assert not report.ok
    assert (report.first.seq, report.first.kind) == (target, "altered")


def test_an_altered_and_rehashed_entry_breaks_the_next_link(any_runtime, worked):
    rows = entries(any_runtime)
    target = rows[4]
    target.actor = "someone-else"
    tamper(any_runtime, "UPDATE audit_entries SET actor = 'someone-else', entry_hash = :h WHERE seq = :seq",
           h=entry_hash(target), seq=target.seq)
    report = checked(any_runtime)
    report_line("altered and re-hashed", report)
    assert (report.first.seq, report.first.kind) == (target.seq + 1, "broken_link")


def test_a_deleted_entry_is_named(any_runtime, worked):
    target = entries(any_runtime)[6].seq
    tamper(any_runtime, "DELETE FROM audit_lookups WHERE seq = :seq", seq=target)
    tamper(any_runtime, "DELETE FROM audit_entries WHERE seq = :seq", seq=target)
    report = checked(any_runtime)
    report_line("deleted", report)
    assert (report.first.seq, report.first.kind) == (target, "deleted")
    assert f"entry {target} is missing" in report.first.detail


def test_an_inserted_entry_is_named(any_runtime, worked):
    """A forged entry slipped in at position k, correctly linked to k-1 and correctly hashed; the
    later entries renumbered to make room."""
    rows = entries(any_runtime)
    k = rows[5].seq
    tamper(any_runtime, "DELETE FROM audit_lookups WHERE seq >= :k", k=k)  # the lookups are not chained
    # Two steps: a unique key need not hold half-way through on PostgreSQL.
    tamper(any_runtime, "UPDATE audit_entries SET seq = -seq - 1 WHERE seq >= :k", k=k)
    tamper(any_runtime, "UPDATE audit_entries SET seq = -seq WHERE seq < 0")
    forged = AuditEntry(seq=k, at=rows[5].at, actor="reviewer", actor_role="reviewer", action="data.read",
                        subject_kind="application", subject=worked, unit_codes=[], person_indexes=[],
                        purpose=worked, details={"what": "review.view"}, prev_hash=rows[4].entry_hash)
    forged.entry_hash = entry_hash(forged)
    with transaction(any_runtime.sessions) as session:
        session.add(forged)
    report = checked(any_runtime)
    report_line("inserted", report)
    assert (report.first.seq, report.first.kind) == (k, "inserted")


def test_an_entry_appended_behind_the_gateways_back_is_found(any_runtime, worked):
    last = entries(any_runtime)[-1]
    forged = AuditEntry(seq=last.seq + 1, at=last.at, actor="x", actor_role="system", action="data.read",
                        subject_kind="application", subject=worked, unit_codes=[], person_indexes=[], purpose=None,
                        details=None, prev_hash=last.entry_hash)
    forged.entry_hash = entry_hash(forged)
    with transaction(any_runtime.sessions) as session:
        session.add(forged)
    report = checked(any_runtime)
    assert (report.first.seq, report.first.kind) == (last.seq + 1, "inserted")


def test_a_checkpoint_is_signed_and_verifies(any_runtime, worked):
    checkpoint = make_checkpoint(any_runtime)
    assert checkpoint.seq == entries(any_runtime)[-1].seq
    assert make_checkpoint(any_runtime) is None  # nothing new to sign
    report = checked(any_runtime)
    report_line("checkpoint", report)
    assert report.ok and report.checkpoints == report.checkpoints_valid == 1


def test_a_tampered_checkpoint_signature_is_found(any_runtime, worked):
    checkpoint = make_checkpoint(any_runtime)
    tamper(any_runtime, "UPDATE audit_checkpoints SET seq = :seq WHERE id = :id", seq=checkpoint.seq - 1,
           id=checkpoint.id)
    report = checked(any_runtime)
    report_line("tampered checkpoint", report)
    assert report.first.kind == "checkpoint" and "signature does not hold" in report.first.detail
    assert report.checkpoints_valid == 0


def test_a_checkpoint_signed_by_another_key_is_refused(any_runtime, worked, pki):
    from cryptography.hazmat.primitives import serialization

    make_checkpoint(any_runtime)
    stranger = pki.untrusted.certificate.public_bytes(serialization.Encoding.PEM).decode()
    tamper(any_runtime, "UPDATE audit_checkpoints SET certificate_pem = :pem", pem=stranger)
    assert "neither the gateway's nor issued by a trust anchor" in checked(any_runtime).first.detail


def test_a_consistently_rewritten_chain_is_caught_by_its_checkpoint(any_runtime, worked):
    """Whoever alters an entry and recomputes every later hash fools the chain, not the signed checkpoint."""
    make_checkpoint(any_runtime)
    rows = entries(any_runtime)
    previous = rows[2].entry_hash
    for row in rows[3:]:
        if row.seq == rows[3].seq:
            row.actor = "someone-else"
        row.prev_hash = previous
        row.entry_hash = previous = entry_hash(row)
        tamper(any_runtime, "UPDATE audit_entries SET actor = :a, prev_hash = :p, entry_hash = :h WHERE seq = :s",
               a=row.actor, p=row.prev_hash, h=row.entry_hash, s=row.seq)
    report = checked(any_runtime)
    report_line("rewritten chain", report)
    assert report.problem_count == 1 and report.first.kind == "checkpoint"
    assert "the chain up to it was rewritten" in report.first.detail


def test_the_sweep_signs_a_checkpoint_after_n_entries(tmp_path, pki):
    runtime = start_runtime(make_settings(tmp_path / "var", pki, audit_checkpoint_entries=3))
    try:
        seed(runtime, pki)
        from gateway import audit

        with transaction(runtime.sessions) as session:
            audit.record(session, actor="x", actor_role="system", action="test.one", subject_kind="test", subject="1")
        checkpoint_sweep(runtime)
        with read_only(runtime.read_sessions) as session:
            assert session.scalar(select(func.count()).select_from(AuditCheckpoint)) == 1  # the first: at once
        with transaction(runtime.sessions) as session:
            audit.record(session, actor="x", actor_role="system", action="test.two", subject_kind="test", subject="2")
        checkpoint_sweep(runtime)
        with read_only(runtime.read_sessions) as session:
            assert session.scalar(select(func.count()).select_from(AuditCheckpoint)) == 1  # 1 new entry < 3
        for n in range(3):
            with transaction(runtime.sessions) as session:
                audit.record(session, actor="x", actor_role="system", action="test.more", subject_kind="test",
                             subject=str(n))
        checkpoint_sweep(runtime)
        with read_only(runtime.read_sessions) as session:
            assert session.scalar(select(func.count()).select_from(AuditCheckpoint)) == 2
    finally:
        runtime.close()


def test_gateway_audit_verify_reports_counts_and_fails_on_tampering(any_runtime, worked, monkeypatch, capsys):
    assert run_cli(monkeypatch, any_runtime, "audit", "checkpoint") == 0
    assert "checkpoint signed up to entry" in capsys.readouterr().out
    assert run_cli(monkeypatch, any_runtime, "audit", "verify") == 0
    out = capsys.readouterr().out
    assert "problems 0" in out and "checkpoints 1, valid 1" in out and "audit trail intact" in out
    target = entries(any_runtime)[3].seq
    tamper(any_runtime, "UPDATE audit_entries SET action = 'data.read' WHERE seq = :seq", seq=target)
    assert run_cli(monkeypatch, any_runtime, "audit", "verify") == 1
    assert f"FIRST PROBLEM: entry {target}: altered" in capsys.readouterr().out


def test_a_read_is_not_answered_when_its_entry_cannot_be_written(client, pki, bank_auth, monkeypatch):
    number = submit_new(client, pki, bank_auth)

    def broken(runtime, entries):
        raise OSError("disk full")

    monkeypatch.setattr("gateway.audit.reads.write_reads", broken)
    response = client.get(f"/v1/applications/{number}", auth=bank_auth)
    assert response.status_code == 503 and response.json()["code"] == "audit.unavailable"
    assert number not in response.text


def test_a_refused_read_records_nothing(client, runtime, reviewer):
    before = len(entries(runtime))
    assert client.get("/v1/review/applications/640221209901010000001", headers=reviewer).status_code == 404
    assert len(entries(runtime)) == before


def test_many_readers_and_writers_at_once_neither_deadlock_nor_lose_an_entry(tmp_path, pki, bank_auth):
    """Embedded mode with a small thread pool: reads that record themselves, alongside claims and
    releases that hold the write gate, all finish, and every read has its entry."""
    runtime = start_runtime(make_settings(tmp_path / "var", pki, api_threads=4))
    seed(runtime, pki)
    try:
        with TestClient(create_app(runtime), base_url="http://gateway.test") as client:
            number = submit_new(client, pki, bank_auth)
            reviewer = staff_headers(client, "reviewer", REVIEWER_PASSWORD)
            before = len(entries(runtime))
            reads, cycles = 40, 10

            def read(_):
                return client.get(f"/v1/applications/{number}", auth=bank_auth).status_code

            def claim_and_release(_):
                first = client.post(f"/v1/review/applications/{number}/claim", headers=reviewer).status_code
                second = client.post(f"/v1/review/applications/{number}/release", headers=reviewer).status_code
                return first, second

            started = time.monotonic()
            with ThreadPoolExecutor(max_workers=12) as pool:
                read_results = pool.map(read, range(reads))
                write_results = pool.map(claim_and_release, range(cycles))
                read_codes, write_codes = list(read_results), list(write_results)
            elapsed = time.monotonic() - started
        show_checked(f"[audit] {reads} reads and {cycles} claim/release pairs in {elapsed:.1f} s")
        assert read_codes == [200] * reads
        assert all(code in (200, 409) for pair in write_codes for code in pair)
        assert elapsed < 60
        rows = entries(runtime)[before:]
        assert sum(1 for e in rows if e.action == "data.read") == reads
        assert checked(runtime).ok
    finally:
        runtime.close()


@pytest.fixture
def tsa(pki):
    """A local RFC 3161 time-stamping authority (pyHanko's dummy stamper, the gateway's test key)."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from asn1crypto import keys as asn1_keys
    from asn1crypto import tsp
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

    stamper = DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(pki.gateway.certificate.public_bytes(serialization.Encoding.DER)),
        tsa_key=asn1_keys.PrivateKeyInfo.load(pki.gateway.key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            request = tsp.TimeStampReq.load(self.rfile.read(int(self.headers["Content-Length"])))
            reply = stamper.request_tsa_response(request).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *arguments) -> None:
            return None

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/tsa"
    server.shutdown()
    server.server_close()


def test_a_checkpoint_is_time_stamped_when_a_tsa_is_set_and_its_token_checked(tmp_path, pki, tsa):
    from gateway import audit

    runtime = start_runtime(make_settings(tmp_path / "var", pki, timestamp_url=tsa))
    try:
        seed(runtime, pki)
        with transaction(runtime.sessions) as session:
            audit.record(session, actor="x", actor_role="system", action="test.one", subject_kind="test", subject="1")
        first = make_checkpoint(runtime)
        assert first.timestamp_token
        with transaction(runtime.sessions) as session:
            audit.record(session, actor="x", actor_role="system", action="test.more", subject_kind="test", subject="1")
        second = make_checkpoint(runtime)
        assert checked(runtime).ok
        tamper(runtime, "UPDATE audit_checkpoints SET timestamp_token = :t WHERE id = :id",
               t=second.timestamp_token, id=first.id)
        assert "time-stamp token is not over this checkpoint's signature" in checked(runtime).first.detail
    finally:
        runtime.close()


def test_the_bank_fetching_its_signed_result_and_documents_is_recorded_as_a_read(any_runtime, any_client, worked,
                                                                              bank_auth):
    assert any_client.get(f"/v1/applications/{worked}/result", auth=bank_auth).status_code == 200
    assert any_client.get(f"/v1/applications/{worked}/documents/receipt", auth=bank_auth).status_code == 200
    assert any_client.get(f"/v1/applications/{worked}/documents/nonsense", auth=bank_auth).status_code == 404
    reads = [e.details["what"] for e in entries(any_runtime)
             if e.action == "data.read" and e.actor_role == "institution" and e.purpose == worked]
    assert reads.count("result") == 1 and reads.count("document.receipt") == 1
    assert not [what for what in reads if what.endswith("nonsense")]  # a refused read records nothing
