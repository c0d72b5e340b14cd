"""The combined second-hand purchase and mortgage (转移 + 抵押 合并办理) as the integration tests file it.

The seeded home (factories.UNIT_CODE) is owned by 王建国 and 李秀梅 (the sellers); the sale contract is
the tax bureau's test record's (tests/support/department_records.py), pushed with these buyers as
taxpayers so that it matches the transfer.
"""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy import select

from bank_adapters import CanonicalApplication, IdType, LinkRef, Party
from gateway.persistence.db import transaction
from gateway.register.models import PropertyUnit
from gateway.register.ownership_models import OwnershipTransfer
from tests.support import department_records as d
from tests.support import factories, scenarios as s
from tests.support.register import add_mortgage

SELLERS = d.SELLERS
# Valid resident ID numbers (GB 11643 check digit): pre-review checks the buyers' numbers.
BUYERS = (Party("高志远", IdType.RESIDENT_ID, "640221198805120033"),
          Party("林晓燕", IdType.RESIDENT_ID, "640221199108230047"))
SALE_CONTRACT_NO = d.SALE_CONTRACT_NO
SALE_PRICE = Decimal("1200000.00")
TRANSFER_MATERIALS = ("SALE_CONTRACT", "ID_DOCUMENT")
_NO_TERMS = dict(secured_amount=None, debt_start=None, debt_end=None, loan_contract_no=None,
                 mortgage_contract_no=None, debtor=None)


def transfer(group: str, position: int = 1, size: int = 2, *, consent: bool = False,
             **overrides) -> CanonicalApplication:
    """The buyers' bank's OWNERSHIP_TRANSFER of the seeded home (Mortgagors = the buyers)."""
    codes = TRANSFER_MATERIALS + (("MORTGAGEE_CONSENT",) if consent else ())
    app = factories.application(
        registration_type=s.T.OWNERSHIP_TRANSFER, mortgagors=BUYERS, sellers=SELLERS, buyers=BUYERS,
        sale_contract_no=SALE_CONTRACT_NO, sale_price=SALE_PRICE, link=LinkRef(group, position, size),
        materials=s.refs(*codes), **_NO_TERMS)
    return replace(app, **overrides)


def buyers_mortgage(group: str, position: int = 2, size: int = 2, **overrides) -> CanonicalApplication:
    """The buyers' new mortgage at the buyers' bank, linked after the transfer."""
    app = factories.application(mortgagors=BUYERS, debtor=BUYERS[0], secured_amount=Decimal("800000.00"),
                                link=LinkRef(group, position, size))
    return replace(app, **overrides)


def owners(runtime, unit_code: str = factories.UNIT_CODE) -> list[tuple[str, str]]:
    """(ID number, share) of the unit's recorded owners, in register order."""
    with transaction(runtime.sessions) as session:
        unit = session.scalar(select(PropertyUnit).where(PropertyUnit.unit_code == unit_code))
        return [(o.id_number, o.share) for o in unit.owners]


def transfers(runtime) -> list[OwnershipTransfer]:
    with transaction(runtime.sessions) as session:
        rows = list(session.scalars(select(OwnershipTransfer).order_by(OwnershipTransfer.id)))
        session.expunge_all()
        return rows


def push_tax_record(client, tax: d.Department, **overrides) -> None:
    """The tax bureau's 完税 record for the sale (契税), which the transfer's pre-review looks for."""
    record = {"taxpayers": d.parties(BUYERS), **overrides}
    response = d.push(client, d.TAX_PATH, tax, d.tax_record(**record))
    assert response.status_code in (200, 201), response.text


# --- fixtures the combined-filing tests share (import them by name into the test module) -----------------

@pytest.fixture
def bank(pki) -> s.Bank:
    """The buyers' bank."""
    return s.main_bank(pki)


@pytest.fixture
def sellers_bank(pki) -> s.Bank:
    return s.other_bank(pki)


@pytest.fixture
def tax(client, runtime, pki) -> d.Department:
    """The tax bureau, registered, with its deed-tax record for the sale pushed."""
    tax_bureau, _housing = d.add_departments(runtime, pki)
    push_tax_record(client, tax_bureau)
    return tax_bureau


@pytest.fixture
def sellers_mortgage(runtime):
    """The seller's loan at the other bank, in force on the home (first priority)."""
    with transaction(runtime.sessions) as session:
        add_mortgage(session, certificate_no=s.EXISTING_NO, mortgagee_code=factories.OTHER_BANK_CODE)
