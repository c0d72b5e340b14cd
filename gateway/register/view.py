"""A read-only snapshot of what the register says about one unit, for the pure pre-review rules."""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from bank_adapters.canonical import IdType


class UnitUse(enum.StrEnum):
    RESIDENTIAL = "RESIDENTIAL"  # 住宅
    NON_RESIDENTIAL = "NON_RESIDENTIAL"  # 非住宅


class UnitState(enum.StrEnum):
    TITLED = "TITLED"  # 已登记所有权（房屋已首次登记）
    UNDER_CONSTRUCTION = "UNDER_CONSTRUCTION"  # 在建建筑物
    OFF_PLAN = "OFF_PLAN"  # 预售商品房，买受人尚未取得不动产权证书


class MortgageKind(enum.StrEnum):
    GENERAL = "GENERAL"  # 一般抵押
    MAXIMUM = "MAXIMUM"  # 最高额抵押
    CONSTRUCTION = "CONSTRUCTION"  # 在建建筑物抵押
    PRE_NOTICE = "PRE_NOTICE"  # 预购商品房抵押预告登记


class MortgageStatus(enum.StrEnum):
    IN_FORCE = "IN_FORCE"  # 现势
    DISCHARGED = "DISCHARGED"  # 已注销
    CONVERTED = "CONVERTED"  # 预告登记已转为本登记


class EncumbranceKind(enum.StrEnum):
    SEIZURE = "SEIZURE"  # 查封
    OBJECTION = "OBJECTION"  # 异议登记
    PURCHASE_PRE_NOTICE = "PURCHASE_PRE_NOTICE"  # 预购商品房预告登记（买受人）


@dataclass(frozen=True)
class OwnerRecord:
    """A recorded owner (权利人) and share, e.g. '1/2' or '共同共有'."""

    name: str
    id_type: IdType
    id_number: str
    share: str


@dataclass(frozen=True)
class MortgageRecord:
    certificate_no: str
    mortgagee_code: str
    kind: MortgageKind
    priority: int
    status: MortgageStatus
    received_at: datetime
    secured_amount: Decimal | None = None
    maximum_claim_amount: Decimal | None = None
    debt_start: date | None = None
    debt_end: date | None = None
    claim_period_start: date | None = None
    claim_period_end: date | None = None
    mortgagor_id_numbers: tuple[str, ...] = ()


@dataclass(frozen=True)
class EncumbranceRecord:
    """A seizure, objection or purchase pre-notice; ``holder_id_number`` is the pre-notice buyer's."""

    kind: EncumbranceKind
    reference: str
    active: bool
    registered_on: date
    holder_name: str | None = None
    holder_id_number: str | None = None


@dataclass(frozen=True)
class UnitRecord:
    unit_code: str
    location: str  # 坐落
    use: UnitUse
    state: UnitState
    needs_survey: bool = False


@dataclass(frozen=True)
class TaxRecordFact:
    """A deed-tax (契税) record the tax bureau pushed for the unit (gateway.department_records)."""

    record_id: str
    record_no: str
    status: str  # PAID | EXEMPT | NOT_TAXABLE (完税 / 免税 / 不征税)
    sale_contract_no: str
    taxpayer_id_numbers: tuple[str, ...]
    conflicting: bool = False  # the tax bureau sent this record number again with other content


@dataclass(frozen=True)
class ContractFact:
    """A sale contract the housing bureau filed (网签备案) for the unit (gateway.department_records)."""

    record_id: str
    contract_no: str
    status: str  # FILED | CANCELLED
    buyer_id_numbers: tuple[str, ...]
    conflicting: bool = False


@dataclass(frozen=True)
class CombinedGroup:
    """The application's linked group as received so far, for the combined filing (转移 + 抵押).

    ``transfer_*``: an OWNERSHIP_TRANSFER member at an earlier position (the buyers' mortgage is
    checked against its buyers); ``discharged_certificates``: mortgages a MORTGAGE_DISCHARGE member
    of the group ends in the same act (not carried over).
    """

    transfer_mortgagee_code: str | None = None
    transfer_buyers: tuple[OwnerRecord, ...] = ()
    discharged_certificates: frozenset[str] = frozenset()


@dataclass(frozen=True)
class RegisterView:
    """Everything the rules may know: the unit, its owners and encumbrances, and held materials.

    ``held_materials`` are material type codes the authority already holds for this
    application (a party's identity document from an earlier application, the certificate of
    the mortgage being discharged, anything the register produced): not asked for again.
    ``earlier_pending`` counts applications on the same unit received earlier and not yet decided.
    """

    unit: UnitRecord | None
    owners: tuple[OwnerRecord, ...] = ()
    mortgages: tuple[MortgageRecord, ...] = ()
    encumbrances: tuple[EncumbranceRecord, ...] = ()
    held_materials: frozenset[str] = field(default_factory=frozenset)
    earlier_pending: int = 0
    # Department records on the unit, oldest first; loaded for the types whose rules read them.
    tax_records: tuple[TaxRecordFact, ...] = ()
    filed_contracts: tuple[ContractFact, ...] = ()
    combined: CombinedGroup = field(default_factory=CombinedGroup)
