"""Running every applicable rule, and sorting the application by what they found."""
from __future__ import annotations

import enum
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from bank_adapters.canonical import CanonicalApplication, RegistrationType
from gateway.prereview import codes
from gateway.prereview.findings import Finding, Severity
from gateway.prereview.rules import Rule, rules_for
from gateway.register.view import RegisterView

log = logging.getLogger(__name__)


class Outcome(enum.StrEnum):
    REFUSED = "REFUSED"  # refused at intake with the one-time notice
    AUTO_APPROVE = "AUTO_APPROVE"  # approved without a reviewer, as the per-type policy allows
    SIMPLE = "SIMPLE"  # to the review queue, ordinary deadline
    COMPLEX = "COMPLEX"  # to the review queue, deadline extended, institution told why


@dataclass(frozen=True)
class AutoApprovalPolicy:
    """Which types may be approved without a reviewer when pre-review finds nothing to review.

    The default approves a discharge automatically: the rules have already refused any
    discharge not filed by the mortgage's current mortgagee. Members of a linked group go to a
    reviewer unless ``linked`` allows them, because their group registers all-or-nothing.
    """

    types: frozenset[RegistrationType] = frozenset({RegistrationType.MORTGAGE_DISCHARGE})
    linked: bool = False

    def allows(self, application: CanonicalApplication) -> bool:
        if application.registration_type not in self.types:
            return False
        return self.linked or application.link is None


@dataclass(frozen=True)
class Triage:
    outcome: Outcome
    findings: tuple[Finding, ...]
    complex_reasons: tuple[str, ...]  # Chinese, for the institution: why the deadline is extended


def run_prereview(application: CanonicalApplication, register: RegisterView) -> list[Finding]:
    """Every finding of every rule that applies to the type, in notice order (一次性告知).

    A rule that fails with an exception is reported as ``prereview.rule_failed`` (REVIEW), so
    the application goes to a person instead of being refused or approved on a partial check.
    """
    findings: list[Finding] = []
    for rule in rules_for(application.registration_type):
        findings += _run(rule, application, register)
    return findings


def _run(rule: Rule, application: CanonicalApplication, register: RegisterView) -> list[Finding]:
    try:
        return list(rule.check(application, register))
    except Exception:  # a bug in one rule must not hide the others' findings
        log.exception("pre-review rule %s failed on %s", rule.name, application.request_id)
        return [codes.RULE_FAILED(f"预审规则 {rule.name} 未能完成，转人工审核", "无需操作", None)]


def triage(
    application: CanonicalApplication, findings: Iterable[Finding], policy: AutoApprovalPolicy = AutoApprovalPolicy()
) -> Triage:
    """Refused if anything refuses; complex if anything is complex; automatically approved if
    the policy allows the type and nothing needs review; otherwise simple.

    ``findings`` must come from ``run_prereview`` (plus any intake checks): auto-approval trusts
    that every rule ran.
    """
    findings = tuple(findings)
    severities = {f.severity for f in findings}
    reasons = tuple(dict.fromkeys(f.message_zh for f in findings if f.severity is Severity.COMPLEX))
    if Severity.REFUSE in severities:
        outcome = Outcome.REFUSED
    elif reasons:
        outcome = Outcome.COMPLEX
    elif Severity.REVIEW not in severities and policy.allows(application):
        outcome = Outcome.AUTO_APPROVE
    else:
        outcome = Outcome.SIMPLE
    return Triage(outcome, findings, reasons)
