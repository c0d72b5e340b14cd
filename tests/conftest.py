"""Shared fixtures: the test PKI, runtimes on SQLite or PostgreSQL, an API client, seeded parties."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gateway.api.app import create_app
from gateway.persistence.db import make_engine, transaction
from gateway.persistence.migrate import upgrade
from gateway.runtime import Runtime
from gateway.settings import Settings
from signing.httpsig import HttpSignatureAuth
from tests.support import factories, report
from tests.support.pki import TestPki, build_pki
from tests.support.register import add_unit

POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/0"
REVIEWER_PASSWORD = "reviewer-password-1"
ADMIN_PASSWORD = "admin-password-1"


@pytest.fixture(scope="session")
def pki(tmp_path_factory) -> TestPki:
    return build_pki(tmp_path_factory.mktemp("pki"))


def make_settings(data_dir: Path, pki: TestPki, **overrides) -> Settings:
    values = dict(
        data_dir=data_dir,
        signing_key_path=pki.gateway.key_path,
        signing_cert_path=pki.gateway.cert_path,
        trust_anchors_path=pki.ca_path,
        staff_token_secrets=["test-token-secret"],
        sweep_interval_seconds=3600,
        callback_backoff_base_seconds=0.2,
        callback_backoff_cap_seconds=1.0,
        callback_max_attempts=3,
    )
    values.update(overrides)
    return Settings(**values)


def start_runtime(settings: Settings) -> Runtime:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(make_engine(settings.effective_database_url))
    return Runtime.from_settings(settings)


def seed(runtime: Runtime, pki: TestPki, *, callback_url: str | None = None) -> None:
    """The test bank (RSA and EC certificates), another bank, a reviewer and an admin."""
    from gateway.institutions.service import add_certificate, add_institution, certificate_record
    from gateway.staff.service import add_user

    trust = runtime.trust
    with transaction(runtime.sessions) as session:
        bank = add_institution(session, code=factories.BANK_CODE, name="平罗县测试商业银行", kind="bank",
                               cert_pem=pki.bank.cert_pem, callback_url=callback_url, trust=trust)
        add_certificate(session, institution=bank, cert_pem=pki.bank_ec.cert_pem, trust=trust)
        # Registration refuses these three; stored directly, they stand for certificates that expired,
        # or whose CA left the trust anchors, after they were registered: intake must still refuse them.
        for identity in (pki.expired, pki.not_yet_valid, pki.untrusted):
            session.add(certificate_record(bank, identity.certificate))
        add_institution(session, code=factories.OTHER_BANK_CODE, name="另一家银行", kind="bank",
                        cert_pem=pki.other_bank.cert_pem, trust=trust)
        add_user(session, username="reviewer", role="reviewer", password=REVIEWER_PASSWORD)
        add_user(session, username="reviewer2", role="reviewer", password=REVIEWER_PASSWORD)
        add_user(session, username="admin", role="admin", password=ADMIN_PASSWORD)
        add_user(session, username="supervisor", role="supervisor", password=ADMIN_PASSWORD)
        add_unit(session)


@pytest.fixture
def runtime(tmp_path, pki) -> Iterator[Runtime]:
    """Embedded mode: SQLite file, in-process tasks, seeded."""
    runtime = start_runtime(make_settings(tmp_path / "var", pki))
    seed(runtime, pki)
    yield runtime
    runtime.close()


@pytest.fixture
def client(runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime), base_url="http://gateway.test") as test_client:
        yield test_client


@pytest.fixture
def bank_auth(pki) -> HttpSignatureAuth:
    return HttpSignatureAuth(key_id=pki.bank.fingerprint, private_key=pki.bank.key)


@pytest.fixture
def other_bank_auth(pki) -> HttpSignatureAuth:
    return HttpSignatureAuth(key_id=pki.other_bank.fingerprint, private_key=pki.other_bank.key)


def staff_headers(client: TestClient, username: str, password: str) -> dict[str, str]:
    response = client.post("/v1/staff/sessions", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


@pytest.fixture
def reviewer(client) -> dict[str, str]:
    return staff_headers(client, "reviewer", REVIEWER_PASSWORD)


@pytest.fixture
def admin(client) -> dict[str, str]:
    return staff_headers(client, "admin", ADMIN_PASSWORD)


def upload_materials(client: TestClient, auth, materials: dict[str, bytes] = factories.MATERIALS) -> None:
    for data in materials.values():
        response = client.put(f"/v1/materials/{factories.sha256(data)}", content=data,
                              headers={"Content-Type": "application/pdf"}, auth=auth)
        assert response.status_code in (200, 201), response.text


# --- real services -----------------------------------------------------------------------------

@pytest.fixture(scope="session")
def postgres_server() -> str:
    """PostgreSQL must be reachable: these tests fail (never skip) when it is not."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except Exception as exc:
        pytest.fail(f"PostgreSQL at 127.0.0.1:5432 is not reachable ({type(exc).__name__}); "
                    "start it (see .ci/run) — service tests never skip")
    finally:
        engine.dispose()
    return POSTGRES_ADMIN_URL


@pytest.fixture
def postgres_url(postgres_server) -> Iterator[str]:
    """A fresh, empty database for one test, dropped afterwards."""
    import sqlalchemy

    name = f"gateway_test_{uuid.uuid4().hex[:12]}"
    admin_engine = sqlalchemy.create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with admin_engine.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin_engine.dispose()


@pytest.fixture(scope="session")
def redis_server() -> str:
    """Redis must be reachable: these tests fail (never skip) when it is not."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:
        pytest.fail(f"Redis at 127.0.0.1:6379 is not reachable ({type(exc).__name__}); "
                    "start it (see .ci/run) — service tests never skip")
    return REDIS_URL


@pytest.fixture
def redis_of_our_own(tmp_path):
    """A Redis server of the test's own (own port and directory), for tests that stop or freeze it."""
    from tests.support.processes import RedisServer

    server = RedisServer(tmp_path / "redis")
    yield server
    server.stop()  # resumes it first if a failing test left it frozen



# --- what the tests checked (tests/support/report.py) ------------------------------------------------

@pytest.fixture(autouse=True)
def _what_was_checked(request, capsys):
    yield
    out = capsys.readouterr().out
    for line in out.splitlines():
        if line.startswith(report.PREFIX):
            request.node.user_properties.append(("checked", line[len(report.PREFIX):]))
    print(out, end="")  # back into the test's captured output (shown if it fails)


_CHECKED: list[tuple[str, str]] = []
_PASSED: set[str] = set()


def pytest_runtest_logreport(report):
    # The lines are attached at the fixture's teardown, so they arrive with the teardown report.
    if report.when == "call" and report.passed:
        _PASSED.add(report.nodeid)
    if report.when == "teardown" and report.nodeid in _PASSED:
        _CHECKED.extend((report.nodeid, value) for name, value in report.user_properties if name == "checked")


def pytest_terminal_summary(terminalreporter):
    if _CHECKED:
        terminalreporter.section("what the tests checked")
        for nodeid, line in sorted(_CHECKED):
            terminalreporter.write_line(f"{nodeid}: {line}")
