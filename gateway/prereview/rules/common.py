"""Helpers the rules share: type groups, positions in Chinese, the mortgage acted on, materials."""
from __future__ import annotations

from datetime import date

from bank_adapters.canonical import CanonicalApplication, RegistrationType
from gateway.register.view import EncumbranceKind, EncumbranceRecord, MortgageRecord, MortgageStatus, RegisterView

T = RegistrationType
ALL_TYPES = frozenset(RegistrationType)
# Types that create a mortgage (or its pre-notice): the owner disposes of the property.
CREATING = frozenset({T.MORTGAGE_FIRST, T.MORTGAGE_FIRST_MAXIMUM, T.CONSTRUCTION_MORTGAGE,
                      T.PRE_NOTICE_MORTGAGE, T.PRE_NOTICE_CONVERSION})
# Types acting on a mortgage already in the register, named by referenced_certificate_no.
ACTING_ON_MORTGAGE = frozenset({T.MORTGAGE_CHANGE, T.MORTGAGE_TRANSFER, T.MORTGAGE_DISCHARGE,
                                T.PRE_NOTICE_CONVERSION})
# Types securing a fixed claim amount over a debt performance period.
GENERAL_TERMS = frozenset({T.MORTGAGE_FIRST, T.CONSTRUCTION_MORTGAGE, T.PRE_NOTICE_MORTGAGE,
                           T.PRE_NOTICE_CONVERSION})


def mortgagor_label(index: int) -> str:
    """'第2位抵押人' for index 1: parties are named by position, never by name."""
    return f"第{index + 1}位抵押人"


def date_zh(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def referenced_mortgage(application: CanonicalApplication, register: RegisterView) -> MortgageRecord | None:
    """The mortgage the application acts on, if the register knows it."""
    number = (application.referenced_certificate_no or "").strip()
    if not number:
        return None
    return next((m for m in register.mortgages if m.certificate_no == number), None)


def in_force_mortgages(register: RegisterView) -> tuple[MortgageRecord, ...]:
    return tuple(m for m in register.mortgages if m.status is MortgageStatus.IN_FORCE)


def active_encumbrances(register: RegisterView, kind: EncumbranceKind) -> tuple[EncumbranceRecord, ...]:
    return tuple(e for e in register.encumbrances if e.active and e.kind is kind)


def submitted_codes(application: CanonicalApplication) -> frozenset[str]:
    return frozenset(m.type_code for m in application.materials)


def supplied(application: CanonicalApplication, register: RegisterView, code: str) -> bool:
    """Whether a material was submitted with the application or is already held by the authority."""
    return code in submitted_codes(application) or code in register.held_materials
