"""The rule registry and the published rules table."""
from __future__ import annotations

import re

import pytest

from gateway.prereview.docs import rules_markdown
from gateway.prereview.findings import KINDS, Severity
from gateway.prereview.rules import RULES, rules_for
from gateway.prereview.triage import run_prereview
from tests.unit.prereview import factories as f
from tests.unit.prereview.factories import T

INTAKE_ONLY = {"link.size_mismatch", "link.position_taken", "link.group_rejected", "link.unit_mismatch",
               "prereview.rule_failed"}


@pytest.mark.parametrize("registration_type", list(T))
def test_a_clean_application_of_each_type_has_nothing_to_refuse_or_review(registration_type):
    findings = run_prereview(*f.scenario(registration_type))
    assert [x.code for x in findings if x.severity != Severity.INFO] == []


def test_codes_are_dotted_lower_case():
    assert all(re.fullmatch(r"[a-z_]+(\.[a-z_]+)+", code) for code in KINDS)


def test_every_code_is_emitted_by_a_rule_or_checked_at_intake():
    emitted = {kind.code for rule in RULES for kind in rule.emits}
    assert set(KINDS) - emitted == INTAKE_ONLY


def test_rule_names_are_unique_and_every_rule_says_what_it_checks():
    assert len({rule.name for rule in RULES}) == len(RULES)
    assert all(rule.check.__doc__ for rule in RULES)


def test_every_type_has_the_unit_identifier_and_materials_rules():
    for registration_type in T:
        names = [rule.name for rule in rules_for(registration_type)]
        assert {"unit_code_shape", "unit_exists_in_fitting_state", "party_id_numbers"} <= set(names)
        assert "materials_complete" in names


def test_the_rules_document_lists_every_code_with_its_severity_and_every_rule():
    document = rules_markdown()
    for code, kind in KINDS.items():
        assert f"| `{code}` | {kind.severity.value} |" in document
    for rule in RULES:
        assert f"`{rule.name}`" in document
