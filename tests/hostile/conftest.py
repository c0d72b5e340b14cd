"""One seeded gateway per test module: the hostile tests send many requests and need no isolation
between them beyond what each asserts (nothing stored by a refusal)."""
from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gateway.api.app import create_app
from gateway.runtime import Runtime
from signing.httpsig import HttpSignatureAuth
from tests.conftest import make_settings, seed, start_runtime, upload_materials

BASE_URL = "http://gateway.test"


@dataclass(frozen=True)
class Embedded:
    runtime: Runtime
    client: TestClient
    bank_auth: HttpSignatureAuth


@pytest.fixture(scope="module")
def embedded(pki) -> Iterator[Embedded]:
    """Embedded mode (SQLite, in-process tasks), seeded like ``runtime``, the materials uploaded;
    a server error is answered (500), not raised, as a client would see it."""
    with tempfile.TemporaryDirectory(prefix="hostile-") as directory:
        runtime = start_runtime(make_settings(Path(directory) / "var", pki))
        seed(runtime, pki)
        bank_auth = HttpSignatureAuth(key_id=pki.bank.fingerprint, private_key=pki.bank.key)
        with TestClient(create_app(runtime), base_url=BASE_URL, raise_server_exceptions=False) as client:
            upload_materials(client, bank_auth)
            yield Embedded(runtime, client, bank_auth)
        runtime.close()
