"""Extending a deadline: only the reviewer who holds the claim, or a supervisor; never beyond the
documented maximum per application (``max_extension_working_days``); always with a reason, which is
recorded with who granted it. Acceptance testing found any reviewer could extend any open
application, without limit, with a blank reason."""
from __future__ import annotations

from sqlalchemy import select

from gateway.persistence.db import transaction
from gateway.persistence.models import Application, ApplicationExtension
from tests.conftest import ADMIN_PASSWORD, REVIEWER_PASSWORD, staff_headers
from tests.integration.helpers import claim, submit_new

REASON = "需调取原始档案核实共有情况"


def extend(client, number: str, headers, working_days: int = 3, reason: str = REASON):
    return client.post(f"/v1/review/applications/{number}/extension",
                       json={"working_days": working_days, "reason": reason}, headers=headers)


def extensions_and_due(runtime, number: str) -> tuple[list[tuple[int, str, str]], str]:
    with transaction(runtime.sessions) as session:
        application = session.scalar(select(Application).where(Application.application_no == number))
        rows = session.scalars(select(ApplicationExtension).where(ApplicationExtension.application_id == application.id)
                               .order_by(ApplicationExtension.id))
        return [(e.working_days, e.reason, e.actor) for e in rows], application.due_date.isoformat()


def test_the_reviewer_holding_the_claim_extends_with_the_reason_and_their_name_recorded(client, runtime, pki,
                                                                                       bank_auth, reviewer):
    number = submit_new(client, pki, bank_auth)
    claim(client, number, reviewer)
    _, due_before = extensions_and_due(runtime, number)

    answer = extend(client, number, reviewer)

    assert answer.status_code == 200, answer.text
    extensions, due_after = extensions_and_due(runtime, number)
    assert extensions == [(3, REASON, "reviewer")]
    assert due_after == answer.json()["due_date"] and due_after > due_before


def test_a_reviewer_who_does_not_hold_the_claim_may_not_extend(client, runtime, pki, bank_auth, reviewer):
    number = submit_new(client, pki, bank_auth)
    claim(client, number, reviewer)
    before = extensions_and_due(runtime, number)

    answer = extend(client, number, staff_headers(client, "reviewer2", REVIEWER_PASSWORD))

    assert answer.status_code == 403, answer.text
    assert answer.json()["code"] == "review.extension_not_claim_holder"
    assert extensions_and_due(runtime, number) == before


def test_a_reviewer_may_not_extend_an_application_nobody_has_claimed(client, runtime, pki, bank_auth, reviewer):
    number = submit_new(client, pki, bank_auth)
    before = extensions_and_due(runtime, number)

    answer = extend(client, number, reviewer)

    assert answer.status_code == 403, answer.text
    assert answer.json()["code"] == "review.extension_not_claim_holder"
    assert extensions_and_due(runtime, number) == before


def test_a_supervisor_extends_an_application_whoever_holds_it(client, runtime, pki, bank_auth, reviewer):
    number = submit_new(client, pki, bank_auth)
    claim(client, number, reviewer)

    answer = extend(client, number, staff_headers(client, "supervisor", ADMIN_PASSWORD))

    assert answer.status_code == 200, answer.text
    assert extensions_and_due(runtime, number)[0] == [(3, REASON, "supervisor")]


def test_an_administrator_is_not_a_supervisor_for_extensions(client, runtime, pki, bank_auth, admin):
    number = submit_new(client, pki, bank_auth)
    before = extensions_and_due(runtime, number)

    answer = extend(client, number, admin)

    assert answer.status_code == 403, answer.text
    assert answer.json()["code"] == "auth.forbidden"
    assert extensions_and_due(runtime, number) == before


def test_extensions_beyond_the_maximum_per_application_are_refused(client, runtime, pki, bank_auth, reviewer):
    maximum = runtime.settings.max_extension_working_days
    number = submit_new(client, pki, bank_auth)
    claim(client, number, reviewer)
    assert extend(client, number, reviewer, working_days=maximum - 2).status_code == 200
    before = extensions_and_due(runtime, number)

    answer = extend(client, number, reviewer, working_days=3)

    assert answer.status_code == 409, answer.text
    assert answer.json()["code"] == "review.extension_limit"
    assert (answer.json()["maximum_working_days"], answer.json()["remaining_working_days"]) == (maximum, 2)
    assert extensions_and_due(runtime, number) == before
    assert extend(client, number, reviewer, working_days=2).status_code == 200  # up to the maximum exactly


def test_the_maximum_counts_the_extension_pre_review_gave_a_complex_case(client, runtime, pki, bank_auth, reviewer):
    from sqlalchemy import update

    from gateway.register.models import PropertyUnit
    from tests.support import factories

    with transaction(runtime.sessions) as session:
        session.execute(update(PropertyUnit).where(PropertyUnit.unit_code == factories.UNIT_CODE)
                        .values(needs_survey=True))
    number = submit_new(client, pki, bank_auth)
    claim(client, number, reviewer)
    left = runtime.settings.max_extension_working_days - runtime.settings.complex_extension_working_days

    answer = extend(client, number, reviewer, working_days=left + 1)

    assert answer.status_code == 409, answer.text
    assert answer.json()["remaining_working_days"] == left


def test_an_extension_with_an_empty_reason_is_refused(client, runtime, pki, bank_auth, reviewer):
    number = submit_new(client, pki, bank_auth)
    claim(client, number, reviewer)
    before = extensions_and_due(runtime, number)

    for blank in ("", "   \n "):
        answer = extend(client, number, reviewer, reason=blank)
        assert answer.status_code == 422, answer.text
        assert answer.json()["code"] == "review.reason_required"
    assert extensions_and_due(runtime, number) == before


def test_a_decided_application_has_no_deadline_to_extend(client, runtime, pki, bank_auth, reviewer):
    number = submit_new(client, pki, bank_auth)
    claim(client, number, reviewer)
    client.post(f"/v1/review/applications/{number}/decision", json={"decision": "reject", "reason": "材料不符"},
                headers=reviewer)

    answer = extend(client, number, staff_headers(client, "supervisor", ADMIN_PASSWORD))

    assert answer.status_code == 409, answer.text
    assert answer.json()["code"] == "application.illegal_transition"
