"""Step-by-step efficiency supervision (全节点效能监督): time per step, deadlines at risk and overdue, metrics.

Applications move through queue → review → registration at chosen times (intake with ``now=``,
reviewer actions through the review service with ``at=``), so that every duration is known.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from gateway.applications.documents import SupplementItem
from gateway.applications.states import Action, Status
from gateway.persistence.db import transaction
from gateway.persistence.models import Application
from gateway.persistence.types import utcnow
from gateway.review import service
from tests.conftest import REVIEWER_PASSWORD, staff_headers
from tests.support import scenarios as s
from tests.support.register import add_unit
from tests.support.scenarios import long_lived_database, long_lived_pki, past  # noqa: F401 (fixtures)

HOME_2 = "640221001003GB00045F00010002"
HOME_3 = "640221001003GB00045F00010003"


def claim_at(runtime, number: str, at, username: str = "reviewer") -> None:
    with transaction(runtime.sessions) as session:
        service.claim(session, runtime.settings, application_no=number, reviewer=s.staff_user(session, username), at=at)


def decide_at(runtime, number: str, at, username: str = "reviewer", action: Action = Action.APPROVE,
              reason: str | None = None) -> None:
    with transaction(runtime.sessions) as session:
        service.decide(runtime, session, application_no=number, reviewer=s.staff_user(session, username),
                       decision=service.Decision(action, reason=reason), at=at)
    assert runtime.wait_idle(60)


@pytest.fixture(scope="module")
def reviewed(long_lived_database, long_lived_pki, tmp_path_factory):
    """Three applications reviewed and registered (the steps tests only read them)."""
    gateway = s.past_gateway(long_lived_database, tmp_path_factory.mktemp("reviewed") / "var", long_lived_pki)
    with gateway.client:
        three_reviewed(gateway)
        yield gateway
    gateway.runtime.close()


def three_reviewed(past) -> None:
    """Two applications of the test bank reviewed by ``reviewer``, one of the other bank by ``reviewer2``.

    queue: 600, 1200, 1800 s; review: 1800, 3600 (reviewer), 1800 s (reviewer2); registration at once.
    """
    with transaction(past.runtime.sessions) as session:
        add_unit(session, HOME_2)
        add_unit(session, HOME_3)
    base = utcnow().replace(microsecond=0) - timedelta(hours=3)
    minutes = lambda n: base + timedelta(minutes=n)  # noqa: E731
    a = s.submit_at(past.runtime, s.first(), past.pki.bank, minutes(0)).application_no
    b = s.submit_at(past.runtime, s.first(unit_code=HOME_2), past.pki.bank, minutes(1)).application_no
    c = s.submit_at(past.runtime, s.first(unit_code=HOME_3, mortgagee=s.OTHER_BANK), past.pki.other_bank,
                    minutes(2)).application_no
    for number, claimed, decided, username in ((a, 10, 40, "reviewer"), (b, 21, 81, "reviewer"),
                                               (c, 32, 62, "reviewer2")):
        claim_at(past.runtime, number, minutes(claimed), username)
        decide_at(past.runtime, number, minutes(decided), username)
    assert s.statuses(past.runtime, a, b, c) == ["REGISTERED"] * 3


@pytest.fixture(scope="module")
def supervisor(reviewed) -> dict[str, str]:
    return s.supervisor_headers(reviewed.client)


def steps(gateway, supervisor, group_by: str) -> list[tuple]:
    response = gateway.client.get(f"/v1/supervision/steps?group_by={group_by}", headers=supervisor)
    assert response.status_code == 200, response.text
    return [(r["step"], r["group"], r["count"], r["median_seconds"], r["p90_seconds"]) for r in response.json()]


def test_the_time_at_each_step_has_a_count_a_median_and_a_90th_percentile(reviewed, supervisor):
    assert steps(reviewed, supervisor, "step") == [
        ("queue", "queue", 3, 1200, 1800),
        ("registration", "registration", 3, 0, 0),
        ("review", "review", 3, 1800, 3600),
    ]


def test_the_time_in_review_is_given_per_reviewer(reviewed, supervisor):
    assert steps(reviewed, supervisor, "reviewer") == [
        ("review", "reviewer", 2, 2700, 3600),
        ("review", "reviewer2", 1, 1800, 1800),
    ]


def test_the_time_at_each_step_is_given_per_institution(reviewed, supervisor):
    bank, other = s.BANK.code, s.OTHER_BANK.code
    assert sorted(steps(reviewed, supervisor, "institution")) == sorted([
        ("queue", bank, 2, 900, 1200), ("queue", other, 1, 1800, 1800),
        ("registration", bank, 2, 0, 0), ("registration", other, 1, 0, 0),
        ("review", bank, 2, 2700, 3600), ("review", other, 1, 1800, 1800),
    ])


def test_reviewers_may_not_see_the_supervision_figures(past):
    reviewer = staff_headers(past.client, "reviewer", REVIEWER_PASSWORD)
    for path in ("/v1/supervision/steps", "/v1/supervision/deadlines"):
        response = past.client.get(path, headers=reviewer)
        assert response.status_code == 403, path
        assert response.json()["code"] == "auth.forbidden"
    assert past.client.get("/v1/supervision/deadlines").status_code == 401


# --- deadlines and metrics -----------------------------------------------------------------------------------

@pytest.fixture
def watched(long_lived_database, long_lived_pki, tmp_path):
    """A gateway that calls an application at risk with 5 working days left or fewer, holding:
    an overdue one (accepted 30 days ago), a fresh mortgage (5 days left: at risk), a fresh
    pre-notice (10 days left), one registered and one rejected (both closed)."""
    # Received "now" counts as accepted today whatever the hour or day the test runs (api.md §6.3).
    gateway = s.past_gateway(long_lived_database, tmp_path / "var", long_lived_pki, at_risk_working_days=5,
                             after_hours_next_working_day=False)
    with gateway.client:
        runtime, now = gateway.runtime, utcnow()
        with transaction(runtime.sessions) as session:
            add_unit(session, HOME_2)
            add_unit(session, HOME_3)
            s.add_off_plan_flat(session)
        numbers = {
            "overdue": s.submit_at(runtime, s.first(), long_lived_pki.bank, now - timedelta(days=30)),
            "at_risk": s.submit_at(runtime, s.first(unit_code=HOME_2), long_lived_pki.bank, now),
            "pre_notice": s.submit_at(runtime, s.pre_notice(), long_lived_pki.bank, now),
            "registered": s.submit_at(runtime, s.first(unit_code=HOME_3), long_lived_pki.bank, now),
            "rejected": s.submit_at(runtime, s.first(), long_lived_pki.bank, now),
        }
        numbers = gateway.numbers = {k: v.application_no for k, v in numbers.items()}
        claim_at(runtime, numbers["registered"], now)
        decide_at(runtime, numbers["registered"], now)
        claim_at(runtime, numbers["rejected"], now)
        decide_at(runtime, numbers["rejected"], now, action=Action.REJECT, reason="抵押合同未签字")
        yield gateway
    gateway.runtime.close()


def deadlines(gateway) -> dict:
    response = gateway.client.get("/v1/supervision/deadlines", headers=s.supervisor_headers(gateway.client))
    assert response.status_code == 200, response.text
    return response.json()


def test_overdue_open_applications_are_listed(watched):
    overdue = deadlines(watched)["overdue"]
    assert [row["application_no"] for row in overdue] == [watched.numbers["overdue"]]
    assert overdue[0]["working_days_left"] < 0
    assert (overdue[0]["status"], overdue[0]["institution_code"]) == ("QUEUED", s.BANK.code)


def test_open_applications_close_to_their_deadline_are_listed_as_at_risk(watched):
    at_risk = deadlines(watched)["at_risk"]
    assert [(row["application_no"], row["working_days_left"]) for row in at_risk] == [
        (watched.numbers["at_risk"], 5)]


def request_supplement_at(runtime, number: str, at) -> None:
    claim_at(runtime, number, at)
    with transaction(runtime.sessions) as session:
        service.decide(runtime, session, application_no=number, reviewer=s.staff_user(session),
                       decision=service.Decision(Action.REQUEST_SUPPLEMENT, missing=(
                           SupplementItem("MARRIAGE_CERTIFICATE", "共有人婚姻关系证明缺失"),)), at=at)


def test_an_application_waiting_for_a_supplement_is_not_overdue_while_its_clock_is_stopped(past):
    now = utcnow()
    number = s.submit_at(past.runtime, s.first(), past.pki.bank, now - timedelta(days=30)).application_no
    request_supplement_at(past.runtime, number, now - timedelta(days=29))

    listed = deadlines(past)

    assert listed["overdue"] == [] and listed["at_risk"] == []
    assert metrics(past.client)["gateway_applications_overdue"] == 0


def test_an_application_whose_days_ran_out_before_the_supplement_request_stays_overdue(past):
    now = utcnow()
    number = s.submit_at(past.runtime, s.first(), past.pki.bank, now - timedelta(days=30)).application_no
    request_supplement_at(past.runtime, number, now - timedelta(days=1))

    [overdue] = deadlines(past)["overdue"]

    assert (overdue["application_no"], overdue["paused"]) == (number, True)
    assert metrics(past.client)["gateway_applications_overdue"] == 1


def metrics(client) -> dict[str, float]:
    values = {}
    for line in client.get("/metrics").text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values


def test_the_metrics_count_applications_by_status_and_match_the_deadline_lists(watched):
    exported = metrics(watched.client)
    with transaction(watched.runtime.sessions) as session:
        counts = dict(session.execute(select(Application.status, func.count()).group_by(Application.status)).all())
    assert counts == {"QUEUED": 3, "REGISTERED": 1, "REJECTED": 1}
    for status in Status:
        assert exported[f'gateway_applications{{status="{status.value}"}}'] == counts.get(status.value, 0)
    listed = deadlines(watched)
    assert exported["gateway_applications_overdue"] == len(listed["overdue"]) == 1
    assert exported["gateway_applications_at_risk"] == len(listed["at_risk"]) == 1


def test_the_metrics_show_unsent_background_work_and_how_old_it_is(watched):
    from gateway.persistence.models import OutboxMessage
    from gateway.supervision.service import metrics_text

    def exported(session, now) -> dict[str, float]:
        text = metrics_text(session, now=now, at_risk_days=1, settings=watched.runtime.settings)
        return {name: float(value) for name, value in
                (line.rsplit(" ", 1) for line in text.splitlines() if line.startswith("gateway_outbox"))}

    now = utcnow()
    with transaction(watched.runtime.sessions) as session:  # rolled back below: the relay never sees it
        assert exported(session, now) == {"gateway_outbox_unsent": 0, "gateway_outbox_oldest_unsent_seconds": 0}
        session.add(OutboxMessage(task="delivery.attempt", args=[0], created_at=now - timedelta(minutes=5)))
        session.flush()
        assert exported(session, now) == {"gateway_outbox_unsent": 1, "gateway_outbox_oldest_unsent_seconds": 300}
        session.rollback()
