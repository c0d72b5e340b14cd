"""Real-looking Pingluo (平罗县, 640221) applications and register snapshots for the rule tests.

``scenario(type)`` gives a clean pair for every registration type: an application the rules
accept without a REFUSE or REVIEW finding, and the register it is checked against. Tests break
one thing at a time with ``dataclasses.replace``.
"""
from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

from stdnum.cn import ric, uscc

from bank_adapters.canonical import (
    CanonicalApplication,
    ChangeField,
    ChangeItem,
    DischargeReason,
    IdType,
    LinkRef,
    MaterialRef,
    Mortgagee,
    Party,
    RegistrationType,
)
from gateway.prereview.identifiers import organisation_code_check_character
from gateway.register.view import (
    ContractFact,
    EncumbranceKind,
    EncumbranceRecord,
    MortgageKind,
    MortgageRecord,
    MortgageStatus,
    OwnerRecord,
    RegisterView,
    TaxRecordFact,
    UnitRecord,
    UnitState,
    UnitUse,
)

T = RegistrationType


def resident_id(first17: str) -> str:
    """A resident ID number with its check digit computed by python-stdnum."""
    return first17 + ric.calc_check_digit(first17 + "0")


def credit_code(first16: str) -> str:
    """A unified social credit code with both check characters computed: the organisation code's
    (GB 11714, the 17th) and the whole code's (python-stdnum, the 18th)."""
    first17 = first16 + organisation_code_check_character(first16[8:])
    return first17 + uscc.calc_check_digit(first17)


def wrong_check_digit(number: str) -> str:
    """The same number with a different (wrong) last character."""
    return number[:-1] + ("1" if number[-1] != "1" else "2")


UNIT_CODE = "640221001001GB00012F00010001"  # 平罗县, 地籍区001子区001, 宗地GB00012, 房屋 幢0001 户0001
BUILDING_CODE = "640221001002GB00031F00020000"  # an apartment building under construction
OFF_PLAN_CODE = "640221001002GB00031F00020502"

WANG = Party("王建国", IdType.RESIDENT_ID, "640221198503150018")
LI = Party("李秀梅", IdType.RESIDENT_ID, "640221198707220022")
ZHAO = Party("赵志强", IdType.RESIDENT_ID, resident_id("64022119920611003"))  # not an owner
DEVELOPER = Party("平罗县宏达房地产开发有限公司", IdType.USCC, credit_code("91640221MA7BQ2KX"))

BANK = Mortgagee("91640221MA76B3KX0N", "平罗县测试商业银行")
OTHER_BANK = Mortgagee("91640200MA75XQ1F4H", "石嘴山测试农村商业银行")
FUND = Mortgagee(credit_code("12640221MB1C2D3E"), "石嘴山市住房公积金管理中心平罗分中心")

CERTIFICATE_NO = "宁(2025)平罗县不动产证明第0000101号"
LATER_CERTIFICATE_NO = "宁(2025)平罗县不动产证明第0000187号"
PRE_NOTICE_CERTIFICATE_NO = "宁(2025)平罗县不动产证明第0000055号"
RECEIVED = datetime(2025, 6, 3, 9, 30, tzinfo=UTC)


def materials(*codes: str) -> tuple[MaterialRef, ...]:
    return tuple(
        MaterialRef(code, f"{code.lower()}.pdf", hashlib.sha256(code.encode()).hexdigest()) for code in codes
    )


def owners(*parties: Party, share: str = "1/2") -> tuple[OwnerRecord, ...]:
    return tuple(OwnerRecord(p.name, p.id_type, p.id_number, share) for p in parties)


def unit(state: UnitState = UnitState.TITLED, *, code: str = UNIT_CODE, use: UnitUse = UnitUse.RESIDENTIAL,
         needs_survey: bool = False) -> UnitRecord:
    return UnitRecord(code, "平罗县城关镇鼓楼北街12号1幢1单元101室", use, state, needs_survey)


def register(**overrides) -> RegisterView:
    """A titled home owned 1/2 each by 王建国 and 李秀梅, no mortgage, nothing on file."""
    base = RegisterView(unit=unit(), owners=owners(WANG, LI))
    return replace(base, **overrides)


def mortgage(**overrides) -> MortgageRecord:
    """The test bank's general mortgage of 1,200,000 yuan, first priority, in force."""
    base = MortgageRecord(
        certificate_no=CERTIFICATE_NO, mortgagee_code=BANK.code, kind=MortgageKind.GENERAL, priority=1,
        status=MortgageStatus.IN_FORCE, received_at=RECEIVED, secured_amount=Decimal("1200000.00"),
        debt_start=date(2025, 6, 1), debt_end=date(2045, 5, 31),
        mortgagor_id_numbers=(WANG.id_number, LI.id_number),
    )
    return replace(base, **overrides)


def maximum_mortgage(**overrides) -> MortgageRecord:
    """A 最高额 mortgage of the test bank: 2,000,000 yuan over 2025-06-01 – 2030-05-31."""
    values = dict(kind=MortgageKind.MAXIMUM, secured_amount=None, maximum_claim_amount=Decimal("2000000.00"),
                  debt_start=None, debt_end=None, claim_period_start=date(2025, 6, 1),
                  claim_period_end=date(2030, 5, 31))
    return mortgage(**{**values, **overrides})


def later_mortgage(**overrides) -> MortgageRecord:
    """Another bank's second-priority mortgage on the same home."""
    values = dict(certificate_no=LATER_CERTIFICATE_NO, mortgagee_code=OTHER_BANK.code, priority=2,
                  secured_amount=Decimal("300000.00"), received_at=datetime(2025, 9, 1, tzinfo=UTC))
    return mortgage(**{**values, **overrides})


def encumbrance(kind: EncumbranceKind, *, holder: Party | None = None, active: bool = True,
                registered_on: date = date(2025, 11, 20)) -> EncumbranceRecord:
    return EncumbranceRecord(
        kind=kind, reference="(2025)宁0221执保123号" if kind is EncumbranceKind.SEIZURE else "宁(2025)平罗县不动产证明第0000777号",
        active=active, registered_on=registered_on,
        holder_name=holder.name if holder else None, holder_id_number=holder.id_number if holder else None,
    )


def filed_contract(**overrides) -> ContractFact:
    """The housing bureau's filed sale contract of the off-plan flat, bought by 王建国 and 李秀梅."""
    base = ContractFact(record_id="DR" + "0" * 31 + "1", contract_no=SALE_CONTRACT_NO, status="FILED",
                        buyer_id_numbers=(WANG.id_number, LI.id_number))
    return replace(base, **overrides)


def tax_record(**overrides) -> TaxRecordFact:
    """The tax bureau's deed-tax record (完税) of a sale of the home to 王建国 and 李秀梅."""
    base = TaxRecordFact(record_id="DR" + "0" * 31 + "2", record_no="PL-TAX-2026-000123", status="PAID",
                         sale_contract_no=SALE_CONTRACT_NO, taxpayer_id_numbers=(WANG.id_number, LI.id_number))
    return replace(base, **overrides)


def application(**overrides) -> CanonicalApplication:
    """A clean general first mortgage by the test bank on the co-owned home."""
    base = CanonicalApplication(
        request_id="PLB-2026-000123",
        created_at=datetime(2026, 12, 1, 10, 0, tzinfo=UTC),
        registration_type=T.MORTGAGE_FIRST,
        mortgagee=BANK,
        mortgagors=(WANG, LI),
        debtor=WANG,
        unit_code=UNIT_CODE,
        secured_amount=Decimal("1200000.00"),
        currency="CNY",
        debt_start=date(2026, 12, 1),
        debt_end=date(2046, 11, 30),
        loan_contract_no="PLB-LOAN-2026-0001",
        mortgage_contract_no="PLB-MTG-2026-0001",
        materials=materials("LOAN_CONTRACT", "MORTGAGE_CONTRACT", "ID_DOCUMENT"),
    )
    return replace(base, **overrides)


_NO_TERMS = dict(secured_amount=None, debt_start=None, debt_end=None, loan_contract_no=None,
                 mortgage_contract_no=None, debtor=None)


def _acting_scenarios() -> dict[RegistrationType, tuple[CanonicalApplication, RegisterView]]:
    """Change, transfer and discharge of the bank's mortgage; the owners' IDs are on file."""
    acting = register(mortgages=(mortgage(),), held_materials=frozenset({"ID_DOCUMENT"}))
    on_mortgage = dict(referenced_certificate_no=CERTIFICATE_NO, **_NO_TERMS)
    return {
        T.MORTGAGE_CHANGE: (application(
            registration_type=T.MORTGAGE_CHANGE, **on_mortgage,
            changes=(ChangeItem(ChangeField.SECURED_AMOUNT, "1000000.00"),),
            materials=materials("CHANGE_AGREEMENT")), acting),
        T.MORTGAGE_TRANSFER: (application(
            registration_type=T.MORTGAGE_TRANSFER, **on_mortgage, mortgagors=(), transferee=OTHER_BANK,
            materials=materials("ASSIGNMENT_CONTRACT", "DEBTOR_NOTICE", "TRANSFEREE_ID")), acting),
        T.MORTGAGE_DISCHARGE: (application(
            registration_type=T.MORTGAGE_DISCHARGE, **on_mortgage, mortgagors=(),
            discharge_reason=DischargeReason.DEBT_REPAID, materials=materials("DISCHARGE_EVIDENCE")), acting),
    }


def _new_building_scenarios() -> dict[RegistrationType, tuple[CanonicalApplication, RegisterView]]:
    """A developer's building under construction, and an off-plan flat bought by 王建国 and 李秀梅."""
    buyers = (encumbrance(EncumbranceKind.PURCHASE_PRE_NOTICE, holder=WANG),
              encumbrance(EncumbranceKind.PURCHASE_PRE_NOTICE, holder=LI))
    contracts = ("LOAN_CONTRACT", "MORTGAGE_CONTRACT", "ID_DOCUMENT")
    return {
        T.CONSTRUCTION_MORTGAGE: (application(
            registration_type=T.CONSTRUCTION_MORTGAGE, unit_code=BUILDING_CODE, mortgagors=(DEVELOPER,),
            debtor=DEVELOPER, secured_amount=Decimal("30000000.00"), construction_permit_no="建字第640221202600018号",
            materials=materials(*contracts, "CONSTRUCTION_PERMIT", "CADASTRAL_SURVEY")),
            register(unit=unit(UnitState.UNDER_CONSTRUCTION, code=BUILDING_CODE, use=UnitUse.NON_RESIDENTIAL),
                     owners=owners(DEVELOPER, share="单独所有"))),
        T.PRE_NOTICE_MORTGAGE: (application(
            registration_type=T.PRE_NOTICE_MORTGAGE, unit_code=OFF_PLAN_CODE, mortgagee=FUND,
            materials=materials(*contracts, "PURCHASE_CONTRACT")),
            register(unit=unit(UnitState.OFF_PLAN, code=OFF_PLAN_CODE), owners=owners(DEVELOPER, share="单独所有"),
                     encumbrances=buyers, filed_contracts=(filed_contract(),))),
    }


def _scenarios() -> dict[RegistrationType, tuple[CanonicalApplication, RegisterView]]:
    pre_notice = mortgage(certificate_no=PRE_NOTICE_CERTIFICATE_NO, kind=MortgageKind.PRE_NOTICE)
    return {
        T.MORTGAGE_FIRST: (application(), register()),
        T.MORTGAGE_FIRST_MAXIMUM: (application(
            registration_type=T.MORTGAGE_FIRST_MAXIMUM, secured_amount=None,
            maximum_claim_amount=Decimal("2000000.00"), claim_period_start=date(2026, 12, 1),
            claim_period_end=date(2031, 11, 30)), register()),
        **_acting_scenarios(),
        **_new_building_scenarios(),
        T.PRE_NOTICE_CONVERSION: (application(
            registration_type=T.PRE_NOTICE_CONVERSION, referenced_certificate_no=PRE_NOTICE_CERTIFICATE_NO,
            secured_amount=Decimal("1200000.00"), debt_start=date(2025, 6, 1), debt_end=date(2045, 5, 31),
            materials=()),
            register(mortgages=(pre_notice,), held_materials=frozenset({"ID_DOCUMENT"}))),
    }


SALE_CONTRACT_NO = "PLWQ-2026-000318"
GAO = Party("高志远", IdType.RESIDENT_ID, resident_id("64022119900418005"))  # a buyer
LIN = Party("林晓燕", IdType.RESIDENT_ID, resident_id("64022119920906008"))  # a buyer


def transfer_scenario() -> tuple[CanonicalApplication, RegisterView]:
    """王建国 and 李秀梅 sell their mortgage-free home to 高志远 and 林晓燕, whose bank files the transfer
    (position 1 of a group with its mortgage); the tax bureau's record for the contract is in."""
    from gateway.register.view import TaxRecordFact

    app = application(
        registration_type=T.OWNERSHIP_TRANSFER, **_NO_TERMS, mortgagors=(GAO, LIN), sellers=(WANG, LI),
        buyers=(GAO, LIN), sale_contract_no=SALE_CONTRACT_NO, sale_price=Decimal("680000.00"),
        link=LinkRef("ZYDY-2026-0318", 1, 2), materials=materials("SALE_CONTRACT", "ID_DOCUMENT"))
    tax = TaxRecordFact(record_id="DR-1", record_no="PL-TAX-2026-000318", status="PAID",
                        sale_contract_no=SALE_CONTRACT_NO, taxpayer_id_numbers=(GAO.id_number, LIN.id_number))
    return app, register(tax_records=(tax,))


def scenario(registration_type: RegistrationType) -> tuple[CanonicalApplication, RegisterView]:
    """A clean (application, register) pair for the type: no REFUSE or REVIEW finding."""
    if registration_type is T.OWNERSHIP_TRANSFER:
        return transfer_scenario()
    return _scenarios()[registration_type]


def finding_codes(findings) -> list[str]:
    return [f.code for f in findings]


def refusals(findings) -> list:
    return [f for f in findings if f.severity == "REFUSE"]
