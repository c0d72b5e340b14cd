"""At approval of an ownership transfer the deed-tax record is checked again (契税法第11条).

Pre-review refused a transfer without a fitting record at intake; this catches what changed since:
a record flagged conflicting by a later version, or a transfer queued before the rule existed.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from bank_adapters.canonical import RegistrationType
from gateway.applications.canonical_json import from_json
from gateway.department_records.errors import TaxRecordMismatch, TaxRecordMissing
from gateway.department_records.facts import department_facts
from gateway.persistence.models import Application
from gateway.prereview import codes
from gateway.prereview.rules.department_records import tax_record_matches
from gateway.register.view import RegisterView


def require_tax_record(session: Session, application: Application) -> None:
    """Refuse (409) approving an ownership transfer whose deed-tax record is missing or does not match."""
    if application.registration_type != RegistrationType.OWNERSHIP_TRANSFER.value:
        return
    tax, _ = department_facts(session, RegistrationType.OWNERSHIP_TRANSFER, application.unit_code)
    findings = tax_record_matches(from_json(application.canonical), RegisterView(unit=None, tax_records=tax))
    for finding in findings:
        if finding.code == codes.TAX_RECORD_MISSING.code:
            raise TaxRecordMissing("no deed-tax record from the tax bureau for this unit and sale contract",
                                   extra={"finding": finding.code})
        raise TaxRecordMismatch(f"the deed-tax record does not match the transfer (see {finding.field})",
                                extra={"finding": finding.code})
