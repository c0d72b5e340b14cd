"""Quality figures (docs/interface/quality.md): computed from applications really submitted, refused and
decided through the API, on SQLite and on PostgreSQL; each institution reads only its own; supervisors
read everyone's; a refusal whose signer was not identified counts against nobody; a signed statement.

The world, built once per database: the test bank submits four applications (one approved, one rejected,
two answered with a supplement request — one a correct submission would have avoided, one not) and has
two requests refused at intake (stale; pre-review: a required material missing); a request naming the test
bank but signed with the other bank's key is refused unattributed; a stale dry run is not counted; the
other bank submits one application.
"""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gateway.api.app import create_app
from gateway.persistence.db import read_only, transaction
from gateway.persistence.types import utcnow
from gateway.quality.models import IntakeRefusal
from gateway.quality.months import Month
from gateway.runtime import Runtime
from gateway.timezone import LOCAL_TZ
from tests.conftest import make_settings, seed, start_runtime, staff_headers, REVIEWER_PASSWORD
from tests.support import factories
from tests.support import scenarios as s
from tests.support.register import add_unit

HOMES = ("640221001003GB00045F00010002", "640221001003GB00045F00010003", "640221001003GB00045F00010004",
         "640221001003GB00045F00010005")
NOT_YET_SUBMITTED = s.refs("MORTGAGE_CONTRACT", "ID_DOCUMENT")  # LOAN_CONTRACT missing: refused by pre-review


@dataclass
class World:
    runtime: Runtime
    client: TestClient
    bank: s.Bank
    other: s.Bank
    month: str
    supervisor: dict[str, str]
    reviewer: dict[str, str]


def _post(client, path: str, body: bytes):
    return client.post(path, content=body, headers={"Content-Type": "application/xml"})


def build(world: World) -> None:
    client, bank, other, reviewer = world.client, world.bank, world.other, world.reviewer
    first = s.first()
    s.upload_for(client, first, bank)
    body = factories.signed_request(first, bank.identity)
    accepted = _post(client, "/v1/applications", body)
    assert accepted.status_code == 202, accepted.text
    approved = s.receipt(accepted).findtext("g:ApplicationNo", namespaces=s.NS)
    assert _post(client, "/v1/applications", body).status_code == 200  # an exact retry: neither new nor refused
    rejected = s.submit_ok(client, s.first(unit_code=HOMES[0]), bank)
    avoidable = s.submit_ok(client, s.first(unit_code=HOMES[1]), bank)
    unavoidable = s.submit_ok(client, s.first(unit_code=HOMES[2]), bank)
    s.submit_ok(client, s.first(unit_code=HOMES[3], mortgagee=s.OTHER_BANK), other)
    s.approve(client, approved, reviewer)
    s.reject(client, rejected, reviewer)
    s.decide(client, avoidable, reviewer, "request_supplement",
             missing=[{"type_code": "LOAN_CONTRACT", "reason": "主债权合同缺第3页"}])
    s.decide(client, unavoidable, reviewer, "request_supplement",
             missing=[{"type_code": "MARRIAGE_CERTIFICATE", "reason": "抵押人已婚，须提交婚姻状况证明"},
                      {"type_code": "LOAN_CONTRACT", "reason": "主债权合同未签章"}])

    stale = factories.signed_request(s.first(created_at=utcnow().replace(microsecond=0) - timedelta(days=2)),
                                     bank.identity)
    assert _post(client, "/v1/applications", stale).json()["code"] == "request.stale"
    missing = factories.signed_request(s.first(materials=NOT_YET_SUBMITTED), bank.identity)
    assert _post(client, "/v1/applications", missing).json()["code"] == "prereview.refused"
    forged = factories.signed_request(s.first(), other.identity)  # names the test bank, signed by the other
    assert _post(client, "/v1/applications", forged).json()["code"] == "certificate.not_registered"
    # Names the other bank, signed by the test bank: the key is not the named institution's; nobody's either.
    forged = factories.signed_request(s.first(mortgagee=s.OTHER_BANK), bank.identity)
    assert _post(client, "/v1/applications", forged).json()["code"] == "certificate.not_registered"
    dry_stale = factories.signed_request(s.first(created_at=utcnow().replace(microsecond=0) - timedelta(days=2)),
                                         bank.identity)
    assert _post(client, "/v1/applications/dry-run", dry_stale).json()["code"] == "request.stale"


@contextmanager
def _database(database: str, request) -> Iterator[dict]:
    """Settings overrides for a fresh database of that kind (a PostgreSQL one dropped afterwards)."""
    if database == "sqlite":
        yield {}
        return
    server = request.getfixturevalue("postgres_server")
    name = f"gateway_test_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield {"database_url": f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"}
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _runtime(overrides: dict, directory, pki) -> Runtime:
    runtime = start_runtime(make_settings(directory / "var", pki, **overrides))
    seed(runtime, pki)
    with transaction(runtime.sessions) as session:
        for home in HOMES:
            add_unit(session, home)
    return runtime


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def world(request, tmp_path_factory, pki) -> Iterator[World]:
    """Built once per database; the tests only read it."""
    with _database(request.param, request) as overrides:
        runtime = _runtime(overrides, tmp_path_factory.mktemp(f"quality-{request.param}"), pki)
        with TestClient(create_app(runtime), base_url="http://gateway.test") as client:
            world = World(runtime, client, s.main_bank(pki), s.other_bank(pki),
                          str(Month.of(utcnow().astimezone(LOCAL_TZ).date())), s.supervisor_headers(client),
                          staff_headers(client, "reviewer", REVIEWER_PASSWORD))
            build(world)
            yield world
        runtime.close()


def figures(world: World, bank: s.Bank) -> dict:
    response = world.client.get(f"/v1/quality/{world.month}", auth=bank.auth)
    assert response.status_code == 200, response.text
    return response.json()


def test_an_institution_reads_its_months_figures_computed_from_what_happened(world):
    mine = figures(world, world.bank)
    assert mine["institution_code"] == factories.BANK_CODE and mine["month"] == world.month
    assert mine["complete"] is False
    assert mine["applications"] == {"received": 4, "by_registration_type": {"MORTGAGE_FIRST": 4},
                                    "by_channel": {"bank_xml": 4}, "by_triage": {"SIMPLE": 4}}
    assert mine["intake_refusals"] == {"refused": 2, "by_code": {"request.stale": 1, "prereview.refused": 1},
                                       "refusing_findings": {"materials.missing": 1}}
    supplements = mine["supplement_requests"]
    assert (supplements["requested"], supplements["items"], supplements["avoidable"],
            supplements["avoidable_share"]) == (2, 3, 1, 0.5)
    assert [(m["type_code"], m["items"], m["avoidable_items"]) for m in supplements["by_material"]] == [
        ("LOAN_CONTRACT", 2, 2), ("MARRIAGE_CERTIFICATE", 1, 0)]
    decisions = mine["decisions"]
    assert (decisions["decided"], decisions["approved"], decisions["rejected"]) == (2, 1, 1)
    assert 0 <= decisions["median_hours"] < 1 and decisions["median_working_days"] == 0


def test_a_refusal_whose_signer_is_not_identified_counts_against_nobody(world):
    with read_only(world.runtime.read_sessions) as session:
        unattributed = session.scalars(select(IntakeRefusal.code).where(IntakeRefusal.institution_id.is_(None))).all()
    assert unattributed == ["certificate.not_registered"] * 2
    assert "certificate.not_registered" not in figures(world, world.bank)["intake_refusals"]["by_code"]
    assert figures(world, world.other)["intake_refusals"]["refused"] == 0


def test_a_dry_run_is_not_counted(world):
    with read_only(world.runtime.read_sessions) as session:
        stale = session.scalar(select(func.count()).select_from(IntakeRefusal).where(IntakeRefusal.code == "request.stale"))
    assert stale == 1  # the submission's, not the dry run's


def test_another_institution_reads_only_its_own_figures(world):
    theirs = figures(world, world.other)
    assert theirs["institution_code"] == factories.OTHER_BANK_CODE
    assert theirs["applications"]["received"] == 1
    assert theirs["supplement_requests"]["requested"] == 0 and theirs["decisions"]["decided"] == 0
    assert world.client.get(f"/v1/quality/{world.month}").status_code == 401
    assert world.client.get(f"/v1/quality/{world.month}/statement").status_code == 401


def test_supervisors_see_every_institution_and_the_unattributed_refusals(world):
    response = world.client.get(f"/v1/supervision/quality?month={world.month}", headers=world.supervisor)
    assert response.status_code == 200, response.text
    everyone = response.json()
    by_code = {row["institution_code"]: row for row in everyone["institutions"]}
    assert set(by_code) == {factories.BANK_CODE, factories.OTHER_BANK_CODE}
    mine = figures(world, world.bank)
    for part in ("applications", "intake_refusals", "supplement_requests", "decisions"):
        assert by_code[factories.BANK_CODE][part] == mine[part]
    assert everyone["unattributed_refusals"] == {"certificate.not_registered": 2}
    assert world.client.get("/v1/supervision/quality", headers=world.supervisor).json()["month"] == world.month


def test_banks_and_reviewers_may_not_read_the_supervisors_figures(world):
    assert world.client.get("/v1/supervision/quality", auth=world.bank.auth).status_code == 401
    assert world.client.get("/v1/supervision/quality", headers=world.reviewer).status_code == 403


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "2026-1", "26-11", "202611", "2026-11-01", "1999-12", "month"])
def test_a_month_not_written_yyyy_mm_is_refused_and_nothing_is_stored(world, month):
    before = _refusals(world)
    for response in (world.client.get(f"/v1/quality/{month}", auth=world.bank.auth),
                     world.client.get(f"/v1/quality/{month}/statement", auth=world.bank.auth),
                     world.client.get(f"/v1/supervision/quality?month={month}", headers=world.supervisor)):
        assert response.status_code == 400, response.text
        assert response.json()["code"] == "quality.month_invalid"
    assert _refusals(world) == before


def test_a_month_that_has_not_begun_is_refused(world):
    future = str(Month.parse(world.month, today=utcnow().astimezone(LOCAL_TZ).date()).next())
    response = world.client.get(f"/v1/quality/{future}", auth=world.bank.auth)
    assert response.status_code == 400 and response.json()["code"] == "quality.month_not_started"
    assert response.json()["current_month"] == world.month


def test_an_earlier_month_has_nothing(world):
    earlier = str(Month.parse(world.month, today=utcnow().astimezone(LOCAL_TZ).date()).previous())
    response = world.client.get(f"/v1/quality/{earlier}", auth=world.bank.auth)
    assert response.status_code == 200
    assert response.json()["complete"] is True and response.json()["applications"]["received"] == 0


def _refusals(world: World) -> int:
    with read_only(world.runtime.read_sessions) as session:
        return session.scalar(select(func.count()).select_from(IntakeRefusal))


def test_record_refusal_keeps_no_more_than_codes(world):
    from gateway.quality.refusals import record_refusal

    with transaction(world.runtime.sessions) as session:
        row = record_refusal(session, institution_id=None, code="batch.item_signature_invalid", channel="batch",
                             at=utcnow(), finding_codes=["b.x", "a.y", "a.y"])
        session.flush()
        assert (row.code, row.channel, row.finding_codes) == ("batch.item_signature_invalid", "batch", ["a.y", "b.x"])
        session.delete(row)


def test_unattributed_refusals_are_recorded_only_within_the_budget(client, runtime, pki):
    from gateway.quality.refusals import unattributed_budget

    unattributed_budget(runtime).per_minute = 1
    forged = factories.signed_request(s.first(), pki.other_bank)
    answers = [_post(client, "/v1/applications", forged).json()["code"] for _ in range(3)]
    assert answers == ["certificate.not_registered"] * 3  # every one refused alike
    with read_only(runtime.read_sessions) as session:
        assert session.scalar(select(func.count()).select_from(IntakeRefusal)) == 1
