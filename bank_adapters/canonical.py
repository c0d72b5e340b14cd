"""The canonical mortgage registration application: one model for every inbound channel.

Adapters turn bytes (signed XML, JSON+JWS, a web form) into these frozen objects; the
gateway never looks at channel formats past this point.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal


class RegistrationType(enum.StrEnum):
    """Mortgage registration types (抵押权登记类型). The spine handles the first one."""

    MORTGAGE_FIRST = "MORTGAGE_FIRST"  # 抵押权首次登记（一般抵押）


class IdType(enum.StrEnum):
    """Identity document types of a party."""

    RESIDENT_ID = "RESIDENT_ID"  # 居民身份证
    PASSPORT = "PASSPORT"  # 护照
    HK_MACAO_PERMIT = "HK_MACAO_PERMIT"  # 港澳居民来往内地通行证
    TAIWAN_PERMIT = "TAIWAN_PERMIT"  # 台湾居民来往大陆通行证
    USCC = "USCC"  # 统一社会信用代码 (an organisation as party)
    OTHER = "OTHER"


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
    """The applying institution (抵押权人): a bank or a housing provident fund centre."""

    code: str
    name: str


@dataclass(frozen=True)
class CanonicalApplication:
    """A mortgage registration application as the gateway understands it, whatever the channel."""

    request_id: str
    created_at: datetime  # timezone-aware
    registration_type: RegistrationType
    mortgagee: Mortgagee
    mortgagors: tuple[Party, ...]
    debtor: Party
    unit_code: str  # 不动产单元号, 28 characters
    secured_amount: Decimal  # 被担保主债权数额
    currency: str  # ISO 4217, "CNY"
    debt_start: date  # 债务履行期限（起）
    debt_end: date  # 债务履行期限（止）
    loan_contract_no: str
    mortgage_contract_no: str
    materials: tuple[MaterialRef, ...] = field(default=())
