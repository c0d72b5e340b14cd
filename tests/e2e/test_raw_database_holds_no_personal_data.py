"""After the bank's whole flow against real `gateway` processes, the database's own files hold none of
the example ID numbers or names: what a stolen disk, a backup or a database administrator sees.

The embedded default is read as its SQLite files (database, WAL, shared memory), byte for byte; the
PostgreSQL deployment as `pg_dump` of its database. Each value is looked for in UTF-8 — how both store
text — and the scan is shown not to be vacuous: the same values are found in the plaintext register
file the operator imported.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.e2e.test_bank_flow import drive_the_whole_flow, onboard, receiver  # noqa: F401 (fixture)
from tests.e2e.test_logs_hold_no_personal_data import people_in_the_examples
from tests.support.onboarding import celery_env, drop_queue
from tests.support.processes import gateway_env, start_server, start_worker
from tests.support.report import checked


def found_in(data: bytes, people: set[str]) -> list[str]:
    return sorted(value for value in people if value.encode("utf-8") in data)


def sqlite_files(data_dir: Path) -> bytes:
    files = [data_dir / name for name in ("gateway.db", "gateway.db-wal", "gateway.db-shm", "gateway.db-journal")]
    return b"".join(path.read_bytes() for path in files if path.exists())


def pg_dump(url: str) -> bytes:
    plain_url = url.replace("postgresql+psycopg://", "postgresql://")
    return subprocess.run(["pg_dump", "--no-owner", "--data-only", plain_url], check=True, capture_output=True,
                          timeout=120).stdout


def assert_no_personal_data(raw: bytes, what: str, tmp_path: Path) -> None:
    people = people_in_the_examples()
    assert len(people) > 20
    imported = (tmp_path / "register.csv").read_bytes()  # the operator's plaintext input: the scan can see them
    assert found_in(imported, people), "the scan finds nothing even where the names are"
    found = found_in(raw, people)
    checked(f"{what}: {len(raw)} bytes scanned for {len(people)} names and ID numbers; found {len(found)}")
    assert not found, f"personal data in the raw database ({what}): {found}"


def test_the_embedded_databases_files_hold_no_personal_data(tmp_path, pki, receiver):  # noqa: F811
    env = gateway_env(tmp_path / "var", pki)
    onboard(env, pki, receiver, tmp_path)
    server, base_url = start_server(env, tmp_path)
    try:
        drive_the_whole_flow(base_url, pki, receiver, tmp_path)
    finally:
        server.stop()
    assert_no_personal_data(sqlite_files(tmp_path / "var"), "SQLite files", tmp_path)


@pytest.mark.services
def test_a_pg_dump_of_the_postgresql_deployment_holds_no_personal_data(  # noqa: F811
        tmp_path, pki, receiver, postgres_url, redis_server):
    env, queue = celery_env(tmp_path, pki, postgres_url, redis_server)
    onboard(env, pki, receiver, tmp_path)
    worker = start_worker(env, tmp_path)
    server, base_url = start_server(env, tmp_path)
    try:
        drive_the_whole_flow(base_url, pki, receiver, tmp_path)
    finally:
        server.stop()
        worker.stop()
        drop_queue(redis_server, queue)
    assert_no_personal_data(pg_dump(postgres_url), "pg_dump", tmp_path)
