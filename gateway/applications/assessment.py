"""Pre-review against the register at intake (and for dry runs): findings, triage and fee."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bank_adapters.canonical import CanonicalApplication
from gateway.catalogue.fees import Fee, Tariff, fee_for
from gateway.errors import GatewayError
from gateway.persistence.models import Application
from gateway.prereview.findings import Finding, Severity
from gateway.prereview.triage import AutoApprovalPolicy, Outcome, Triage, run_prereview, triage
from gateway.register.repository import register_view
from gateway.settings import Settings


class PreReviewRefused(GatewayError):
    """Refused at intake: ``findings`` lists every defect at once (一次性告知)."""

    code = "prereview.refused"
    title = "The application breaks registration rules; every finding is listed"


@dataclass(frozen=True)
class Assessment:
    triage: Triage
    fee: Fee | None

    @property
    def outcome(self) -> Outcome:
        return self.triage.outcome

    def findings_json(self, *, severities: tuple[Severity, ...] | None = None) -> list[dict[str, Any]]:
        return [
            {k: (v.value if hasattr(v, "value") else v) for k, v in asdict(f).items()}
            for f in self.triage.findings if severities is None or f.severity in severities
        ]


def assess(session: Session, settings: Settings, application: CanonicalApplication, *, now: datetime) -> Assessment:
    """Run every pre-review rule against the register; nothing is written."""
    view = register_view(session, application, received_before=now)
    findings = run_prereview(application, view) + _link_findings(session, application)
    result = triage(application, findings, AutoApprovalPolicy())
    fee = fee_for(application, view.unit.use if view.unit else None, _tariff(settings))
    return Assessment(result, fee)


def refuse_if_needed(assessment: Assessment) -> None:
    if assessment.outcome == Outcome.REFUSED:
        raise PreReviewRefused(
            "see findings: every defect found is listed at once",
            extra={"findings": assessment.findings_json()},
        )


def _tariff(settings: Settings) -> Tariff:
    return Tariff(residential=Decimal(settings.fee_residential_yuan),
                  non_residential=Decimal(settings.fee_non_residential_yuan))


def _link_findings(session: Session, application: CanonicalApplication) -> list[Finding]:
    """Group checks that need the database: a consistent size, a free position, a live group."""
    link = application.link
    if link is None:
        return []
    members = session.scalars(select(Application).where(Application.link_group == link.group_id)).all()
    findings = []
    if any(m.link_size != link.size for m in members):
        findings.append(_link_finding("link.size_mismatch", "同组关联申请的申请件数不一致", "Size 须与同组其他申请一致"))
    if any(m.link_position == link.position for m in members):
        findings.append(_link_finding("link.position_taken", "同组关联申请中该顺序号已被使用", "每件关联申请须使用不同的 Position"))
    if any(m.unit_code != application.unit_code for m in members):
        # A group is registered together on one unit (组合贷, discharge then new mortgage); this
        # also keeps an unrelated institution that learnt a group id from joining it elsewhere.
        findings.append(_link_finding("link.unit_mismatch", "同组关联申请须针对同一不动产单元",
                                      "请核对不动产单元号，或为不同单元的申请使用不同的 GroupId"))
    if any(m.status == "REJECTED" for m in members):
        findings.append(_link_finding("link.group_rejected", "同组关联申请已不予登记", "请重新组织全部关联申请，使用新的 GroupId"))
    return findings


def _link_finding(code: str, message: str, hint: str) -> Finding:
    return Finding(code=code, severity=Severity.REFUSE, message_zh=message, hint=hint, field="link")
