"""The canonical mortgage registration application: one model for every inbound channel.

Adapters turn bytes (signed XML, JSON+JWS, a web form) into these frozen objects; the
gateway never looks at channel formats past this point. Which optional fields a type needs
is the pre-review rules' business (gateway/prereview), not the adapters'.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal


class RegistrationType(enum.StrEnum):
    """Mortgage registration types (不动产登记暂行条例实施细则 arts. 66–78, 85–86)."""

    MORTGAGE_FIRST = "MORTGAGE_FIRST"  # 抵押权首次登记（一般抵押）
    MORTGAGE_FIRST_MAXIMUM = "MORTGAGE_FIRST_MAXIMUM"  # 抵押权首次登记（最高额抵押）
    MORTGAGE_CHANGE = "MORTGAGE_CHANGE"  # 抵押权变更登记
    MORTGAGE_TRANSFER = "MORTGAGE_TRANSFER"  # 抵押权转移登记
    MORTGAGE_DISCHARGE = "MORTGAGE_DISCHARGE"  # 抵押权注销登记
    CONSTRUCTION_MORTGAGE = "CONSTRUCTION_MORTGAGE"  # 在建建筑物抵押权首次登记
    PRE_NOTICE_MORTGAGE = "PRE_NOTICE_MORTGAGE"  # 预购商品房抵押预告登记
    PRE_NOTICE_CONVERSION = "PRE_NOTICE_CONVERSION"  # 预告登记转抵押权首次登记
    # 国有建设用地使用权及房屋所有权转移登记（买卖）: filed by the buyer's bank only as a member of a
    # combined filing (转移 + 抵押 合并办理) linked with the buyer's new mortgage (docs/interface/departments.md).
    OWNERSHIP_TRANSFER = "OWNERSHIP_TRANSFER"


class IdType(enum.StrEnum):
    """Identity document types of a party."""

    RESIDENT_ID = "RESIDENT_ID"  # 居民身份证
    PASSPORT = "PASSPORT"  # 护照
    HK_MACAO_PERMIT = "HK_MACAO_PERMIT"  # 港澳居民来往内地通行证
    TAIWAN_PERMIT = "TAIWAN_PERMIT"  # 台湾居民来往大陆通行证
    USCC = "USCC"  # 统一社会信用代码 (an organisation as party)
    OTHER = "OTHER"


class ChangeField(enum.StrEnum):
    """What a 抵押权变更登记 changes; the new value is given as text in the field's format."""

    SECURED_AMOUNT = "SECURED_AMOUNT"  # 被担保主债权数额, decimal yuan
    MAXIMUM_CLAIM_AMOUNT = "MAXIMUM_CLAIM_AMOUNT"  # 最高债权额, decimal yuan
    DEBT_END = "DEBT_END"  # 债务履行期限（止）, YYYY-MM-DD
    CLAIM_PERIOD_END = "CLAIM_PERIOD_END"  # 债权确定期间（止）, YYYY-MM-DD
    PRIORITY = "PRIORITY"  # 抵押权顺位, a positive integer
    MORTGAGEE_NAME = "MORTGAGEE_NAME"  # 抵押权人名称
    MORTGAGOR_NAME = "MORTGAGOR_NAME"  # 抵押人姓名（名称）


class DischargeReason(enum.StrEnum):
    """Why a mortgage ends (实施细则 art. 70)."""

    DEBT_REPAID = "DEBT_REPAID"  # 主债权消灭
    RIGHT_ENFORCED = "RIGHT_ENFORCED"  # 抵押权已经实现
    WAIVED = "WAIVED"  # 抵押权人放弃抵押权
    COURT_RULING = "COURT_RULING"  # 人民法院、仲裁委员会生效法律文书


class SpecialCircumstance(enum.StrEnum):
    """Declared circumstances that make an application complex (deadline extended)."""

    SURVEY_REQUIRED = "SURVEY_REQUIRED"  # 需要实地查看或调查
    ANNOUNCEMENT_REQUIRED = "ANNOUNCEMENT_REQUIRED"  # 需要公告
    UNNOTARISED_INHERITANCE = "UNNOTARISED_INHERITANCE"  # 未经公证的继承


@dataclass(frozen=True)
class Party:
    """A mortgagor (抵押人) or debtor (债务人)."""

    name: str
    id_type: IdType
    id_number: str


@dataclass(frozen=True)
class MaterialRef:
    """An attached material, referenced by the SHA-256 of its bytes (lower-case hex)."""

    type_code: str
    file_name: str
    sha256: str


@dataclass(frozen=True)
class Mortgagee:
    """An institution as mortgagee (抵押权人): a bank or a housing provident fund centre."""

    code: str
    name: str


@dataclass(frozen=True)
class ChangeItem:
    field: ChangeField
    new_value: str


@dataclass(frozen=True)
class LinkRef:
    """Membership of a group of applications registered all-or-nothing (e.g. a 组合贷).

    ``position`` orders the group (1 registers first, so takes the better priority);
    ``size`` is how many members the group has.
    """

    group_id: str
    position: int
    size: int


@dataclass(frozen=True)
class CanonicalApplication:
    """A mortgage registration application as the gateway understands it, whatever the channel."""

    request_id: str
    created_at: datetime  # timezone-aware
    registration_type: RegistrationType
    mortgagee: Mortgagee  # the applying institution
    mortgagors: tuple[Party, ...]
    debtor: Party | None
    unit_code: str  # 不动产单元号, 28 characters
    secured_amount: Decimal | None  # 被担保主债权数额
    currency: str  # ISO 4217, "CNY"
    debt_start: date | None  # 债务履行期限（起）
    debt_end: date | None  # 债务履行期限（止）
    loan_contract_no: str | None
    mortgage_contract_no: str | None
    materials: tuple[MaterialRef, ...] = field(default=())
    maximum_claim_amount: Decimal | None = None  # 最高债权额 (maximum-amount mortgages)
    claim_period_start: date | None = None  # 债权确定期间（起）
    claim_period_end: date | None = None  # 债权确定期间（止）
    referenced_certificate_no: str | None = None  # the existing mortgage or pre-notice acted on
    changes: tuple[ChangeItem, ...] = ()  # MORTGAGE_CHANGE
    transferee: Mortgagee | None = None  # MORTGAGE_TRANSFER: the new mortgagee
    discharge_reason: DischargeReason | None = None  # MORTGAGE_DISCHARGE
    construction_permit_no: str | None = None  # CONSTRUCTION_MORTGAGE: 建设工程规划许可证号
    special_circumstances: tuple[SpecialCircumstance, ...] = ()
    link: LinkRef | None = None
    # OWNERSHIP_TRANSFER: the sellers (转让方, the current owners) and buyers (受让方, the new owners).
    sellers: tuple[Party, ...] = ()
    buyers: tuple[Party, ...] = ()
    # 商品房买卖合同 / 存量房买卖合同 number as filed with the housing bureau (网签备案号):
    # OWNERSHIP_TRANSFER (required) and PRE_NOTICE_MORTGAGE (optional; the unit's filed contract is used).
    sale_contract_no: str | None = None
    sale_price: Decimal | None = None  # OWNERSHIP_TRANSFER: 成交价格, yuan
