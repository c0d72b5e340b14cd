"""Two departments pushing records for the same units at once, on SQLite and PostgreSQL.

Every push is answered (no error), each distinct content is stored exactly once (one 201, the repeats
200 with the same record), versions of one number with other content are all kept and all flagged —
also when they race for different units, where the unit locks do not serialise them — and the open
pre-notice on the shared unit ends with its findings as the last record says.
"""
from __future__ import annotations

import random
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from gateway.api.app import create_app
from tests.conftest import REVIEWER_PASSWORD, make_settings, seed, staff_headers, start_runtime
from tests.support import department_records as d
from tests.support import scenarios as s
from tests.support.tamper import seeded_database, seeded_runtime_on  # noqa: F401 (fixture)

REPEATS = 3


@pytest.fixture(params=["sqlite", "postgresql"])
def any_runtime(request, tmp_path, pki):
    runtime = seeded_runtime_on(request.param, request, tmp_path / "var", pki)
    yield runtime
    runtime.close()


def pushes(tax: d.Department, housing: d.Department) -> list[tuple[str, d.Department, dict]]:
    """Both departments, both units, each record sent several times; two numbers in two versions."""
    tax_records = [d.tax_record(f"PL-TAX-{i}", unit_code=unit) for i, unit in enumerate([d.UNIT, d.OFF_PLAN] * 3)]
    tax_records += [d.tax_record("PL-TAX-0", unit_code=d.OFF_PLAN),  # the same number for another unit: racing
                    d.tax_record("PL-TAX-1", tax_amount="1.00")]
    contracts = [d.filed_contract(contract_no=f"WQ-{i}", unit_code=unit)
                 for i, unit in enumerate([d.OFF_PLAN, d.UNIT] * 3)]
    contracts += [d.filed_contract(contract_no="WQ-0", unit_code=d.UNIT),
                  d.filed_contract()]  # the pre-notice's contract, last in no particular order
    work = [(d.TAX_PATH, tax, body) for body in tax_records] + [(d.CONTRACT_PATH, housing, body) for body in contracts]
    work = work * REPEATS
    random.Random(12).shuffle(work)
    return work


def test_two_departments_pushing_for_the_same_units_at_once_store_each_record_once(any_runtime, pki):
    runtime = any_runtime
    tax, housing = d.add_departments(runtime, pki)
    with TestClient(create_app(runtime), base_url="http://gateway.test") as client:
        number = s.submit_ok(client, s.pre_notice(), s.main_bank(pki))
        work = pushes(tax, housing)
        with ThreadPoolExecutor(max_workers=6) as pool:
            responses = list(pool.map(lambda item: d.push(client, *item), work))
        reviewer = staff_headers(client, "reviewer", REVIEWER_PASSWORD)
        findings = client.get(f"/v1/review/applications/{number}", headers=reviewer).json()["findings"]

    assert sorted(Counter(r.status_code for r in responses)) == [200, 201], [r.text for r in responses
                                                                            if r.status_code not in (200, 201)]
    receipts = [d.receipt(r, pki) for r in responses]
    by_content: dict[tuple, set] = defaultdict(set)
    for (path, _, body), receipt, response in zip(work, receipts, responses):
        by_content[(path, repr(sorted(body.items())))].add(receipt["record_id"])
    assert all(len(ids) == 1 for ids in by_content.values())  # every repeat answered with the same record
    assert Counter(r.status_code for r in responses)[201] == len(by_content)

    stored = d.records(runtime)
    assert len(stored) == len(by_content)
    versions = Counter((r.kind, r.record_no) for r in stored)
    assert {key for key, n in versions.items() if n > 1} == {("tax", "PL-TAX-0"), ("tax", "PL-TAX-1"),
                                                             ("contract", "WQ-0")}
    assert all(r.conflicting == (versions[(r.kind, r.record_no)] > 1) for r in stored)
    for key in versions:
        assert sorted(r.sequence for r in stored if (r.kind, r.record_no) == key) == list(range(1, versions[key] + 1))
    assert not [f["code"] for f in findings if f["code"].startswith("contract.")]  # its contract is filed


def test_a_version_racing_for_another_unit_waits_for_the_first_and_is_stored_as_the_second(tmp_path, pki,
                                                                                          postgres_url):
    """Deterministic on PostgreSQL: the second push's insert waits on the first's uncommitted key, fails
    on it once the first commits, and is stored again, now as version 2, both flagged."""
    import threading
    import time

    from gateway.department_records.service import receive
    from gateway.institutions.service import find_by_code
    from gateway.persistence.db import transaction
    from gateway.persistence.types import utcnow
    from tests.support import factories

    runtime = start_runtime(make_settings(tmp_path / "var", pki, database_url=postgres_url))
    seed(runtime, pki)
    d.add_departments(runtime, pki)

    def push_directly(session, unit_code: str):
        body = d.json_bytes(d.tax_record("PL-TAX-RACE", unit_code=unit_code))
        return receive(session, kind="tax", institution=find_by_code(session, factories.TAX_BUREAU_CODE), body=body,
                       method="POST", url="http://gateway.test/v1/departments/tax-records", headers={}, at=utcnow(),
                       request_id=None)

    second: dict = {}

    def push_second():
        with transaction(runtime.sessions) as session:
            received = push_directly(session, d.OFF_PLAN)
            second.update(created=received.created, conflicts=len(received.conflicts_with))

    try:
        with transaction(runtime.sessions) as session:
            push_directly(session, d.UNIT)
            racer = threading.Thread(target=push_second)
            racer.start()
            time.sleep(1.5)  # the racer is now waiting on this transaction's key
            assert racer.is_alive()
        racer.join(30)
        assert second == {"created": True, "conflicts": 1}
        stored = d.records(runtime)
        assert [(r.unit_code, r.sequence, r.conflicting) for r in stored] == [(d.UNIT, 1, True), (d.OFF_PLAN, 2, True)]
    finally:
        runtime.close()
