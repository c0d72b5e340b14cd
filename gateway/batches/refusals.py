"""The signed Refusal of one batch item: what was refused, with the code and every finding."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from gateway.applications.documents import NS
from gateway.errors import GatewayError

MAX_VIOLATIONS = 100


@dataclass(frozen=True)
class RefusalFacts:
    batch_reference: str
    position: int
    request_id: str
    mortgagee_code: str
    request_sha256: str
    code: str
    detail: str
    findings: tuple[dict, ...] = ()
    violations: tuple[dict, ...] = ()


def facts_of(error: GatewayError, *, batch_reference: str, position: int, request_id: str, mortgagee_code: str,
             content: bytes) -> RefusalFacts:
    """The facts a refusal states, from the intake's coded error (its findings and violations too)."""
    extra = error.extra if isinstance(error.extra, dict) else {}
    findings = tuple(f for f in extra.get("findings") or () if isinstance(f, dict) and f.get("code"))
    violations = tuple(v for v in extra.get("violations") or () if isinstance(v, dict))[:MAX_VIOLATIONS]
    return RefusalFacts(batch_reference, position, request_id, mortgagee_code, hashlib.sha256(content).hexdigest(),
                        error.code, (error.detail or error.title)[:2000], findings, violations)


def build_refusal(facts: RefusalFacts, *, issued_at: datetime) -> etree._Element:
    """The unsigned Refusal (拒收通知) of one batch item, in the output schema."""
    root = etree.Element(f"{{{NS}}}Refusal", nsmap={None: NS})
    root.set("version", "1")
    _el(root, "BatchId", facts.batch_reference)
    _el(root, "Position", str(facts.position))
    _el(root, "RequestId", facts.request_id)
    _el(root, "MortgageeCode", facts.mortgagee_code)
    _el(root, "RequestSha256", facts.request_sha256)
    _el(root, "Code", facts.code)
    _el(root, "Detail", facts.detail)
    if facts.findings:
        container = _el(root, "Findings")
        for finding in facts.findings:
            entry = _el(container, "Finding")
            _el(entry, "Code", str(finding["code"]))
            _el(entry, "Severity", str(finding.get("severity", "REFUSE")))
            _el(entry, "Message", str(finding.get("message_zh") or finding.get("message") or ""))
            _el(entry, "Hint", str(finding.get("hint") or ""))
    if facts.violations:
        container = _el(root, "Violations")
        for violation in facts.violations:
            entry = _el(container, "Violation")
            _el(entry, "Path", str(violation.get("path") or "/"))
            _el(entry, "Reason", str(violation.get("reason") or "invalid"))
    _el(root, "IssuedAt", issued_at.isoformat(timespec="seconds"))
    return root


def _el(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{NS}}}{name}")
    if text is not None:
        element.text = text
    return element
