"""Numbers without gaps or duplicates, and correct priorities, under concurrent approvals."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from gateway.applications.intake import submit_application
from gateway.applications.states import Action
from gateway.persistence.db import transaction
from gateway.persistence.models import StaffUser
from gateway.register.models import RegisteredMortgage
from gateway.persistence.types import utcnow
from gateway.review import service
from gateway.materials.service import store_material
from gateway.register.numbers import allocate_certificate_number
from gateway.institutions.service import find_by_code
from tests.conftest import make_settings, seed, start_runtime
from tests.support import factories

APPROVALS = 12


@pytest.fixture(params=["sqlite", "postgresql"])
def any_runtime(request, tmp_path, pki):
    overrides = {}
    if request.param == "postgresql":
        overrides["database_url"] = request.getfixturevalue("postgres_url")
    runtime = start_runtime(make_settings(tmp_path / "var", pki, **overrides))
    seed(runtime, pki)
    yield runtime
    runtime.close()


def submitted_and_claimed(runtime, pki, count: int) -> list[str]:
    with transaction(runtime.sessions) as session:
        bank = find_by_code(session, factories.BANK_CODE)
        for data in factories.MATERIALS.values():
            store_material(session, institution_id=bank.id, sha256=factories.sha256(data), content=data,
                           media_type="application/pdf", max_bytes=10**6)
    numbers = [submit_application(runtime, factories.signed_request(factories.application(), pki.bank)).application_no
               for _ in range(count)]
    with transaction(runtime.sessions) as session:
        reviewer = session.scalar(select(StaffUser).where(StaffUser.username == "reviewer"))
        for number in numbers:
            service.claim(session, runtime.settings, application_no=number, reviewer=reviewer, at=utcnow())
    return numbers


def approve(runtime, number: str) -> None:
    with transaction(runtime.sessions) as session:
        reviewer = session.scalar(select(StaffUser).where(StaffUser.username == "reviewer"))
        service.decide(runtime, session, application_no=number, reviewer=reviewer,
                       decision=service.Decision(Action.APPROVE), at=utcnow())


def test_concurrent_approvals_get_consecutive_certificate_numbers_and_priorities(any_runtime, pki):
    numbers = submitted_and_claimed(any_runtime, pki, APPROVALS)
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(lambda n: approve(any_runtime, n), numbers))
    with transaction(any_runtime.sessions) as session:
        rows = session.execute(select(RegisteredMortgage.priority, RegisteredMortgage.certificate_no)).all()
    serials = sorted(int(no.split("第")[1].rstrip("号")) for _, no in rows)
    assert serials == list(range(1, APPROVALS + 1))
    assert sorted(priority for priority, _ in rows) == list(range(1, APPROVALS + 1))


def test_a_rolled_back_registration_gives_its_certificate_number_back(any_runtime):
    settings = any_runtime.settings
    with pytest.raises(RuntimeError):
        with transaction(any_runtime.sessions) as session:
            allocate_certificate_number(session, settings, at=utcnow())
            raise RuntimeError("the registration failed after the number was taken")
    with transaction(any_runtime.sessions) as session:
        number = allocate_certificate_number(session, settings, at=utcnow())
    assert number.endswith("第0000001号")
