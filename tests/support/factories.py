"""Factories: canonical applications and signed request bytes, as a bank would produce them."""
from __future__ import annotations

import hashlib
import uuid
from dataclasses import replace
from datetime import date, datetime, timezone
from decimal import Decimal

from lxml import etree

from bank_adapters import CanonicalApplication, IdType, MaterialRef, Mortgagee, Party, RegistrationType
from bank_adapters.xml_v1 import XmlApplicationAdapter
from signing.xmldsig import sign_enveloped
from signing.xmlsec1 import signature_template, xmlsec1_sign

BANK_CODE = "91640221MA76B3KX0N"
OTHER_BANK_CODE = "91640200MA75XQ1F4H"
UNIT_CODE = "640221001001GB00012F00010001"
# Departments (信息互联), with valid 统一社会信用代码: two government organs (11…) and a public institution (12…).
TAX_BUREAU_CODE = "11640221MB1234562R"  # 国家税务总局平罗县税务局
HOUSING_BUREAU_CODE = "11640221MB76543229"  # 平罗县住房和城乡建设局（房产交易中心）
FUND_CENTRE_CODE = "12640221MB0000000E"  # 石嘴山市住房公积金管理中心平罗管理部

MATERIALS = {
    "LOAN_CONTRACT": b"%PDF-1.4 loan contract (test)\n",
    "MORTGAGE_CONTRACT": b"%PDF-1.4 mortgage contract (test)\n",
    "ID_DOCUMENT": b"%PDF-1.4 identity documents (test)\n",
}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def material_refs(materials: dict[str, bytes] = MATERIALS) -> tuple[MaterialRef, ...]:
    return tuple(MaterialRef(code, f"{code.lower()}.pdf", sha256(data)) for code, data in materials.items())


def application(**overrides) -> CanonicalApplication:
    """A valid first-mortgage application by the test bank; override any field."""
    base = CanonicalApplication(
        request_id=f"REQ-{uuid.uuid4().hex[:16]}",
        created_at=datetime.now(timezone.utc).replace(microsecond=0),
        registration_type=RegistrationType.MORTGAGE_FIRST,
        mortgagee=Mortgagee(BANK_CODE, "平罗县测试商业银行"),
        mortgagors=(
            Party("王建国", IdType.RESIDENT_ID, "640221198503150018"),
            Party("李秀梅", IdType.RESIDENT_ID, "640221198707220022"),
        ),
        debtor=Party("王建国", IdType.RESIDENT_ID, "640221198503150018"),
        unit_code=UNIT_CODE,
        secured_amount=Decimal("1200000.00"),
        currency="CNY",
        debt_start=date(2026, 12, 1),
        debt_end=date(2046, 11, 30),
        loan_contract_no="PLB-LOAN-2026-0001",
        mortgage_contract_no="PLB-MTG-2026-0001",
        materials=material_refs(),
    )
    return replace(base, **overrides)


def unsigned_xml(app: CanonicalApplication) -> etree._Element:
    return XmlApplicationAdapter().from_canonical(app)


def signed_request(app: CanonicalApplication, identity) -> bytes:
    """Signed with signxml (the gateway's own library)."""
    return sign_enveloped(unsigned_xml(app), key=identity.key, certificate=identity.certificate)


def signed_request_with_xmlsec1(app: CanonicalApplication, identity) -> bytes:
    """Signed with Debian's xmlsec1, as a bank's own tooling would."""
    template = etree.tostring(signature_template(unsigned_xml(app)), xml_declaration=True, encoding="UTF-8")
    return xmlsec1_sign(template, identity.key_path, identity.cert_path)
