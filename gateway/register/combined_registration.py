"""The combined group at registration: its shape is checked again, and the transfer's result facts."""
from __future__ import annotations

from gateway.applications import documents
from gateway.persistence.models import Application
from gateway.prereview.identifiers import identity_key
from gateway.register.ownership_models import OwnershipTransfer
from gateway.register.service import RegisterConflict

OWNERSHIP_TRANSFER = "OWNERSHIP_TRANSFER"
_BUYERS_MORTGAGE = ("MORTGAGE_FIRST", "MORTGAGE_FIRST_MAXIMUM")


def check_combined_group(members: list[Application]) -> None:
    """A group with a transfer registers only with the buyers' mortgage by the transfer's applicant,
    at a later position, given by the buyers (pre-review checks each member as it arrives; this holds
    the line if members arrived out of order)."""
    for transfer in (m for m in members if m.registration_type == OWNERSHIP_TRANSFER):
        buyers = {identity_key(b["id_number"]) for b in transfer.canonical.get("buyers", ())}
        if not any(_is_buyers_mortgage(m, transfer, buyers) for m in members):
            raise RegisterConflict("an ownership transfer registers only together with the buyers' new mortgage "
                                   "filed by the same institution at a later position of its group")


def _is_buyers_mortgage(member: Application, transfer: Application, buyers: set[str]) -> bool:
    mortgagors = {identity_key(p["id_number"]) for p in member.canonical.get("mortgagors", ())}
    return (member.registration_type in _BUYERS_MORTGAGE and member.institution_id == transfer.institution_id
            and (member.link_position or 0) > (transfer.link_position or 0) and mortgagors == buyers)


def transfer_facts(transfer: OwnershipTransfer) -> documents.RegistrationFacts:
    """The result's registration facts: the 不动产权证书号, and no mortgage priority."""
    return documents.RegistrationFacts(transfer.certificate_no, transfer.unit_code, None, transfer.registered_at)
