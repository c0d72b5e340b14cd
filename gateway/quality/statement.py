"""The signed monthly quality statement: one institution's figures as a ``Statement`` document
(docs/interface/schemas/gateway-output-v1.xsd), signed like every output in the institution's format."""
from __future__ import annotations

from datetime import datetime, timezone

from lxml import etree

from gateway.applications.documents import NS
from gateway.outputs import institution_output_format, sign_output
from gateway.quality.figures import InstitutionFigures, MonthlyFigures


def _iso(value: datetime) -> str:
    return value.astimezone(timezone.utc).isoformat(timespec="seconds")


def _el(parent: etree._Element, name: str, text: str | None = None, **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{NS}}}{name}")
    if text is not None:
        element.text = text
    for key, value in attributes.items():
        element.set(key, value)
    return element


def _counts(parent: etree._Element, of: str, counts: dict[str, int]) -> None:
    for key, count in sorted(counts.items()):
        _el(parent, "Count", str(count), of=of, key=key)


def build_statement(month: MonthlyFigures, figures: InstitutionFigures, *, issued_at: datetime) -> etree._Element:
    """The unsigned Statement of one institution's month."""
    root = etree.Element(f"{{{NS}}}Statement", nsmap={None: NS})
    root.set("version", "1")
    _el(root, "InstitutionCode", figures.institution_code)
    _el(root, "Month", str(month.month))
    _el(root, "PeriodStart", _iso(month.start))
    _el(root, "PeriodEnd", _iso(month.end))
    _el(root, "Complete", "true" if month.complete else "false")
    applications = _el(root, "Applications")
    _el(applications, "Received", str(figures.applications))
    _counts(applications, "registration_type", figures.applications_by_type)
    _counts(applications, "channel", figures.applications_by_channel)
    _counts(applications, "triage", figures.applications_by_triage)
    refusals = _el(root, "IntakeRefusals")
    _el(refusals, "Refused", str(figures.refusals))
    _counts(refusals, "code", figures.refusals_by_code)
    _counts(refusals, "finding", figures.refusing_findings)
    supplements = _el(root, "SupplementRequests")
    _el(supplements, "Requested", str(figures.supplement_requests))
    _el(supplements, "Items", str(figures.supplement_items))
    _el(supplements, "Avoidable", str(figures.avoidable_supplement_requests))
    if figures.avoidable_share is not None:
        _el(supplements, "AvoidableShare", f"{figures.avoidable_share:.4f}")
    for row in figures.supplement_by_material:
        _el(supplements, "Material", str(row.items), code=row.type_code, avoidable=str(row.avoidable_items))
    decisions = _el(root, "Decisions")
    for name, value in (("Decided", figures.decided), ("Approved", figures.approved), ("Rejected", figures.rejected)):
        _el(decisions, name, str(value))
    if figures.median_hours_to_decision is not None:
        _el(decisions, "MedianHours", f"{figures.median_hours_to_decision:.1f}")
        _el(decisions, "MedianWorkingDays", f"{figures.median_working_days_to_decision:.1f}")
    _el(root, "IssuedAt", _iso(issued_at))
    return root


def signed_statement(runtime, institution, month: MonthlyFigures, *, issued_at: datetime) -> tuple[bytes, str]:
    """The statement signed in the institution's format: (bytes, media type)."""
    (figures,) = month.institutions
    return sign_output(runtime, build_statement(month, figures, issued_at=issued_at),
                       fmt=institution_output_format(institution))
