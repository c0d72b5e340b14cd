"""Three departments querying at once, several threads each, through the ASGI app on SQLite and on
PostgreSQL: every query answered once with its own query id, each in the query log and the audit chain
(which still verifies), and a department's rate limit exact however many of its queries race."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gateway.api.app import create_app
from gateway.audit.verify import verify
from gateway.departments.models import DepartmentQuery
from gateway.keys import load_trust_store
from gateway.persistence.db import transaction
from tests.conftest import make_settings, seed, start_runtime
from tests.support.department_queries import (
    EXTRACT, FAMILY, add_departments, add_register, ask, extract, family, stored, verified,
)

THREADS_EACH, QUERIES_EACH = 4, 5
QUERIES = {"tax_bureau": (FAMILY, family("DEED_TAX_RELIEF")),
           "housing_bureau": (EXTRACT, extract("SALE_CONTRACT_FILING")),
           "fund_centre": (FAMILY, family("FUND_LOAN_ELIGIBILITY"))}


def world(request, tmp_path, pki, **settings):
    overrides = {"database_url": request.getfixturevalue("postgres_url")} if request.param == "postgresql" else {}
    runtime = start_runtime(make_settings(tmp_path / "var", pki, **overrides, **settings))
    seed(runtime, pki)
    departments = add_departments(runtime, pki)
    add_register(runtime)
    return runtime, departments


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def busy(request, tmp_path, pki):
    runtime, departments = world(request, tmp_path, pki)
    with TestClient(create_app(runtime), base_url="http://gateway.test") as client:
        yield runtime, client, departments
    runtime.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def limited(request, tmp_path, pki):
    runtime, departments = world(request, tmp_path, pki, department_queries_per_minute=7)
    with TestClient(create_app(runtime), base_url="http://gateway.test") as client:
        yield runtime, client, departments
    runtime.close()


def test_three_departments_querying_at_once_are_each_answered_and_recorded_once(busy):
    runtime, client, departments = busy

    def queries_of(role: str) -> list[str]:
        path, body = QUERIES[role]
        return [verified(runtime, ask(client, departments[role], path, body))["query_id"] for _ in range(QUERIES_EACH)]

    with ThreadPoolExecutor(max_workers=3 * THREADS_EACH) as pool:
        futures = [pool.submit(queries_of, role) for role in QUERIES for _ in range(THREADS_EACH)]
        query_ids = [query_id for future in futures for query_id in future.result()]
    total = 3 * THREADS_EACH * QUERIES_EACH
    assert len(set(query_ids)) == total
    assert stored(runtime) == (total, total)
    with transaction(runtime.sessions) as session:
        per_department = dict(session.execute(select(DepartmentQuery.purpose, func.count())
                                              .group_by(DepartmentQuery.purpose)).all())
        assert per_department == {"DEED_TAX_RELIEF": total // 3, "SALE_CONTRACT_FILING": total // 3,
                                  "FUND_LOAN_ELIGIBILITY": total // 3}
        report = verify(session, trusted=tuple(load_trust_store(runtime.settings).anchors),
                        current=runtime.signer.certificate)
    assert report.ok, report.first()


def test_racing_queries_of_one_department_never_pass_its_rate_limit(limited):
    runtime, client, departments = limited
    path, body = QUERIES["tax_bureau"]
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda _: ask(client, departments["tax_bureau"], path, body).status_code, range(16)))
    assert sorted(statuses) == [200] * 7 + [429] * 9
    # another department is counted on its own, even now
    fund_path, fund_body = QUERIES["fund_centre"]
    assert ask(client, departments["fund_centre"], fund_path, fund_body).status_code == 200
    assert stored(runtime) == (8, 8)
