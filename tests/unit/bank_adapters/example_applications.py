"""What each published example request means, written out by hand: one application per example file.

The examples in docs/interface/examples/ must read as exactly these applications, and writing
these applications must give exactly those documents (layout and comments aside).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from bank_adapters import (
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
    SpecialCircumstance,
)

BEIJING = timezone(timedelta(hours=8))

BANK = Mortgagee(code="91640221MA76R3PK3Q", name="宁夏示例银行股份有限公司平罗支行")
RURAL_BANK = Mortgagee(code="91640221MA75XQ2D4J", name="宁夏示例农村商业银行股份有限公司平罗支行")
ASSET_MANAGER = Mortgagee(code="91640100MA774K3E6C", name="宁夏示例资产管理股份有限公司")
HOUSING_FUND = Mortgagee(code="12640200455762132G", name="石嘴山市住房公积金管理中心平罗管理部")


def _resident(name: str, id_number: str) -> Party:
    return Party(name=name, id_type=IdType.RESIDENT_ID, id_number=id_number)


def _material(type_code: str, file_name: str, sha256: str) -> MaterialRef:
    return MaterialRef(type_code=type_code, file_name=file_name, sha256=sha256)


WANG = _resident("王建国", "640221198503120011")
LI = _resident("李秀兰", "640221198708250020")

MORTGAGE_FIRST = CanonicalApplication(
    request_id="NXSL-PL-20260509-000123",
    created_at=datetime(2026, 5, 9, 10, 30, tzinfo=BEIJING),
    registration_type=RegistrationType.MORTGAGE_FIRST,
    mortgagee=BANK,
    mortgagors=(WANG, LI),
    debtor=WANG,
    unit_code="640221001001GB00012F00010001",
    secured_amount=Decimal("1200000.00"),
    currency="CNY",
    debt_start=date(2026, 5, 15),
    debt_end=date(2046, 5, 14),
    loan_contract_no="平罗支行2026年个贷字第0123号",
    mortgage_contract_no="平罗支行2026年抵字第0123号",
    materials=(
        _material("LOAN_CONTRACT", "loan-contract.txt", "f570180c661cb741abb030b004392fc69d0f2e3bb92fc20e586e013b82b3d44a"),
        _material("MORTGAGE_CONTRACT", "mortgage-contract.txt", "908a91f450bebe486b7c0320b4face47445d92fa490f9e25129a978383ad454d"),
        _material("ID_DOCUMENT", "id-documents.txt", "bac4b2e9cba7863ab7c1f6f5f6452bbfc84359b8ef81b4d99c6be18f1b1a45b6"),
    ),
)

# A business owner couple secures their company's credit line with their shop: 最高额抵押.
MORTGAGE_FIRST_MAXIMUM = CanonicalApplication(
    request_id="NXNS-PL-20260511-000031",
    created_at=datetime(2026, 5, 11, 9, 12, 40, tzinfo=BEIJING),
    registration_type=RegistrationType.MORTGAGE_FIRST_MAXIMUM,
    mortgagee=RURAL_BANK,
    mortgagors=(_resident("张志强", "640221197906140039"), _resident("马秀英", "64022119820321004X")),
    debtor=Party(name="平罗县示例商贸有限公司", id_type=IdType.USCC, id_number="91640221MA7C2H6W8K"),
    unit_code="640221001003GB00045F00020101",
    secured_amount=None,
    currency="CNY",
    debt_start=None,
    debt_end=None,
    loan_contract_no="农商行平罗支行2026年授信字第0031号",
    mortgage_contract_no="农商行平罗支行2026年高抵字第0031号",
    maximum_claim_amount=Decimal("2000000.00"),
    claim_period_start=date(2026, 5, 20),
    claim_period_end=date(2029, 5, 19),
    materials=(
        _material("LOAN_CONTRACT", "maximum-credit-contract.txt", "5106aced78fb98a11ed5fedbaf4d2979e5fc6cfb05a7170c39f2f71719f34245"),
        _material("MORTGAGE_CONTRACT", "maximum-mortgage-contract.txt", "51adf685b64fc44e07d65d8bd920e6c8e32cf76c366d08040d5d4083eb245c32"),
        _material("ID_DOCUMENT", "maximum-id-documents.txt", "27164e7e89db4d7983efdba4743a4a2c34552839c12655bab64284532126de88"),
    ),
)

# The first-ranking 最高额 mortgage grows from 800,000 to 1,200,000 yuan; the second-ranking
# mortgagee is harmed by the increase and consents in writing.
MORTGAGE_CHANGE = CanonicalApplication(
    request_id="NXNS-PL-20260512-000044",
    created_at=datetime(2026, 5, 12, 14, 5, tzinfo=BEIJING),
    registration_type=RegistrationType.MORTGAGE_CHANGE,
    mortgagee=RURAL_BANK,
    mortgagors=(_resident("刘海军", "640221198809170054"), _resident("杨丽娟", "640221199002030063")),
    debtor=None,
    unit_code="640221001002GB00033F00030602",
    secured_amount=None,
    currency="CNY",
    debt_start=None,
    debt_end=None,
    loan_contract_no=None,
    mortgage_contract_no=None,
    referenced_certificate_no="宁(2025)平罗县不动产证明第0002817号",
    changes=(ChangeItem(ChangeField.MAXIMUM_CLAIM_AMOUNT, "1200000.00"),),
    materials=(
        _material("CHANGE_AGREEMENT", "change-agreement.txt", "b3849455c40a000b19b9535d67a63e0a4cd88a5ae763917eab9b5bd9a7cd1cda"),
        _material("LATER_MORTGAGEE_CONSENT", "change-later-mortgagee-consent.txt", "828d71e0264fe883aac056ca3a18dbf635d4bedefa947bf782e0182c233572da"),
        _material("ID_DOCUMENT", "change-id-documents.txt", "dae1e89cc5ed40e160e7263beb028c81d0baf632ed9d7c95b906df18b1db2d7e"),
    ),
)

# The bank assigns a loan, and the mortgage securing it, to an asset manager.
MORTGAGE_TRANSFER = CanonicalApplication(
    request_id="NXSL-PL-20260512-000131",
    created_at=datetime(2026, 5, 12, 9, 40, tzinfo=BEIJING),
    registration_type=RegistrationType.MORTGAGE_TRANSFER,
    mortgagee=BANK,
    mortgagors=(_resident("陈国庆", "640221197510010078"),),
    debtor=None,
    unit_code="640221001001GB00008F00020301",
    secured_amount=None,
    currency="CNY",
    debt_start=None,
    debt_end=None,
    loan_contract_no=None,
    mortgage_contract_no=None,
    referenced_certificate_no="宁(2024)平罗县不动产证明第0001562号",
    transferee=ASSET_MANAGER,
    materials=(
        _material("ASSIGNMENT_CONTRACT", "transfer-assignment-agreement.txt", "5ebe49da67fa488f64ee50186e16d59921bb8252e534767ebd5feaab0bcfd279"),
        _material("DEBTOR_NOTICE", "transfer-debtor-notice.txt", "b6f8940eade24210fa66cf1c241efde26ddf2eb031925e1057bba8476a2ad011"),
        _material("TRANSFEREE_ID", "transfer-transferee-licence.txt", "3a9c7604c142d03bf7092293c49d608f5230692fc712abe584b76a24306100ba"),
    ),
)

# The loan is repaid; the mortgagee files the discharge alone.
MORTGAGE_DISCHARGE = CanonicalApplication(
    request_id="NXSL-PL-20260512-000132",
    created_at=datetime(2026, 5, 12, 10, 2, tzinfo=BEIJING),
    registration_type=RegistrationType.MORTGAGE_DISCHARGE,
    mortgagee=BANK,
    mortgagors=(_resident("赵玉兰", "640221196805120026"),),
    debtor=None,
    unit_code="640221001006GB00052F00010102",
    secured_amount=None,
    currency="CNY",
    debt_start=None,
    debt_end=None,
    loan_contract_no=None,
    mortgage_contract_no=None,
    referenced_certificate_no="宁(2021)平罗县不动产证明第0000873号",
    discharge_reason=DischargeReason.DEBT_REPAID,
    materials=(
        _material("DISCHARGE_EVIDENCE", "discharge-settlement-proof.txt", "c2a0bef03005558db7131891a943bd9edb89cc7bf2e2180a3ae8d37920120f0c"),
    ),
)

DEVELOPER = Party(name="宁夏示例置业有限公司", id_type=IdType.USCC, id_number="91640221MA77B9NU2R")

# A developer mortgages a building under construction; the mortgaged part needs an on-site check.
CONSTRUCTION_MORTGAGE = CanonicalApplication(
    request_id="NXSL-PL-20260513-000140",
    created_at=datetime(2026, 5, 13, 11, 20, tzinfo=BEIJING),
    registration_type=RegistrationType.CONSTRUCTION_MORTGAGE,
    mortgagee=BANK,
    mortgagors=(DEVELOPER,),
    debtor=DEVELOPER,
    unit_code="640221002001GB00031F00080000",
    secured_amount=Decimal("30000000.00"),
    currency="CNY",
    debt_start=date(2026, 5, 25),
    debt_end=date(2029, 5, 24),
    loan_contract_no="平罗支行2026年房开贷字第0008号",
    mortgage_contract_no="平罗支行2026年在建抵字第0008号",
    construction_permit_no="建字第640221202600018号",
    special_circumstances=(SpecialCircumstance.SURVEY_REQUIRED,),
    materials=(
        _material("LOAN_CONTRACT", "construction-loan-contract.txt", "72186defef0f705c49704fe8032d53b0c3bb70db3708311ca033af93fe80ee2e"),
        _material("MORTGAGE_CONTRACT", "construction-mortgage-contract.txt", "0be324a26bc39bdecab73e2b8a7ca8b346318784c3bf635c32b5d2252b10788d"),
        _material("CONSTRUCTION_PERMIT", "construction-planning-permit.txt", "22a41f027f4dc61aad9c215be942331c8341244ec51406a846532eeeda737de5"),
        _material("CADASTRAL_SURVEY", "construction-cadastral-survey.txt", "404f24e63bf20302167062f405fc117922d1988fb6bff86d412bf6ef938d62e8"),
        _material("ID_DOCUMENT", "construction-developer-licence.txt", "8ad35c930733327e6bb7b2f9429488af27c0da5d75df127977a9e7ea31e7e9c6"),
    ),
)

ZHOU = _resident("周鹏", "640221199307080096")

# Buyers of an off-plan flat mortgage it before their title exists.
PRE_NOTICE_MORTGAGE = CanonicalApplication(
    request_id="NXSL-PL-20260513-000141",
    created_at=datetime(2026, 5, 13, 15, 45, tzinfo=BEIJING),
    registration_type=RegistrationType.PRE_NOTICE_MORTGAGE,
    mortgagee=BANK,
    mortgagors=(ZHOU, _resident("吴婷", "640221199501260082")),
    debtor=ZHOU,
    unit_code="640221001005GB00027F00050502",
    secured_amount=Decimal("680000.00"),
    currency="CNY",
    debt_start=date(2026, 5, 18),
    debt_end=date(2056, 5, 17),
    loan_contract_no="平罗支行2026年个贷字第0152号",
    mortgage_contract_no="平罗支行2026年抵字第0152号",
    materials=(
        _material("LOAN_CONTRACT", "pre-notice-loan-contract.txt", "264586c33b40956ffbbe680b02b93fd0549cc27f14cef2dbb72c2f375287af29"),
        _material("MORTGAGE_CONTRACT", "pre-notice-mortgage-contract.txt", "a7e8d400b803ac6fc0d0f88b5a9dcf4f8d1994f3b5aab99d267c532f085b4f1c"),
        _material("PURCHASE_CONTRACT", "pre-notice-purchase-contract.txt", "6a805182b870378b1696ee2571a97ad47b4e76bb600e03e0ec7ac621a7fbe9bd"),
        _material("ID_DOCUMENT", "pre-notice-id-documents.txt", "10ea614e192a6cc2ac062fcd3f8b3580d679bada8f6080b1d8f83615f1ee94a7"),
    ),
)

TIAN = _resident("田志刚", "640221198305270115")

# The owners of a flat bought off-plan in 2024 now hold their title: the pre-notice converts,
# restating the terms it recorded.
PRE_NOTICE_CONVERSION = CanonicalApplication(
    request_id="NXSL-PL-20260513-000142",
    created_at=datetime(2026, 5, 13, 16, 0, tzinfo=BEIJING),
    registration_type=RegistrationType.PRE_NOTICE_CONVERSION,
    mortgagee=BANK,
    mortgagors=(TIAN, _resident("白雪梅", "640221198609140125")),
    debtor=TIAN,
    unit_code="640221001005GB00027F00040301",
    secured_amount=Decimal("560000.00"),
    currency="CNY",
    debt_start=date(2024, 8, 20),
    debt_end=date(2054, 8, 19),
    loan_contract_no="平罗支行2024年个贷字第0388号",
    mortgage_contract_no="平罗支行2024年抵字第0388号",
    referenced_certificate_no="宁(2024)平罗县不动产证明第0004410号",
    materials=(
        _material("ID_DOCUMENT", "conversion-id-documents.txt", "1b5bbbfbf204a5515ef49f3f9ee618ebca4b0111fee5af45455e134f0b5bf8eb"),
    ),
)

HE = _resident("何俊", "640221198704110039")
SUN = _resident("孙倩", "640221198911300046")
COMBINED_LOAN_GROUP = "ZHD-640221-20260512-0007"
COMBINED_ID_DOCUMENTS = _material(
    "ID_DOCUMENT", "combined-id-documents.txt", "5aadc2da51764d96f65f9a65b3891fb7326b038e0bd30a49e89623aa4af313d1"
)

# 组合贷: the housing fund's mortgage ranks first, the bank's second; both register or neither.
COMBINED_LOAN_FUND = CanonicalApplication(
    request_id="SZSGJJ-PL-20260512-0215",
    created_at=datetime(2026, 5, 12, 10, 15, tzinfo=BEIJING),
    registration_type=RegistrationType.MORTGAGE_FIRST,
    mortgagee=HOUSING_FUND,
    mortgagors=(HE, SUN),
    debtor=HE,
    unit_code="640221001004GB00019F00070201",
    secured_amount=Decimal("600000.00"),
    currency="CNY",
    debt_start=date(2026, 5, 20),
    debt_end=date(2051, 5, 19),
    loan_contract_no="石公积金平罗2026年贷字第0215号",
    mortgage_contract_no="石公积金平罗2026年抵字第0215号",
    link=LinkRef(group_id=COMBINED_LOAN_GROUP, position=1, size=2),
    materials=(
        _material("LOAN_CONTRACT", "combined-fund-loan-contract.txt", "a8bfa428fd9e4b1e7bcbfa25088879caaa29db07240fb11d234ae9b4aadee4ea"),
        _material("MORTGAGE_CONTRACT", "combined-fund-mortgage-contract.txt", "574028565901debdc6fa4c358e136bf8f4654825380ec9eb82ff9c5d6d057bbd"),
        COMBINED_ID_DOCUMENTS,
    ),
)

COMBINED_LOAN_BANK = CanonicalApplication(
    request_id="NXSL-PL-20260512-000135",
    created_at=datetime(2026, 5, 12, 10, 32, tzinfo=BEIJING),
    registration_type=RegistrationType.MORTGAGE_FIRST,
    mortgagee=BANK,
    mortgagors=(HE, SUN),
    debtor=HE,
    unit_code="640221001004GB00019F00070201",
    secured_amount=Decimal("400000.00"),
    currency="CNY",
    debt_start=date(2026, 5, 20),
    debt_end=date(2051, 5, 19),
    loan_contract_no="平罗支行2026年个贷字第0187号",
    mortgage_contract_no="平罗支行2026年抵字第0187号",
    link=LinkRef(group_id=COMBINED_LOAN_GROUP, position=2, size=2),
    materials=(
        _material("LOAN_CONTRACT", "combined-bank-loan-contract.txt", "0e9993abe4273fd936bd9f27c87c388fc09fc7a733842943d8ecef5a7c0aed21"),
        _material("MORTGAGE_CONTRACT", "combined-bank-mortgage-contract.txt", "7aade74b904d4630f1ba134616f77e0460f599c918adb5dc9f90ead05f2aa2b5"),
        COMBINED_ID_DOCUMENTS,
    ),
)

GAO = _resident("高志远", "640221199004180057")
LIN = _resident("林晓燕", "640221199209060083")

# 带押过户: a flat with the seller's mortgage is sold; the buyers' bank files the ownership transfer
# (position 1) linked with the buyers' new mortgage (position 2, filed next); the seller's mortgage is
# carried over with its mortgagee's consent.
OWNERSHIP_TRANSFER = CanonicalApplication(
    request_id="NXNS-PL-20261207-000318",
    created_at=datetime(2026, 12, 7, 10, 0, tzinfo=BEIJING),
    registration_type=RegistrationType.OWNERSHIP_TRANSFER,
    mortgagee=RURAL_BANK,
    mortgagors=(GAO, LIN),
    debtor=None,
    unit_code="640221001001GB00008F00020301",
    secured_amount=None,
    currency="CNY",
    debt_start=None,
    debt_end=None,
    loan_contract_no=None,
    mortgage_contract_no=None,
    link=LinkRef(group_id="ZYDY-640221-20261207-0318", position=1, size=2),
    sellers=(_resident("陈国庆", "640221197510010078"),),
    buyers=(GAO, LIN),
    sale_contract_no="PLWQ-2026-000318",
    sale_price=Decimal("680000.00"),
    materials=(
        _material("SALE_CONTRACT", "ownership-sale-contract.txt", "3994e36ae431bd6cb08cfdb506ebb58e950f456df8e896b1643980ee32207ef6"),
        _material("MORTGAGEE_CONSENT", "ownership-mortgagee-consent.txt", "4f909a76a88bfc3a749176846f8e77452cf753544e5831d8d45a037bf40635ba"),
        _material("ID_DOCUMENT", "ownership-id-documents.txt", "78e4ec5662bd3ee9fb0a464a7e9548a027716a7c41a1bf925493fb26df5000f0"),
    ),
)

#: Every published unsigned example request, by file name.
EXAMPLE_REQUESTS: dict[str, CanonicalApplication] = {
    "mortgage-first-request.xml": MORTGAGE_FIRST,
    "mortgage-maximum-request.xml": MORTGAGE_FIRST_MAXIMUM,
    "mortgage-change-request.xml": MORTGAGE_CHANGE,
    "mortgage-transfer-request.xml": MORTGAGE_TRANSFER,
    "mortgage-discharge-request.xml": MORTGAGE_DISCHARGE,
    "construction-mortgage-request.xml": CONSTRUCTION_MORTGAGE,
    "pre-notice-mortgage-request.xml": PRE_NOTICE_MORTGAGE,
    "pre-notice-conversion-request.xml": PRE_NOTICE_CONVERSION,
    "combined-loan-fund-request.xml": COMBINED_LOAN_FUND,
    "ownership-transfer-request.xml": OWNERSHIP_TRANSFER,
    "combined-loan-bank-request.xml": COMBINED_LOAN_BANK,
}
