"""When an application submitted out of office hours is accepted (受理), and so when its clock starts.

不动产登记暂行条例 art. 20 counts the time limit from the day of acceptance. A bank's core system
submits at any hour; the registration centre accepts during office hours. So by default
(``GATEWAY_AFTER_HOURS_NEXT_WORKING_DAY``) a submission received on a non-working day, or on a
working day at or after ``GATEWAY_OFFICE_CUTOFF`` (17:30 in Pingluo), is accepted on the next working
day. The time of receipt itself is kept as it was (it fixes the priority, 顺位). These are the worked
examples of docs/interface/api.md §6.3, with the 2026 official calendar (checked by hand against
``chinese_calendar``).
"""
from __future__ import annotations

from datetime import date, datetime, time

import pytest

from gateway.applications.documents import SupplementItem
from gateway.applications.states import Action
from gateway.persistence.db import transaction
from gateway.review import service
from tests.support import scenarios as s
from tests.support.scenarios import long_lived_database, long_lived_pki, past  # noqa: F401 (fixtures)


def due_on(past, moment: datetime) -> str:
    """The due date on the receipt of a first mortgage (5 working days) received at ``moment``."""
    outcome = s.submit_at(past.runtime, s.first(), past.pki.bank, moment)
    return s.receipt(outcome.receipt).findtext("g:DueDate", namespaces=s.NS)


def test_a_submission_before_the_cutoff_on_a_working_day_is_accepted_that_day(past):
    # Friday 27 November 2026, 17:15: counting starts Monday 30 November: 30 Nov, 1, 2, 3, 4 December.
    assert due_on(past, s.local_time(date(2026, 11, 27), 17, 15)) == "2026-12-04"


def test_a_submission_on_friday_at_17_45_is_accepted_on_monday(past):
    # Accepted Monday 30 November; 1, 2, 3, 4, 7 December.
    assert due_on(past, s.local_time(date(2026, 11, 27), 17, 45)) == "2026-12-07"


def test_a_submission_at_the_cutoff_itself_is_after_hours(past):
    assert due_on(past, s.local_time(date(2026, 11, 27), 17, 30)) == "2026-12-07"


def test_a_submission_on_saturday_morning_is_accepted_on_monday(past):
    # Saturday 28 November, 10:00: accepted Monday 30 November, due Monday 7 December.
    assert due_on(past, s.local_time(date(2026, 11, 28), 10)) == "2026-12-07"


def test_a_submission_on_the_eve_of_national_day_after_hours_is_accepted_after_the_holiday(past):
    # Wednesday 30 September, 18:00; 1–7 October are off: accepted Thursday 8 October;
    # 9, 10 (make-up Saturday), 12, 13, 14 October.
    assert due_on(past, s.local_time(date(2026, 9, 30), 18)) == "2026-10-14"


def test_a_submission_on_a_make_up_working_sunday_is_accepted_that_day(past):
    # Sunday 20 September 2026 is worked (调休): accepted that day; 21, 22, 23, 24 September (25–27 are the
    # Mid-Autumn holiday), 28 September.
    assert due_on(past, s.local_time(date(2026, 9, 20), 10)) == "2026-09-28"


def test_a_submission_on_a_make_up_working_sunday_after_hours_is_accepted_on_monday(past):
    # Accepted Monday 21 September; 22, 23, 24, 28, 29 September.
    assert due_on(past, s.local_time(date(2026, 9, 20), 18)) == "2026-09-29"


def test_the_time_of_receipt_stays_the_moment_the_request_arrived(past):
    moment = s.local_time(date(2026, 11, 28), 10)
    outcome = s.submit_at(past.runtime, s.first(), past.pki.bank, moment)

    received = s.receipt(outcome.receipt).findtext("g:ReceivedAt", namespaces=s.NS)

    assert datetime.fromisoformat(received.replace("Z", "+00:00")) == moment


def test_a_supplement_requested_before_the_acceptance_day_does_not_break_the_clock(past):
    """Staff working on a Sunday on a file received on Saturday: the clock had not started yet."""
    number = s.submit_at(past.runtime, s.first(), past.pki.bank, s.local_time(date(2026, 11, 28), 10)).application_no
    sunday = s.local_time(date(2026, 11, 29), 11)
    with transaction(past.runtime.sessions) as session:
        reviewer = s.staff_user(session)
        service.claim(session, past.runtime.settings, application_no=number, reviewer=reviewer, at=sunday)
        service.decide(past.runtime, session, application_no=number, reviewer=reviewer, at=sunday,
                       decision=service.Decision(Action.REQUEST_SUPPLEMENT, missing=(
                           SupplementItem("MARRIAGE_CERTIFICATE", "共有人婚姻关系证明缺失"),)))

    status = s.status(past.client, number, past.bank)

    assert status["status"] == "SUPPLEMENT_REQUESTED"
    assert status["due_date"] >= "2026-12-07"


@pytest.fixture
def same_day(long_lived_database, long_lived_pki, tmp_path):
    """A gateway told to count from the calendar day of receipt, whatever the hour."""
    gateway = s.past_gateway(long_lived_database, tmp_path / "var", long_lived_pki,
                             after_hours_next_working_day=False)
    with gateway.client:
        yield gateway
    gateway.runtime.close()


def test_with_after_hours_acceptance_off_the_day_of_receipt_is_the_day_of_acceptance(same_day):
    assert due_on(same_day, s.local_time(date(2026, 11, 27), 17, 45)) == "2026-12-04"
    assert due_on(same_day, s.local_time(date(2026, 11, 28), 10)) == "2026-12-04"


@pytest.fixture
def early_close(long_lived_database, long_lived_pki, tmp_path):
    gateway = s.past_gateway(long_lived_database, tmp_path / "var", long_lived_pki, office_cutoff=time(17))
    with gateway.client:
        yield gateway
    gateway.runtime.close()


def test_the_cutoff_is_a_setting(early_close):
    assert due_on(early_close, s.local_time(date(2026, 11, 27), 17, 15)) == "2026-12-07"
