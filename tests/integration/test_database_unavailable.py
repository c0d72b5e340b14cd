"""A database that cannot be reached is a 503 the client may retry, not a 500 — and a bug is still a 500."""
from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from gateway.api.app import create_app


def test_a_lost_database_connection_is_answered_503_with_retry_after(runtime, tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="gateway.api.problems")
    # A session factory on a database file in a directory that does not exist: every connection fails.
    unreachable = create_engine(f"sqlite:///{tmp_path / 'missing' / 'gateway.db'}")
    runtime.read_sessions = sessionmaker(unreachable)
    with TestClient(create_app(runtime), base_url="http://gateway.test") as client:
        response = client.get("/metrics")
    assert response.status_code == 503
    assert response.json()["code"] == "database.unavailable"
    assert response.headers["Retry-After"] == "5"
    assert "unable to open" not in response.text  # the driver's message stays out of the answer
    assert any("database unavailable for GET /metrics: OperationalError" in r.getMessage() for r in caplog.records)


def test_a_database_error_that_is_a_bug_stays_a_500(runtime):
    app = create_app(runtime)

    @app.get("/test-integrity")
    def broken() -> None:
        raise IntegrityError("INSERT …", {}, Exception("UNIQUE constraint failed"))

    with TestClient(app, base_url="http://gateway.test", raise_server_exceptions=False) as client:
        response = client.get("/test-integrity")
    assert response.status_code == 500
