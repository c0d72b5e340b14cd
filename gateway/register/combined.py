"""The combined filing's group facts for pre-review (转移 + 抵押 合并办理).

A buyers' mortgage filed in a group after the group's ownership transfer is checked against the
transfer's buyers (the owners-to-be), and a mortgage a group member discharges in the same act is
not carried over. Only members on the same unit, not refused, and received so far count.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bank_adapters.canonical import CanonicalApplication, IdType, RegistrationType
from gateway.persistence.models import Application
from gateway.register.view import CombinedGroup, OwnerRecord


def combined_group(session: Session, application: CanonicalApplication, *,
                   exclude_application_id=None) -> CombinedGroup:
    """What the members of the application's group received so far say (empty when not linked)."""
    link = application.link
    if link is None:
        return CombinedGroup()
    members = [m for m in session.scalars(
        select(Application).where(Application.link_group == link.group_id,
                                  Application.unit_code == application.unit_code,
                                  Application.status != "REJECTED")
    ) if m.id != exclude_application_id]
    transfer = next((m for m in members if m.registration_type == RegistrationType.OWNERSHIP_TRANSFER.value
                     and (m.link_position or 0) < link.position), None)
    discharged = frozenset(
        _current_number(session, m.canonical.get("referenced_certificate_no") or "") for m in members
        if m.registration_type == RegistrationType.MORTGAGE_DISCHARGE.value)
    if transfer is None:
        return CombinedGroup(discharged_certificates=discharged)
    buyers = tuple(OwnerRecord(b["name"], IdType(b["id_type"]), b["id_number"], "")
                   for b in transfer.canonical.get("buyers", ()))
    return CombinedGroup(transfer_mortgagee_code=transfer.canonical["mortgagee"]["code"], transfer_buyers=buyers,
                         discharged_certificates=discharged)


def _current_number(session: Session, certificate_no: str) -> str:
    """The mortgage's latest certificate number (a discharge may name an earlier one of its numbers)."""
    from gateway.register.repository import mortgage_by_certificate  # the repository imports this module

    mortgage = mortgage_by_certificate(session, certificate_no)
    return mortgage.certificate_no if mortgage is not None else certificate_no.strip()
