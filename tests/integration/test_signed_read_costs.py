"""What an HTTP-signed status read asks of the database, and what the key cache may skip.

A read is the gateway's most frequent request (docs/performance.md): the application in its path is
looked up once though both the route's ownership check and the endpoint ask for it; the registered
certificate's PEM is read only when the key cache has to parse and check it again, while the
certificate's registration and revocation are read on every request; a cached entry is the very
certificate its fingerprint names, and a row whose PEM is another certificate is refused.
"""
from __future__ import annotations

import pytest
from sqlalchemy import event, select, update

from gateway.api.deps import done_reading
from gateway.applications.endpoints import ApplicationStatus
from gateway.institutions.auth import KEYS
from gateway.persistence.db import read_only, transaction
from gateway.persistence.models import Institution, InstitutionCertificate
from signing.pki import certificate_to_pem
from tests.integration.helpers import submit_new
from tests.support.factories import BANK_CODE
from tests.support.report import checked as show_checked


@pytest.fixture
def statements(runtime):
    """The SQL statements the runtime's engine runs, whitespace collapsed."""
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args):
        seen.append(" ".join(statement.split()))

    event.listen(runtime.engine, "before_cursor_execute", note)
    yield seen
    event.remove(runtime.engine, "before_cursor_execute", note)


def selects_from(statements: list[str], table: str) -> int:
    return sum(1 for s in statements if s.startswith("SELECT") and f" FROM {table} " in f"{s} ")


def test_a_status_read_looks_its_application_up_once_and_the_pem_only_when_not_cached(client, pki, bank_auth,
                                                                                       statements):
    number = submit_new(client, pki, bank_auth)
    KEYS._entries.clear()
    statements.clear()
    assert client.get(f"/v1/applications/{number}", auth=bank_auth).status_code == 200
    cold = list(statements)
    statements.clear()
    assert client.get(f"/v1/applications/{number}", auth=bank_auth).status_code == 200
    warm = list(statements)
    show_checked(f"[reads] SQL statements of a status read: {len(cold)} with the key cache cold, {len(warm)} warm")
    assert selects_from(warm, "applications") == 1
    assert sum(1 for s in cold if s.startswith("SELECT institution_certificates.pem")) == 1
    assert not any(s.startswith("SELECT institution_certificates.pem") for s in warm)
    # registration and revocation are still read on every request
    assert sum(1 for s in warm if "institution_certificates.revoked_at IS NULL" in s) == 1


def test_the_status_answer_is_the_documented_models_json(client, pki, bank_auth):
    """Built and written by the endpoint itself: exactly the JSON FastAPI writes for ApplicationStatus."""
    number = submit_new(client, pki, bank_auth)
    response = client.get(f"/v1/applications/{number}", auth=bank_auth)
    assert response.headers["content-type"] == "application/json"
    model = ApplicationStatus.model_validate_json(response.content)
    assert response.content == model.model_dump_json(by_alias=True).encode()
    assert model.application_no == number and model.history and model.history[0].to_status == model.status


def test_a_certificate_row_holding_another_certificates_pem_is_refused(client, runtime, pki, bank_auth):
    """The key cache trusts a fingerprint to name one certificate: a row altered behind the gateway's
    back (the bank's fingerprint, another bank's PEM) is refused when it is parsed again."""
    number = submit_new(client, pki, bank_auth)
    with transaction(runtime.sessions) as session:
        session.execute(update(InstitutionCertificate)
                        .where(InstitutionCertificate.fingerprint == pki.bank.fingerprint)
                        .values(pem=certificate_to_pem(pki.other_bank.certificate).decode()))
    KEYS._entries.clear()
    response = client.get(f"/v1/applications/{number}", auth=bank_auth)
    assert response.status_code == 401 and response.json()["code"] == "http_signature.unknown_key"
    assert number not in response.text


def test_signed_reads_give_their_connections_back(client, runtime, pki, bank_auth):
    """Status, result and document reads end their read-only unit of work themselves (done_reading);
    every connection is back in the pool once they are answered, a refused one's too."""
    number = submit_new(client, pki, bank_auth)
    for path in (f"/v1/applications/{number}", f"/v1/applications/{number}/documents/receipt",
                 f"/v1/applications/{number}/result", "/v1/applications/640221209901010000001"):
        client.get(path, auth=bank_auth)
        assert runtime.engine.pool.checkedout() == 0, path


def test_done_reading_leaves_a_writing_unit_of_work_alone(runtime):
    """An endpoint that ends its read may be called by a writing one (the supplement answers with the
    status): there it changes nothing, and the writer's changes are committed."""
    with transaction(runtime.sessions) as session:
        bank = session.scalar(select(Institution).where(Institution.code == BANK_CODE))
        bank.name = "renamed while reading"
        done_reading(session)
    with read_only(runtime.read_sessions) as session:
        assert session.scalar(select(Institution.name).where(Institution.code == BANK_CODE)) == "renamed while reading"
        done_reading(session)
        assert not session.in_transaction()
