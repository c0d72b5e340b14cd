"""The reviewer queue at scale: the first and a deep page of ``GET /v1/review/queue`` in PostgreSQL.

``run`` creates its own database on the server at ``admin_url`` (dropped at the end), migrates it,
bulk-loads applications in one ``INSERT ... SELECT generate_series`` (most decided long ago, a few
per cent open and recent, as in a registration centre's working database), then times the pages
through ``gateway.review.service.queue_page``, the function the API calls. It prints both query
plans and raises ``SequentialScan`` if either reads the applications table sequentially.

    python -m bench.queue --applications 200000
"""
from __future__ import annotations

import argparse
import contextlib
import json
import secrets
import statistics
import time
from collections.abc import Iterator

from sqlalchemy import Connection, Engine, create_engine, event, func, make_url, select, text
from sqlalchemy.orm import Session, sessionmaker

from gateway.persistence.db import make_engine, make_session_factory
from gateway.persistence.migrate import upgrade
from gateway.persistence.models import Application
from gateway.review.service import in_queue, queue_page

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PAGE_SIZE = 50  # the API's default
DEEP_PAGE = 50
WARM_UP = 10
INSTITUTIONS = 12
REVIEWERS = 20
RECENT_SHARE = 0.06  # the newest 6% of applications (about six weeks of two years) may still be open
YEARS_OF_HISTORY = 2

# One statement: arrivals spread over the years in id order; the open ones among the recent, 55% of
# those in the reviewers' queue (about 3.3% of all rows); due dates 7–20 days after receipt.
LOAD = text("""
WITH arrivals AS (
    SELECT g,
           now() - make_interval(days => :days) + make_interval(secs => g * (:days * 86400.0 / :total)) AS received,
           random() AS r, random() AS spread, g > :total - :recent AS recent,
           (ARRAY['MORTGAGE_FIRST', 'MORTGAGE_FIRST', 'MORTGAGE_FIRST', 'MORTGAGE_DISCHARGE', 'MORTGAGE_DISCHARGE',
                  'MORTGAGE_CHANGE', 'MORTGAGE_FIRST_MAXIMUM', 'PRE_NOTICE_MORTGAGE', 'PRE_NOTICE_CONVERSION',
                  'MORTGAGE_TRANSFER', 'CONSTRUCTION_MORTGAGE'])[1 + g % 11] AS registration_type,
           '640221001001GB' || lpad((g % 99991)::text, 5, '0') || 'F' || lpad((g % 9973)::text, 8, '0') AS unit_code
    FROM generate_series(1, :total) AS g
), classified AS (
    SELECT arrivals.*, CASE
        WHEN NOT recent THEN CASE WHEN r < 0.95 THEN 'REGISTERED' ELSE 'REJECTED' END
        WHEN r < 0.45 THEN 'QUEUED'
        WHEN r < 0.55 THEN 'IN_REVIEW'
        WHEN r < 0.60 THEN 'SUPPLEMENT_REQUESTED'
        WHEN r < 0.62 THEN 'ANNOUNCING'
        WHEN r < 0.67 THEN 'APPROVED'
        WHEN r < 0.97 THEN 'REGISTERED'
        ELSE 'REJECTED' END AS status
    FROM arrivals
)
INSERT INTO applications (
    application_no, institution_id, request_id, registration_type, status, unit_code, request_sha256,
    canonical, signature, request_created_at, received_at, due_date, claimed_by_id, claimed_at, decided_at,
    decision_reason, deadline_provisional, triage, findings, fee_amount, channel)
SELECT
    '640221' || to_char(received, 'YYYYMMDD') || lpad(g::text, 8, '0'),
    (CAST(:institutions AS bigint[]))[1 + g % cardinality(CAST(:institutions AS bigint[]))],
    'req-' || g, registration_type, status, unit_code, encode(sha256(CAST(g::text AS bytea)), 'hex'),
    json_build_object(
        'registration_type', registration_type, 'unit_code', unit_code, 'contract_no', 'HT-' || g,
        'mortgagors', json_build_array(json_build_object(
            'name', '张某某', 'id_type', 'RESIDENT_ID', 'id_number', '64022119' || lpad((g % 100000000)::text, 10, '0'))),
        'claim', json_build_object('amount', (100000 + floor(spread * 900000))::text || '.00', 'currency', 'CNY'),
        'term', json_build_object('start', received::date, 'end', (received + interval '20 years')::date)),
    json_build_object('subject', 'CN=mortgage-gateway-client,O=bank', 'algorithm', 'rsa-sha256',
                      'fingerprint', md5(g::text) || md5(g::text)),
    received - interval '2 seconds', received, (received + make_interval(days => 7 + floor(spread * 14)::int))::date,
    CASE WHEN status = 'IN_REVIEW'
         THEN (CAST(:reviewers AS bigint[]))[1 + g % cardinality(CAST(:reviewers AS bigint[]))] END,
    CASE WHEN status = 'IN_REVIEW' THEN received + interval '1 day' END,
    CASE WHEN status IN ('APPROVED', 'REGISTERED', 'REJECTED') THEN received + interval '3 days' END,
    CASE WHEN status = 'REJECTED' THEN '申请材料与登记簿记载不一致' END,
    false, 'SIMPLE', CAST('[]' AS json), 80.00, 'bank_xml'
FROM classified
""")


class SequentialScan(RuntimeError):
    """A queue page read the applications table sequentially: the queue index is not being used."""


@contextlib.contextmanager
def bench_database(admin_url: str) -> Iterator[Engine]:
    """An engine on a new, migrated database, dropped (whatever happens) at the end."""
    name = f"gateway_bench_queue_{secrets.token_hex(6)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine = make_engine(make_url(admin_url).set(database=name).render_as_string(hide_password=False))
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@contextlib.contextmanager
def indexes_built_afterwards(connection: Connection, table: str) -> Iterator[None]:
    """Drop the table's constraints (but its primary key) and full indexes, and re-create them from
    their definitions after the body: one sorted build each instead of a million per-row updates and
    foreign-key checks. Partial indexes, small and the subject of the benchmark, stay as migrated."""
    constraints = connection.execute(text(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = CAST(:table AS regclass) AND contype <> 'p' ORDER BY contype DESC"), {"table": table}).all()
    indexes = connection.execute(text(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = :table AND indexdef NOT LIKE '% WHERE %' "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = CAST(:table AS regclass))"),
        {"table": table}).all()
    for name, _ in indexes:
        connection.exec_driver_sql(f'DROP INDEX "{name}"')
    for name, _ in constraints:
        connection.exec_driver_sql(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    yield
    connection.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
    for name, definition in constraints:  # unique ('u') before foreign keys ('f')
        connection.exec_driver_sql(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
    for _, definition in indexes:
        connection.exec_driver_sql(definition)


def load_applications(engine: Engine, applications: int) -> float:
    """Institutions, reviewers and ``applications`` applications, vacuumed and analysed; seconds taken."""
    started = time.perf_counter()
    with engine.begin() as connection:
        connection.exec_driver_sql("SET LOCAL synchronous_commit = off")
        connection.exec_driver_sql("SELECT setseed(0.8)")  # the same applications on every run
        institutions = connection.execute(text(
            "INSERT INTO institutions (code, name, kind, created_at) "
            "SELECT '91640221MA76B3K' || lpad(i::text, 3, '0'), '测试商业银行' || i || '号', 'bank', now() "
            "FROM generate_series(1, :count) AS i RETURNING id"), {"count": INSTITUTIONS}).scalars().all()
        reviewers = connection.execute(text(
            "INSERT INTO staff_users (username, password_hash, role, active, created_at) "
            "SELECT 'reviewer' || i, 'no-sign-in', 'reviewer', true, now() "
            "FROM generate_series(1, :count) AS i RETURNING id"), {"count": REVIEWERS}).scalars().all()
        with indexes_built_afterwards(connection, "applications"):
            connection.execute(LOAD, {
                "total": applications, "recent": int(applications * RECENT_SHARE), "days": 365 * YEARS_OF_HISTORY,
                "institutions": list(institutions), "reviewers": list(reviewers),
            })
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM (ANALYZE) applications")
    return time.perf_counter() - started


def page_cursor(sessions: sessionmaker[Session], page: int) -> tuple[int, str | None]:
    """The cursor that asks for page ``page`` (the last page, if the queue is shorter), and its number."""
    cursor, reached = None, 1
    with sessions() as session:
        while reached < page:
            _, following = queue_page(session, limit=PAGE_SIZE, after=cursor)
            if following is None:
                break
            cursor, reached = following, reached + 1
    return reached, cursor


def timed_pages(sessions: sessionmaker[Session], after: str | None, samples: int) -> dict[str, float]:
    """p50 and p99 of one page, each call in its own session and transaction as a request has."""
    timings = []
    for sample in range(WARM_UP + samples):
        started = time.perf_counter()
        with sessions() as session, session.begin():
            rows, _ = queue_page(session, limit=PAGE_SIZE, after=after)
        if sample >= WARM_UP:
            timings.append((time.perf_counter() - started) * 1000)
    if not rows:
        raise RuntimeError("the queue is empty: nothing was measured")
    percentiles = statistics.quantiles(timings, n=100, method="inclusive")
    return {"p50_ms": round(statistics.median(timings), 3), "p99_ms": round(percentiles[98], 3)}


def sent_statement(engine: Engine, sessions: sessionmaker[Session], after: str | None) -> tuple[str, object]:
    """The very SQL and parameters ``queue_page`` sends to the database for the page after ``after``."""
    sent = []

    def capture(_conn, _cursor, statement, parameters, _context, _executemany):
        sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        with sessions() as session:
            queue_page(session, limit=PAGE_SIZE, after=after)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    return next((statement, parameters) for statement, parameters in sent if "FROM applications" in statement)


def explain(engine: Engine, sessions: sessionmaker[Session], after: str | None) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of the page's query, as ``queue_page`` sends it."""
    statement, parameters = sent_statement(engine, sessions, after)
    with engine.connect() as connection:
        rows = connection.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
        return "\n".join(row[0] for row in rows)


def checked(plans: dict[str, str]) -> dict[str, str]:
    for page, plan in plans.items():
        print(f"--- {page} page plan ---\n{plan}")
        if "Seq Scan on applications" in plan:
            raise SequentialScan(f"the {page} queue page reads applications sequentially:\n{plan}")
    return plans


def run(admin_url: str, *, applications: int = 1_000_000, samples: int = 200) -> dict:
    """Load ``applications`` applications into a fresh database and time the queue's first and deep page."""
    with bench_database(admin_url) as engine:
        load_seconds = load_applications(engine, applications)
        sessions = make_session_factory(engine)
        deep_page, deep_cursor = page_cursor(sessions, DEEP_PAGE)
        plans = checked({"first": explain(engine, sessions, None), "deep": explain(engine, sessions, deep_cursor)})
        with engine.connect() as connection:
            queued = connection.scalar(select(func.count()).select_from(Application).where(in_queue()))
        return {
            "applications": applications,
            "queued": queued,
            "page_size": PAGE_SIZE,
            "first_page": timed_pages(sessions, None, samples),
            "deep_page": {"page": deep_page, **timed_pages(sessions, deep_cursor, samples)},
            "plans": plans,
            "load_seconds": round(load_seconds, 1),
        }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench.queue", description=__doc__.splitlines()[0])
    parser.add_argument("--admin-url", default=ADMIN_URL, help="a PostgreSQL URL allowed to create databases")
    parser.add_argument("--applications", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=200)
    arguments = parser.parse_args(argv)
    result = run(arguments.admin_url, applications=arguments.applications, samples=arguments.samples)
    print(json.dumps({key: value for key, value in result.items() if key != "plans"}, indent=2))
    return result


if __name__ == "__main__":
    main()
