"""The register view pre-review sees: every fact the rules use, read in four statements whatever the application."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import event, select

from bank_adapters import IdType, LinkRef, Mortgagee, Party
from gateway.persistence.db import transaction
from gateway.persistence.models import Application, Institution
from gateway.protection import blind_index
from gateway.register.models import IdentityOnFile, RegistrationEntry
from gateway.register.repository import register_view
from gateway.register.view import EncumbranceKind, MortgageStatus, OwnerRecord
from tests.support import factories
from tests.support.register import add_encumbrance, add_mortgage, add_unit
from tests.support.tamper import runtime, seeded_database  # noqa: F401 (fixtures)

FIRST_NO = "宁(2025)平罗县不动产证明第0000001号"
CHANGED_NO = "宁(2026)平罗县不动产证明第0000009号"
OTHER_UNIT = "640221001001GB00012F00010002"
RECEIVED = datetime(2026, 5, 1, 2, tzinfo=timezone.utc)
WANG, LI = factories.application().mortgagors


@pytest.fixture
def register(runtime):  # noqa: F811
    """A unit with a changed mortgage, a discharged one, a seizure, pending applications and one identity on file."""
    with transaction(runtime.sessions) as session:
        bank = session.scalar(select(Institution).where(Institution.code == factories.BANK_CODE))
        discharged = add_mortgage(session, certificate_no="宁(2024)平罗县不动产证明第0000005号", priority=1)
        discharged.status = "DISCHARGED"
        session.flush()
        changed = add_mortgage(session, certificate_no=FIRST_NO, priority=1)
        session.add(RegistrationEntry(mortgage_id=changed.id, registration_type="MORTGAGE_CHANGE",
                                      certificate_no=CHANGED_NO, registered_at=RECEIVED))
        changed.certificate_no = CHANGED_NO
        add_unit(session, OTHER_UNIT)
        add_mortgage(session, certificate_no="宁(2025)平罗县不动产证明第0000002号", unit_code=OTHER_UNIT)
        add_encumbrance(session, "SEIZURE")
        for number, (status, days, group) in enumerate([("QUEUED", 0, None), ("IN_REVIEW", 1, "G1"),
                                                        ("REGISTERED", 2, None), ("APPROVED", 9, None)]):
            session.add(Application(
                application_no=f"T{number}", institution_id=bank.id, request_id=f"R{number}",
                registration_type="MORTGAGE_FIRST", status=status, unit_code=factories.UNIT_CODE,
                request_sha256="0" * 64, canonical={}, signature={}, request_created_at=RECEIVED,
                received_at=RECEIVED + timedelta(days=days), due_date=date(2026, 6, 1), link_group=group))
        session.flush()
        session.add(IdentityOnFile(id_number_index=blind_index(WANG.id_number),
                                   application_id=session.scalar(select(Application.id))))
    return runtime


def view_and_statements(runtime, application, **options):  # noqa: F811
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(runtime.engine, "before_cursor_execute", record)
    try:
        with runtime.sessions() as session:
            view = register_view(session, application, **options)
    finally:
        event.remove(runtime.engine, "before_cursor_execute", record)
    return view, [s for s in statements if s.lstrip().upper().startswith("SELECT")]


def test_the_view_holds_the_unit_its_owners_mortgages_and_encumbrances(register):
    view, _ = view_and_statements(register, factories.application())

    assert view.unit.unit_code == factories.UNIT_CODE
    assert view.owners == tuple(OwnerRecord(p.name, IdType.RESIDENT_ID, p.id_number, "1/2") for p in (WANG, LI))
    assert [(m.certificate_no, m.status) for m in view.mortgages] == [
        ("宁(2024)平罗县不动产证明第0000005号", MortgageStatus.DISCHARGED), (CHANGED_NO, MortgageStatus.IN_FORCE)]
    assert [(e.kind, e.active) for e in view.encumbrances] == [(EncumbranceKind.SEIZURE, True)]
    assert view.earlier_pending == 3
    assert view.held_materials == {"TITLE_CERTIFICATE"}  # 李秀梅's identity document is not on file


def test_a_mortgage_named_by_an_earlier_certificate_number_is_shown_under_that_number_too(register):
    application = factories.application(referenced_certificate_no=FIRST_NO.replace("(", "（").replace(")", "）"))

    view, _ = view_and_statements(register, application)

    assert [m.certificate_no for m in view.mortgages][-1] == application.referenced_certificate_no
    assert {"MORTGAGE_CERTIFICATE", "PRE_NOTICE_MORTGAGE_CERTIFICATE"} <= view.held_materials


def test_a_certificate_of_another_unit_is_not_taken_for_this_units_mortgage(register):
    view, _ = view_and_statements(register, factories.application(referenced_certificate_no="宁(2025)平罗县不动产证明第0000002号"))

    assert "MORTGAGE_CERTIFICATE" not in view.held_materials
    assert len(view.mortgages) == 2


def test_identities_on_file_an_onboarded_transferee_and_pending_filters_are_counted(register):
    application = factories.application(mortgagors=(WANG, WANG), link=LinkRef("G1", 2, 2),
                                        transferee=Mortgagee(factories.OTHER_BANK_CODE, "另一家银行"))

    view, _ = view_and_statements(register, application, received_before=RECEIVED + timedelta(days=5))

    assert {"ID_DOCUMENT", "TRANSFEREE_ID"} <= view.held_materials
    assert view.earlier_pending == 1  # the group's own member and the later application are left out


@pytest.mark.parametrize("mortgagors", [1, 2, 12])
def test_the_view_takes_four_statements_however_many_mortgagors_there_are(register, mortgagors):
    parties = tuple(Party(f"抵押人{n}", IdType.PASSPORT, f"E{n:08d}") for n in range(mortgagors))
    application = factories.application(mortgagors=parties, referenced_certificate_no=FIRST_NO,
                                        transferee=Mortgagee(factories.OTHER_BANK_CODE, "另一家银行"))

    _, statements = view_and_statements(register, application, received_before=RECEIVED)

    assert len(statements) == 4


def test_a_unit_missing_from_the_register_gives_an_empty_view(register):
    view, _ = view_and_statements(register, replace(factories.application(), unit_code="640221001001GB00012F00019999"))

    assert (view.unit, view.owners, view.mortgages, view.encumbrances, view.earlier_pending) == (None, (), (), (), 0)
