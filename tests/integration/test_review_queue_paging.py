"""The reviewers' queue at scale: keyset pages served in order by the partial queue index."""
from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.schema import CreateIndex

from bench import queue as bench_queue
from bench.queue import explain, load_applications, page_cursor, sent_statement
from gateway.applications.states import QUEUE_STATUSES, Status
from gateway.persistence.db import make_engine, make_session_factory
from gateway.persistence.migrate import upgrade
from gateway.persistence.models import Application, Institution
from gateway.review.service import in_queue, queue_page
from gateway.web import review_queue

APPLICATIONS = 700
QUEUE_INDEX = "ix_applications_open_queue"


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path) -> Iterator[Engine]:
    """A migrated, empty database of each kind."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'queue.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    upgrade(engine)
    yield engine
    engine.dispose()


def add_applications(engine: Engine, count: int) -> list[tuple[date, int, str]]:
    """``count`` applications in every status, due on a few days (many ties) in no order of id."""
    received = datetime(2026, 11, 20, 1, 0, tzinfo=timezone.utc)
    statuses = [s.value for s in Status]
    with engine.begin() as connection:
        institution_id = connection.execute(insert(Institution).returning(Institution.id), {
            "code": "91640221MA76B3KX0N", "name": "测试银行", "kind": "bank", "created_at": received}).scalar_one()
        connection.execute(insert(Application), [{
            "application_no": f"64022120261120{n:06d}", "institution_id": institution_id, "request_id": f"req-{n}",
            "registration_type": "MORTGAGE_FIRST", "status": statuses[n % len(statuses)],
            "unit_code": "640221001001GB00012F00010001", "request_sha256": f"{n:064x}", "canonical": {},
            "signature": {}, "request_created_at": received, "received_at": received,
            "due_date": date(2026, 12, 1) + timedelta(days=(n * 7919) % 5), "deadline_provisional": False,
            "triage": "SIMPLE", "findings": [], "channel": "bank_xml",
        } for n in range(count)])
        return [tuple(row) for row in connection.execute(select(
            Application.due_date, Application.id, Application.status))]


def queued_in_order(rows: list[tuple[date, int, str]]) -> list[int]:
    return [application_id for due, application_id, status in sorted(rows) if status in QUEUE_STATUSES]


def test_paging_through_the_queue_returns_every_queued_application_once_in_due_date_then_id_order(engine):
    expected = queued_in_order(add_applications(engine, APPLICATIONS))
    listed, cursor, sessions = [], None, make_session_factory(engine)
    while True:
        with sessions() as session:
            rows, cursor = queue_page(session, limit=7, after=cursor)
        listed += [row.id for row in rows]
        if cursor is None:
            break
    assert len(expected) == 2 * APPLICATIONS // len(Status)
    assert listed == expected


def test_the_staff_web_queue_pages_through_the_same_applications_in_the_same_order(engine):
    expected = queued_in_order(add_applications(engine, APPLICATIONS))
    listed, cursor, sessions = [], None, make_session_factory(engine)
    while True:
        with sessions() as session:
            rows, cursor = review_queue.queue_page(session, review_queue.QueueFilter(), after=cursor, limit=9)
        listed += [row.id for row in rows]
        if cursor is None:
            break
    assert listed == expected


def statuses_in(sql: str) -> tuple[str, ...]:
    return tuple(re.findall(r"'([A-Z_]+)'", sql))


def test_the_queue_index_as_migrated_and_as_modelled_covers_exactly_the_statuses_the_queue_query_asks_for(engine):
    definition = {"sqlite": "SELECT sql FROM sqlite_master WHERE name = :name",
                  "postgresql": "SELECT indexdef FROM pg_indexes WHERE indexname = :name"}[engine.dialect.name]
    with engine.connect() as connection:
        migrated = connection.execute(text(definition), {"name": QUEUE_INDEX}).scalar_one()
    modelled = next(index for index in Application.__table__.indexes if index.name == QUEUE_INDEX)
    for dialect in (sqlite.dialect(), postgresql.dialect()):
        asked = select(Application.id).where(in_queue()).compile(dialect=dialect,
                                                                  compile_kwargs={"literal_binds": True})
        assert statuses_in(str(asked)) == QUEUE_STATUSES
        assert statuses_in(str(CreateIndex(modelled).compile(dialect=dialect))) == QUEUE_STATUSES
    assert statuses_in(migrated) == QUEUE_STATUSES
    assert [column.name for column in modelled.columns] == ["due_date", "id"]


def test_on_sqlite_with_statistics_queue_pages_are_read_from_the_queue_index_without_sorting(tmp_path):
    # Without statistics SQLite guesses that few rows are open and sorts them from the (status, ...)
    # index; ANALYZE (or PRAGMA optimize) tells it better. Either way the query must match the
    # partial index's condition, which is what this checks.
    engine = make_engine(f"sqlite:///{tmp_path / 'queue.db'}")
    upgrade(engine)
    add_applications(engine, APPLICATIONS)
    with engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")
    sessions = make_session_factory(engine)
    with sessions() as session:
        _, cursor = queue_page(session, limit=50, after=None)
    for after in (None, cursor):
        statement, parameters = sent_statement(engine, sessions, after)
        with engine.connect() as connection:
            plan = " | ".join(row[-1] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement,
                                                                            parameters))
        assert f"USING INDEX {QUEUE_INDEX}" in plan
        assert "TEMP B-TREE" not in plan
    engine.dispose()


def test_on_postgresql_first_and_deep_queue_pages_are_index_scans_of_the_queue_index(postgres_url):
    engine = make_engine(postgres_url)
    upgrade(engine)
    load_applications(engine, 100_000)
    sessions = make_session_factory(engine)
    page, deep = page_cursor(sessions, 50)
    plans = [explain(engine, sessions, None), explain(engine, sessions, deep)]
    engine.dispose()
    assert page == 50
    for plan in plans:
        assert f"Index Scan using {QUEUE_INDEX} on applications" in plan
        assert "Seq Scan on applications" not in plan
        assert "Sort" not in plan
    assert "Index Cond: (ROW(due_date, id) > ROW(" in plans[1]


def bench_databases(admin_url: str) -> set[str]:
    engine = make_engine(admin_url)
    with engine.connect() as connection:
        names = set(connection.execute(text("SELECT datname FROM pg_database WHERE datname LIKE :pattern"),
                                       {"pattern": "gateway_bench_queue_%"}).scalars())
    engine.dispose()
    return names


def test_the_queue_benchmark_times_both_pages_prints_their_plans_and_drops_its_database(postgres_server, capsys):
    before = bench_databases(postgres_server)
    result = bench_queue.run(postgres_server, applications=20_000, samples=5)
    assert result["applications"] == 20_000
    assert 0.02 * 20_000 < result["queued"] < 0.05 * 20_000
    assert result["deep_page"]["page"] == -(-result["queued"] // bench_queue.PAGE_SIZE)
    for page in ("first_page", "deep_page"):
        assert 0 < result[page]["p50_ms"] <= result[page]["p99_ms"]
    assert result["plans"]["first"] in capsys.readouterr().out
    assert bench_databases(postgres_server) <= before


def test_the_queue_benchmark_fails_loudly_on_a_sequential_scan_of_applications():
    plan = "Limit\n  ->  Sort\n        ->  Parallel Seq Scan on applications"
    with pytest.raises(bench_queue.SequentialScan):
        bench_queue.checked({"first": "Limit\n  ->  Index Scan using ix_applications_open_queue", "deep": plan})
