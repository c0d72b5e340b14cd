"""Concurrent submissions to one API process: a few checked at once, written one at a time, in both modes.

Runtime.check_slots bounds the CPU-bound checks (GATEWAY_INTAKE_CHECK_THREADS); Runtime.intake_gate
gives the writing step to one submission at a time per process — on SQLite the write gate, on
PostgreSQL a lock of its own, so that intakes queue on the event loop rather than on the day's
number row (docs/operations.md).
"""
from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import replace

import httpx
import pytest

from gateway.api.app import create_app
from gateway.applications import endpoints
from gateway.materials.service import store_material
from gateway.institutions.service import find_by_code
from gateway.persistence.db import transaction
from tests.conftest import make_settings, seed, start_runtime
from tests.support import factories

SUBMISSIONS = 8


@pytest.fixture(params=["sqlite", "postgresql"])
def runtime(request, tmp_path, pki):
    overrides = {"intake_check_threads": 2}
    if request.param == "postgresql":
        overrides["database_url"] = request.getfixturevalue("postgres_url")
    runtime = start_runtime(make_settings(tmp_path / "var", pki, **overrides))
    seed(runtime, pki)
    with transaction(runtime.sessions) as session:
        bank = find_by_code(session, factories.BANK_CODE)
        for data in factories.MATERIALS.values():
            store_material(session, institution_id=bank.id, sha256=factories.sha256(data), content=data,
                           media_type="application/pdf", max_bytes=10**6)
    yield runtime
    runtime.close()


class Overlap:
    """Wraps a step and records how many calls ran at once (each held a little, to widen the window)."""

    def __init__(self, step, hold: float):
        self.step, self.hold = step, hold
        self.running = self.most = 0
        self.lock = threading.Lock()

    def __call__(self, *args, **kwargs):
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            time.sleep(self.hold)
            return self.step(*args, **kwargs)
        finally:
            with self.lock:
                self.running -= 1


async def submit_together(app, bodies: list[bytes]) -> list[httpx.Response]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test", timeout=60) as client:
        return await asyncio.gather(*(client.post("/v1/applications", content=body,
                                                  headers={"Content-Type": "application/xml"}) for body in bodies))


def test_concurrent_submissions_are_checked_a_few_at_a_time_and_written_one_at_a_time(runtime, pki, monkeypatch):
    checks = Overlap(endpoints.check_submission, hold=0.05)
    writes = Overlap(endpoints.accept_submission, hold=0.02)
    monkeypatch.setattr(endpoints, "check_submission", checks)
    monkeypatch.setattr(endpoints, "accept_submission", writes)
    bodies = [factories.signed_request(replace(factories.application(), unit_code=factories.UNIT_CODE), pki.bank)
              for _ in range(SUBMISSIONS)]

    responses = asyncio.run(submit_together(create_app(runtime), bodies))

    assert [r.status_code for r in responses] == [202] * SUBMISSIONS, [r.text[:200] for r in responses]
    numbers = sorted(r.headers["Location"].rsplit("/", 1)[1] for r in responses)
    assert len(set(numbers)) == SUBMISSIONS
    assert writes.most == 1  # the writing step: one submission at a time, in both modes
    assert checks.most == 2  # the checks: side by side, but no more than GATEWAY_INTAKE_CHECK_THREADS
    print(f"[intake turns] {runtime.engine.dialect.name}: {SUBMISSIONS} submissions, checks at most {checks.most} "
          f"at once, writes at most {writes.most}")
