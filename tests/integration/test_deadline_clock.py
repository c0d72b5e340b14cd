"""The working-day clock at intake and in review: due dates on the official calendar, pauses, extensions,
provisional deadlines in a year the calendar does not know yet, and loading that year's schedule.

"Now" is frozen: intake is called with ``now=`` (on a gateway whose test certificates were already
valid then), and the API's clock is patched where a reviewer or the bank acts on a chosen day.
Every expected date is worked out by hand below and checked against ``chinese_calendar``.
"""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import chinese_calendar
import pytest
from sqlalchemy import select

from gateway.persistence.db import transaction
from gateway.persistence.models import ApplicationExtension
from tests.conftest import REVIEWER_PASSWORD, staff_headers
from tests.support import factories, scenarios as s
from tests.support.scenarios import long_lived_database, long_lived_pki, past  # noqa: F401 (fixtures)


def official_due(accepted: date, working_days: int) -> date:
    """The day the ``working_days``-th working day after ``accepted`` ends, on the official calendar."""
    day, left = accepted, working_days
    while left:
        day += timedelta(days=1)
        left -= chinese_calendar.is_workday(day)
    return day


@pytest.fixture
def reviewer(past) -> dict[str, str]:
    return staff_headers(past.client, "reviewer", REVIEWER_PASSWORD)


def freeze(monkeypatch, moment: datetime) -> None:
    """The API's clock (reviewer actions, the bank's supplement) reads ``moment``."""
    monkeypatch.setattr("gateway.review.endpoints.utcnow", lambda: moment)
    monkeypatch.setattr("gateway.applications.endpoints.utcnow", lambda: moment)


def due_of(outcome) -> tuple[str, str]:
    due = s.receipt(outcome.receipt).find("g:DueDate", s.NS)
    return due.text, due.get("provisional")


# --- the due date at acceptance ---------------------------------------------------------------------------

def test_a_mortgage_accepted_before_national_day_is_due_five_working_days_later(past):
    outcome = s.submit_at(past.runtime, s.first(), past.pki.bank, s.local_time(date(2026, 9, 30)))
    # 1–7 October are off, Saturday 10 October is a make-up working day: 8, 9, 10, 12, 13 October.
    assert due_of(outcome) == ("2026-10-13", "false")
    assert official_due(date(2026, 9, 30), 5) == date(2026, 10, 13)


def test_the_day_of_acceptance_is_the_local_day_in_pingluo(past):
    # 17:00 on Monday 28 September in Pingluo (before the office's cut-off) is 09:00 UTC; 07:30 on Tuesday
    # 29 September is 23:30 UTC on the 28th. (After the cut-off, see test_acceptance_time.py.)
    afternoon = s.submit_at(past.runtime, s.first(), past.pki.bank, s.local_time(date(2026, 9, 28), 17, 0))
    early_morning = s.submit_at(past.runtime, s.first(), past.pki.bank, s.local_time(date(2026, 9, 29), 7, 30))
    assert due_of(afternoon)[0] == official_due(date(2026, 9, 28), 5).isoformat() == "2026-10-10"
    assert due_of(early_morning)[0] == official_due(date(2026, 9, 29), 5).isoformat() == "2026-10-12"


def test_a_pre_notice_mortgage_has_ten_working_days(past):
    with transaction(past.runtime.sessions) as session:
        s.add_off_plan_flat(session)
    outcome = s.submit_at(past.runtime, s.pre_notice(), past.pki.bank, s.local_time(date(2026, 9, 30)))
    # 8, 9, 10 (make-up Saturday), 12–16, 19, 20 October.
    assert due_of(outcome) == ("2026-10-20", "false")
    assert official_due(date(2026, 9, 30), 10) == date(2026, 10, 20)


# --- pauses and extensions ----------------------------------------------------------------------------------

def test_a_supplement_request_pauses_the_clock_and_the_banks_answer_restarts_it(past, reviewer, monkeypatch):
    outcome = s.submit_at(past.runtime, s.first(), past.pki.bank, s.local_time(date(2026, 9, 28)))
    number = outcome.application_no
    assert due_of(outcome)[0] == "2026-10-10"  # 29, 30 September, 8, 9, 10 October
    freeze(monkeypatch, s.local_time(date(2026, 9, 29)))
    s.decide(past.client, number, reviewer, "request_supplement",
             missing=[{"type_code": "MARRIAGE_CERTIFICATE", "reason": "共有人婚姻关系证明缺失"}])
    assert s.status(past.client, number, past.bank)["status"] == "SUPPLEMENT_REQUESTED"

    data = s.material_bytes("MARRIAGE_CERTIFICATE")
    sha256 = factories.sha256(data)
    uploaded = past.client.put(f"/v1/materials/{sha256}", content=data, headers={"Content-Type": "application/pdf"},
                               auth=past.bank.auth)
    assert uploaded.status_code == 201, uploaded.text
    freeze(monkeypatch, s.local_time(date(2026, 10, 12)))
    answer = past.client.post(f"/v1/applications/{number}/supplement", auth=past.bank.auth, json={
        "materials": [{"type_code": "MARRIAGE_CERTIFICATE", "file_name": "marriage.pdf", "sha256": sha256}],
        "note": "已补充婚姻关系证明"})
    assert answer.status_code == 200, answer.text

    # 29 September counted; 30 September – 12 October stopped (30 Sep, 8, 9, 10, 12 Oct: 5 working days);
    # the remaining 4 run on 13–16 October.
    assert (answer.json()["status"], answer.json()["due_date"]) == ("QUEUED", "2026-10-16")
    assert [d["kind"] for d in answer.json()["documents"]][-1] == "supplement"
    view = past.client.get(f"/v1/review/applications/{number}", headers=reviewer).json()
    assert [m["type_code"] for m in view["materials"]][-1] == "MARRIAGE_CERTIFICATE"


def test_an_announcement_pauses_the_clock_until_it_ends(past, reviewer, monkeypatch):
    number = s.submit_at(past.runtime, s.first(), past.pki.bank, s.local_time(date(2026, 9, 28))).application_no
    freeze(monkeypatch, s.local_time(date(2026, 9, 29)))
    s.claim(past.client, number, reviewer)
    started = past.client.post(f"/v1/review/applications/{number}/announcement",
                               json={"action": "start", "reason": "继承人公告"}, headers=reviewer)
    assert started.json()["status"] == "ANNOUNCING", started.text
    freeze(monkeypatch, s.local_time(date(2026, 10, 9)))
    ended = past.client.post(f"/v1/review/applications/{number}/announcement",
                             json={"action": "end", "reason": "公告期满无异议"}, headers=reviewer)
    assert ended.json()["status"] == "QUEUED", ended.text

    # 29 September counted; stopped through 9 October (30 Sep, 8, 9 Oct); then 10 (Saturday), 12, 13, 14 October.
    assert s.status(past.client, number, past.bank)["due_date"] == "2026-10-14"


def test_a_reviewer_extension_adds_working_days_with_its_reason_recorded(past, reviewer):
    number = s.submit_at(past.runtime, s.first(), past.pki.bank, s.local_time(date(2026, 9, 30))).application_no
    s.claim(past.client, number, reviewer)  # the claim holder (or a supervisor) extends

    response = past.client.post(f"/v1/review/applications/{number}/extension",
                                json={"working_days": 3, "reason": "需调取原始档案核实共有情况"}, headers=reviewer)

    assert response.status_code == 200, response.text
    assert (response.json()["due_date"], response.json()["provisional"]) == ("2026-10-16", False)  # 13 + 14, 15, 16
    status = s.status(past.client, number, past.bank)
    assert status["due_date"] == "2026-10-16"
    assert [(e["working_days"], e["reason"]) for e in status["extensions"]] == [(3, "需调取原始档案核实共有情况")]
    with transaction(past.runtime.sessions) as session:
        [extension] = session.scalars(select(ApplicationExtension)).all()
    assert (extension.working_days, extension.reason, extension.actor) == (3, "需调取原始档案核实共有情况", "reviewer")


# --- a year the calendar does not know yet ----------------------------------------------------------------------

SCHEDULE_2027 = {
    "year": 2027,
    "source": "测试用2027年安排（非官方，仅供测试）",
    "note": "written by test_deadline_clock",
    "holidays": [
        {"name": "元旦", "dates": ["2027-01-01"]},
        {"name": "春节", "dates": ["2027-02-05", "2027-02-06", "2027-02-07", "2027-02-08", "2027-02-09",
                                  "2027-02-10", "2027-02-11"]},
    ],
    "makeup_workdays": ["2027-01-02", "2027-02-14"],
}


def metric(client, name: str) -> float:
    lines = [line for line in client.get("/metrics").text.splitlines() if line.startswith(f"{name} ")]
    assert len(lines) == 1, lines
    return float(lines[0].split()[1])


def provisional_application(past) -> str:
    outcome = s.submit_at(past.runtime, s.first(), past.pki.bank, s.local_time(date(2026, 12, 28)))
    # 29, 30, 31 December; 1 January is a statutory holiday; Monday 4 and Tuesday 5 January 2027,
    # counted on weekends and fixed holidays only: the 2027 schedule is not published.
    assert due_of(outcome) == ("2027-01-05", "true")
    return outcome.application_no


def test_a_deadline_running_into_an_unknown_year_is_provisional_and_never_refused(past, reviewer):
    number = provisional_application(past)

    status = s.status(past.client, number, past.bank)
    assert (status["status"], status["due_date"], status["deadline_provisional"]) == ("QUEUED", "2027-01-05", True)
    assert past.client.get(f"/v1/review/applications/{number}", headers=reviewer).json()["deadline_provisional"] is True
    assert metric(past.client, "gateway_deadlines_provisional") == 1


def test_loading_the_years_schedule_makes_provisional_deadlines_firm_and_recomputes_them(past, tmp_path, monkeypatch,
                                                                                         capsys):
    number = provisional_application(past)
    schedule = tmp_path / "2027.json"
    schedule.write_text(json.dumps(SCHEDULE_2027, ensure_ascii=False), encoding="utf-8")

    assert s.run_cli(monkeypatch, past.runtime, "calendar", "load", str(schedule)) == 0

    assert "calendar 2027 loaded; 1 provisional deadline(s) are now firm" in capsys.readouterr().out
    status = s.status(past.client, number, past.bank)
    # 29, 30, 31 December, Saturday 2 January (a make-up working day in the loaded schedule), 4 January.
    assert (status["due_date"], status["deadline_provisional"]) == ("2027-01-04", False)
    assert metric(past.client, "gateway_deadlines_provisional") == 0


def test_an_example_schedule_is_not_loaded_as_the_official_one(past, tmp_path, monkeypatch, capsys):
    number = provisional_application(past)
    schedule = tmp_path / "2027.json"
    schedule.write_text(json.dumps({**SCHEDULE_2027, "example": True}, ensure_ascii=False), encoding="utf-8")

    assert s.run_cli(monkeypatch, past.runtime, "calendar", "load", str(schedule)) == 1

    assert "calendar.invalid_schedule" in capsys.readouterr().err
    assert s.status(past.client, number, past.bank)["deadline_provisional"] is True
