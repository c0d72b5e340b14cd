"""Complex circumstances, earlier applications on the unit, linked groups."""
from __future__ import annotations

from bank_adapters.canonical import LinkRef, SpecialCircumstance
from gateway.prereview.findings import Severity
from gateway.prereview.rules.circumstances import (
    link_is_consistent,
    no_earlier_pending,
    special_circumstances,
    unit_needs_survey,
)
from tests.unit.prereview import factories as f

S = SpecialCircumstance


def test_each_declared_circumstance_is_complex_with_its_reason_once():
    app = f.application(special_circumstances=(S.SURVEY_REQUIRED, S.UNNOTARISED_INHERITANCE, S.SURVEY_REQUIRED))
    findings = special_circumstances(app, f.register())
    assert [(x.code, x.severity) for x in findings] == [
        ("complex.survey_required", Severity.COMPLEX), ("complex.unnotarised_inheritance", Severity.COMPLEX)]
    assert "继承" in findings[1].message_zh


def test_an_announcement_is_complex():
    findings = special_circumstances(f.application(special_circumstances=(S.ANNOUNCEMENT_REQUIRED,)), f.register())
    assert [x.code for x in findings] == ["complex.announcement_required"]


def test_a_unit_the_register_marks_for_survey_is_complex():
    register = f.register(unit=f.unit(needs_survey=True))
    assert [(x.code, x.severity) for x in unit_needs_survey(f.application(), register)] == [
        ("unit.needs_survey", Severity.COMPLEX)]


def test_an_earlier_undecided_application_on_the_unit_goes_to_a_reviewer_with_the_count():
    [finding] = no_earlier_pending(f.application(), f.register(earlier_pending=2))
    assert (finding.code, finding.severity) == ("application.earlier_pending", Severity.REVIEW)
    assert "2件" in finding.message_zh


def test_a_group_of_two_in_order_passes():
    app = f.application(link=LinkRef("ZHL-2026-0007", 2, 2))
    assert link_is_consistent(app, f.register()) == []


def test_a_group_of_one_is_refused_naming_the_size():
    [finding] = link_is_consistent(f.application(link=LinkRef("ZHL-2026-0007", 1, 1)), f.register())
    assert (finding.code, finding.field) == ("link.invalid", "link.size")


def test_a_position_beyond_the_group_size_is_refused_naming_the_position():
    findings = link_is_consistent(f.application(link=LinkRef("ZHL-2026-0007", 3, 2)), f.register())
    assert [(x.code, x.field) for x in findings] == [("link.invalid", "link.position")]


def test_a_blank_group_id_and_a_zero_position_are_both_reported():
    findings = link_is_consistent(f.application(link=LinkRef(" ", 0, 2)), f.register())
    assert [x.field for x in findings] == ["link.group_id", "link.position"]
