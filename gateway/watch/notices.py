"""The ``WatchNotice`` document (docs/interface/schemas/gateway-output-v1.xsd), unsigned.

Built from the stored notice alone, so signing it again (a re-driven task) says the same thing.
"""
from __future__ import annotations

import hashlib
from datetime import datetime

from lxml import etree

from gateway.applications.documents import NS

KIND_OF_MORTGAGE_EVENT = ("MORTGAGE", "MORTGAGE_DISCHARGE")


def notice_id(institution_code: str, event_key: str) -> str:
    """Stable: the same event told to the same institution always has the same id."""
    return "WN" + hashlib.sha256(f"{institution_code}|{event_key}".encode()).hexdigest()[:24].upper()


def _el(parent: etree._Element, name: str, text: object | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{NS}}}{name}")
    if text is not None:
        element.text = str(text)
    return element


def _iso(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def build_watch_notice(notice, *, institution_code: str, issued_at: datetime) -> etree._Element:
    """``notice``: a :class:`gateway.watch.models.WatchNotice`; ``institution_code``: whom it is for."""
    root = etree.Element(f"{{{NS}}}WatchNotice", nsmap={None: NS})
    root.set("version", "1")
    _el(root, "NoticeId", notice.notice_id)
    _el(root, "MortgageeCode", institution_code)
    _el(root, "UnitCode", notice.unit_code)
    _event(_el(root, "Event"), notice)
    watched = _el(root, "WatchedBy")
    for reason in notice.watched_by:
        if reason["kind"] == "mortgage":
            mortgage = _el(watched, "Mortgage")
            _el(mortgage, "CertificateNo", reason["certificate_no"])
            _el(mortgage, "Priority", reason["priority"])
        else:
            application = _el(watched, "Application")
            _el(application, "ApplicationNo", reason["application_no"])
            _el(application, "SubscriptionId", reason["subscription_id"])
    _el(root, "IssuedAt", _iso(issued_at))
    return root


def _event(event: etree._Element, notice) -> None:
    _el(event, "Kind", notice.event_kind)
    _el(event, "Reference", notice.reference)
    _el(event, "RegisteredOn", notice.registered_on.isoformat())
    if notice.registered_at is not None:
        _el(event, "RegisteredAt", _iso(notice.registered_at))
    _el(event, "Source", notice.source)
    facts = notice.facts or {}
    if notice.event_kind in KIND_OF_MORTGAGE_EVENT:
        mortgage = _el(event, "Mortgage")
        _el(mortgage, "CertificateNo", facts["certificate_no"])
        _el(mortgage, "MortgageKind", facts["mortgage_kind"])
        _el(mortgage, "Priority", facts["priority"])
        _el(mortgage, "MortgageeCode", facts["mortgagee_code"])
        _el(mortgage, "MortgageeName", facts["mortgagee_name"])
        if facts.get("converted_from"):
            _el(mortgage, "ConvertedFrom", facts["converted_from"])
    elif notice.event_kind == "OWNERSHIP_TRANSFER":
        transfer = _el(event, "Transfer")
        _el(transfer, "OwnerCount", facts["owner_count"])
        for carried in facts.get("carried_over", ()):
            mortgage = _el(transfer, "CarriedOver")
            _el(mortgage, "CertificateNo", carried["certificate_no"])
            _el(mortgage, "Priority", carried["priority"])
