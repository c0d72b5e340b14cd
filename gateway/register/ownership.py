"""Entering an ownership transfer by sale in the register (转移 + 抵押 合并办理, 带押过户).

Called for the OWNERSHIP_TRANSFER member of a combined group, in the group's registering
transaction and in position order: after the seller's bank's discharge (if any) and before the
buyers' new mortgage, which then takes the next free priority. The owners become the buyers (the
former owners are kept in ``ownership_transfers``), mortgages still in force are carried over with
the buyers as their mortgagors, and the registration is told to the subscribed departments and, by
title watch, to the unit's watchers (docs/interface/watch.md).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bank_adapters.canonical import CanonicalApplication, Party
from gateway.persistence.counters import next_value
from gateway.persistence.models import Application
from gateway.prereview.identifiers import identity_key
from gateway.protection import blind_index
from gateway.register.models import Encumbrance, IdentityOnFile, PropertyUnit, RegisteredMortgage, UnitOwner
from gateway.register.ownership_models import OwnershipTransfer
from gateway.register.service import RegisterConflict
from gateway.registration_events.service import record_registration
from gateway.settings import Settings
from gateway.timezone import LOCAL_TZ
from gateway.watch import events as watch_events, service as watch

EVENT_TYPE = "OWNERSHIP_TRANSFER"


def title_certificate_number(settings: Settings, year: int, serial: int) -> str:
    """宁(2026)平罗县不动产权第0000001号 — the official numbering of 不动产权证书, its own yearly series."""
    return f"{settings.certificate_province}({year}){settings.certificate_county}不动产权第{serial:07d}号"


def enter_transfer(
    session: Session, settings: Settings, application: Application, canonical: CanonicalApplication, *, at: datetime
) -> OwnershipTransfer:
    """Make the buyers the owners; raises RegisterConflict when the register no longer allows it."""
    unit = _titled_unit(session, canonical)
    former = [{"name": o.name, "id_type": o.id_type, "id_number": o.id_number, "share": o.share} for o in unit.owners]
    _replace_owners(session, unit, canonical.buyers)
    carried_over = _carry_over_mortgages(session, canonical)
    year = at.astimezone(LOCAL_TZ).year
    transfer = OwnershipTransfer(
        application_id=application.id, unit_code=canonical.unit_code,
        certificate_no=title_certificate_number(settings, year, next_value(session, f"title-certificate:{year}")),
        former_owners=former, buyers=[_party_json(p) for p in canonical.buyers],
        sale_contract_no=(canonical.sale_contract_no or "").strip(), sale_price=canonical.sale_price,
        carried_over=carried_over, registered_at=at,
    )
    session.add(transfer)
    _record_identities(session, application, canonical)
    session.flush()
    record_registration(
        session, event_type=EVENT_TYPE, unit_code=canonical.unit_code, certificate_no=transfer.certificate_no,
        registered_at=at, application_no=application.application_no,
        details={"sellers": [_party_json(p) for p in canonical.sellers],
                 "buyers": [_party_json(p) for p in canonical.buyers],
                 "sale_contract_no": transfer.sale_contract_no, "sale_price": canonical.sale_price,
                 "carried_over": carried_over})
    _tell_watchers(session, transfer, actor_code=canonical.mortgagee.code, owner_count=len(canonical.buyers))
    return transfer


def _tell_watchers(session: Session, transfer: OwnershipTransfer, *, actor_code: str, owner_count: int) -> None:
    """Title watch: the unit's other watchers (the carried-over mortgagee above all) learn that the owners
    changed — never who they are; the buyers' bank that filed the transfer is not told."""
    carried = session.execute(select(RegisteredMortgage.certificate_no, RegisteredMortgage.priority).where(
        RegisteredMortgage.unit_code == transfer.unit_code, RegisteredMortgage.status == "IN_FORCE",
    ).order_by(RegisteredMortgage.priority)).all()
    event = watch_events.transfer_event(transfer, actor_code=actor_code, owner_count=owner_count,
                                        carried_over=[(number, priority) for number, priority in carried])
    watch.record_event(session, event)


def _titled_unit(session: Session, canonical: CanonicalApplication) -> PropertyUnit:
    unit = session.scalar(select(PropertyUnit).where(PropertyUnit.unit_code == canonical.unit_code))
    if unit is None or unit.state != "TITLED":
        raise RegisterConflict("the unit is not a titled unit in the register")
    seized = session.scalar(select(Encumbrance.id).where(
        Encumbrance.unit_code == canonical.unit_code, Encumbrance.kind == "SEIZURE", Encumbrance.active.is_(True)))
    if seized is not None:
        raise RegisterConflict("the unit has been seized since the application was received")
    owners = {identity_key(o.id_number) for o in unit.owners}
    if owners != {identity_key(p.id_number) for p in canonical.sellers}:
        raise RegisterConflict("the sellers are no longer the recorded owners of the unit")
    return unit


def _replace_owners(session: Session, unit: PropertyUnit, buyers: tuple[Party, ...]) -> None:
    for owner in list(unit.owners):
        session.delete(owner)
    session.flush()
    share = "共同共有" if len(buyers) > 1 else "单独所有"
    for buyer in buyers:
        session.add(UnitOwner(unit_id=unit.id, name=buyer.name, id_type=buyer.id_type.value,
                              id_number=buyer.id_number, share=share))
    session.flush()
    session.expire(unit, ["owners"])


def _carry_over_mortgages(session: Session, canonical: CanonicalApplication) -> list[str]:
    """Mortgages still in force stay on the unit; the buyers take the former owners' place as mortgagors."""
    in_force = session.scalars(select(RegisteredMortgage).where(
        RegisteredMortgage.unit_code == canonical.unit_code, RegisteredMortgage.status == "IN_FORCE",
    ).order_by(RegisteredMortgage.priority)).all()
    for mortgage in in_force:
        mortgage.mortgagor_id_numbers = [p.id_number for p in canonical.buyers]
    return [m.certificate_no for m in in_force]


def _record_identities(session: Session, application: Application, canonical: CanonicalApplication) -> None:
    """The buyers' identity documents came with the transfer: not asked for again later."""
    if not any(m.type_code == "ID_DOCUMENT" for m in canonical.materials):
        return
    for index in dict.fromkeys(blind_index(p.id_number) for p in canonical.buyers):
        if session.get(IdentityOnFile, index) is None:
            session.add(IdentityOnFile(id_number_index=index, application_id=application.id))


def _party_json(party: Party) -> dict[str, str]:
    return {"name": party.name, "id_type": party.id_type.value, "id_number": party.id_number}
