"""The gateway's signed outputs: the receipt and the result, as XML in the published schema."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from lxml import etree

NS = "urn:pingluo-bdc:mortgage-gateway:v1"


def _el(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{NS}}}{name}")
    if text is not None:
        element.text = text
    return element


def _root(name: str) -> etree._Element:
    root = etree.Element(f"{{{NS}}}{name}", nsmap={None: NS})
    root.set("version", "1")
    return root


def _iso(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


@dataclass(frozen=True)
class NoticeFinding:
    """A pre-review finding told to the institution (no personal data in it)."""

    code: str
    severity: str
    message: str
    hint: str


@dataclass(frozen=True)
class ReceiptFacts:
    application_no: str
    request_id: str
    mortgagee_code: str
    request_sha256: str
    received_at: datetime
    status: str
    due_date: date
    deadline_provisional: bool = False
    triage: str = "SIMPLE"
    fee: tuple[Decimal, str] | None = None  # amount in yuan, basis
    findings: tuple[NoticeFinding, ...] = ()


def build_receipt(facts: ReceiptFacts, *, issued_at: datetime) -> etree._Element:
    """The unsigned receipt (回执) confirming acceptance of a request."""
    root = _root("Receipt")
    _el(root, "ApplicationNo", facts.application_no)
    _el(root, "RequestId", facts.request_id)
    _el(root, "MortgageeCode", facts.mortgagee_code)
    _el(root, "RequestSha256", facts.request_sha256)
    _el(root, "ReceivedAt", _iso(facts.received_at))
    _el(root, "Status", facts.status)
    due = _el(root, "DueDate", facts.due_date.isoformat())
    due.set("provisional", "true" if facts.deadline_provisional else "false")
    _el(root, "Triage", facts.triage)
    if facts.fee is not None:
        fee = _el(root, "Fee", f"{facts.fee[0]:.2f}")
        fee.set("currency", "CNY")
        fee.set("basis", facts.fee[1])
    _findings(root, facts.findings)
    _el(root, "IssuedAt", _iso(issued_at))
    return root


def _findings(root: etree._Element, findings: tuple[NoticeFinding, ...]) -> None:
    if not findings:
        return
    container = _el(root, "Findings")
    for finding in findings:
        entry = _el(container, "Finding")
        _el(entry, "Code", finding.code)
        _el(entry, "Severity", finding.severity)
        _el(entry, "Message", finding.message)
        _el(entry, "Hint", finding.hint)


@dataclass(frozen=True)
class RegistrationFacts:
    certificate_no: str
    unit_code: str
    priority: int | None  # None for an ownership transfer: a 不动产权证书号, no mortgage priority
    registered_at: datetime


@dataclass(frozen=True)
class CertificateFiles:
    """The issued certificate: both files' digests and where anyone can verify it."""

    pdf_sha256: str
    xml_sha256: str
    verification_code: str
    verify_url: str


@dataclass(frozen=True)
class SupplementItem:
    type_code: str
    reason: str


@dataclass(frozen=True)
class ResultFacts:
    application_no: str
    request_id: str
    mortgagee_code: str
    request_sha256: str
    decision: str  # APPROVED | REJECTED | SUPPLEMENT_REQUESTED
    decided_at: datetime
    registration: RegistrationFacts | None = None
    certificate: CertificateFiles | None = None
    reason: str | None = None
    supplement: tuple[SupplementItem, ...] = ()
    supplement_respond_by: date | None = None  # the day by which the supplement is to arrive


def build_result(facts: ResultFacts, *, issued_at: datetime) -> etree._Element:
    """The unsigned result (办理结果): approval with registration facts, rejection, or 补正."""
    root = _root("Result")
    _el(root, "ApplicationNo", facts.application_no)
    _el(root, "RequestId", facts.request_id)
    _el(root, "MortgageeCode", facts.mortgagee_code)
    _el(root, "RequestSha256", facts.request_sha256)
    _el(root, "Decision", facts.decision)
    _el(root, "DecidedAt", _iso(facts.decided_at))
    if facts.registration:
        registration = _el(root, "Registration")
        _el(registration, "CertificateNo", facts.registration.certificate_no)
        _el(registration, "UnitCode", facts.registration.unit_code)
        if facts.registration.priority is not None:
            _el(registration, "Priority", str(facts.registration.priority))
        _el(registration, "RegisteredAt", _iso(facts.registration.registered_at))
    if facts.certificate:
        certificate = _el(root, "Certificate")
        _el(certificate, "PdfSha256", facts.certificate.pdf_sha256)
        _el(certificate, "XmlSha256", facts.certificate.xml_sha256)
        _el(certificate, "VerificationCode", facts.certificate.verification_code)
        _el(certificate, "VerifyUrl", facts.certificate.verify_url)
    if facts.reason:
        _el(root, "Reason", facts.reason)
    if facts.supplement:
        supplement = _el(root, "Supplement")
        for item in facts.supplement:
            entry = _el(supplement, "Item")
            _el(entry, "TypeCode", item.type_code)
            _el(entry, "Reason", item.reason)
        if facts.supplement_respond_by is not None:
            _el(supplement, "RespondBy", facts.supplement_respond_by.isoformat())
    _el(root, "IssuedAt", _iso(issued_at))
    return root
