"""Signed XML applications, format version 1 (namespace urn:pingluo-bdc:mortgage-gateway:v1).

The gateway parses the bytes with the hardened parser, calls `validate` on the parsed root,
verifies the XMLDSig signature, and passes only the element the verification returned as signed
to `to_canonical`. `from_canonical` writes the unsigned document for a canonical application
(used to seal web-form submissions and to build test requests).
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from lxml import etree

from bank_adapters import xml_v1_schema
from bank_adapters.canonical import (
    CanonicalApplication,
    IdType,
    MaterialRef,
    Mortgagee,
    Party,
    RegistrationType,
)
from bank_adapters.errors import SchemaInvalid, SchemaViolation, UnsupportedDocument

NAMESPACE = xml_v1_schema.NAMESPACE
ROOT_TAG = f"{{{NAMESPACE}}}MortgageApplication"
FORMAT_VERSION = "1"
_NS = {"m": NAMESPACE}


class XmlApplicationAdapter:
    """Reads and writes mortgage applications in the v1 XML format. Stateless; share one instance."""

    media_types: tuple[str, ...] = ("application/xml", "text/xml")
    root_tag: str = ROOT_TAG

    def validate(self, root: etree._Element) -> None:
        """Check `root` against the v1 schema (an optional trailing ds:Signature is allowed).

        Raises `UnsupportedDocument` when the root is not a v1 MortgageApplication, and
        `SchemaInvalid` with every violation (path and rule, never the value) otherwise.
        """
        if not isinstance(root, etree._Element) or root.tag != ROOT_TAG:
            raise UnsupportedDocument(f"the document element must be MortgageApplication in namespace {NAMESPACE}")
        xml_v1_schema.check(root)

    def to_canonical(self, signed_root: etree._Element) -> CanonicalApplication:
        """Read the application from `signed_root` alone, validating it again first.

        Pass what the signature verification returned as signed, not the tree that was received:
        re-validating here keeps this method safe even if the two differ.
        """
        self.validate(signed_root)
        return CanonicalApplication(
            request_id=_text(signed_root, "m:RequestId"),
            created_at=datetime.fromisoformat(_text(signed_root, "m:CreatedAt").strip()),
            registration_type=RegistrationType(_text(signed_root, "m:RegistrationType")),
            mortgagee=Mortgagee(
                code=_text(signed_root, "m:Mortgagee/m:Code"),
                name=_text(signed_root, "m:Mortgagee/m:Name"),
            ),
            mortgagors=tuple(_party(party) for party in signed_root.iterfind("m:Mortgagors/m:Party", _NS)),
            debtor=_party(_child(signed_root, "m:Debtor/m:Party")),
            unit_code=_text(signed_root, "m:Property/m:UnitCode"),
            secured_amount=Decimal(_text(signed_root, "m:SecuredClaim").strip()),
            currency=_child(signed_root, "m:SecuredClaim").get("currency"),
            debt_start=date.fromisoformat(_text(signed_root, "m:DebtPeriod/m:Start").strip()),
            debt_end=date.fromisoformat(_text(signed_root, "m:DebtPeriod/m:End").strip()),
            loan_contract_no=_text(signed_root, "m:LoanContractNo"),
            mortgage_contract_no=_text(signed_root, "m:MortgageContractNo"),
            materials=tuple(_material(item) for item in signed_root.iterfind("m:Materials/m:Material", _NS)),
        )

    def from_canonical(self, app: CanonicalApplication) -> etree._Element:
        """Build the unsigned v1 document for `app`; raises `SchemaInvalid` if `app` cannot be expressed.

        The result has no ds:Signature; the caller signs it (enveloped, Reference URI="").
        """
        if app.created_at.tzinfo is None or app.created_at.utcoffset() is None:
            raise SchemaInvalid([SchemaViolation("/MortgageApplication/CreatedAt", "a timezone offset is required")])
        root = etree.Element(ROOT_TAG, nsmap={None: NAMESPACE}, version=FORMAT_VERSION)
        _add(root, "RequestId", app.request_id)
        _add(root, "CreatedAt", app.created_at.isoformat())
        _add(root, "RegistrationType", str(app.registration_type))
        mortgagee = _add(root, "Mortgagee")
        _add(mortgagee, "Code", app.mortgagee.code)
        _add(mortgagee, "Name", app.mortgagee.name)
        mortgagors = _add(root, "Mortgagors")
        for party in app.mortgagors:
            _add_party(mortgagors, party)
        _add_party(_add(root, "Debtor"), app.debtor)
        _add(_add(root, "Property"), "UnitCode", app.unit_code)
        _add(root, "SecuredClaim", format(app.secured_amount, "f")).set("currency", app.currency)
        period = _add(root, "DebtPeriod")
        _add(period, "Start", app.debt_start.isoformat())
        _add(period, "End", app.debt_end.isoformat())
        _add(root, "LoanContractNo", app.loan_contract_no)
        _add(root, "MortgageContractNo", app.mortgage_contract_no)
        materials = _add(root, "Materials")
        for material in app.materials:
            item = _add(materials, "Material")
            _add(item, "TypeCode", material.type_code)
            _add(item, "FileName", material.file_name)
            _add(item, "Sha256", material.sha256)
        self.validate(root)
        return root


def _child(parent: etree._Element, path: str) -> etree._Element:
    found = parent.find(path, _NS)
    if found is None:  # unreachable after validation; kept so a schema change cannot slip through
        raise SchemaInvalid([SchemaViolation(path.replace("m:", ""), "element is missing")])
    return found


def _text(parent: etree._Element, path: str) -> str:
    return _child(parent, path).text or ""


def _party(element: etree._Element) -> Party:
    return Party(
        name=_text(element, "m:Name"),
        id_type=IdType(_text(element, "m:IdType")),
        id_number=_text(element, "m:IdNumber"),
    )


def _material(element: etree._Element) -> MaterialRef:
    return MaterialRef(
        type_code=_text(element, "m:TypeCode"),
        file_name=_text(element, "m:FileName"),
        sha256=_text(element, "m:Sha256"),
    )


def _add(parent: etree._Element, local_name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{NAMESPACE}}}{local_name}")
    if text is not None:
        try:
            element.text = text
        except ValueError:  # lxml refuses control characters; report it like any schema violation
            path = xml_v1_schema.element_path(element, element.getroottree().getroot())
            raise SchemaInvalid([SchemaViolation(path, "contains characters not allowed in XML")]) from None
    return element


def _add_party(parent: etree._Element, party: Party) -> None:
    element = _add(parent, "Party")
    _add(element, "Name", party.name)
    _add(element, "IdType", str(party.id_type))
    _add(element, "IdNumber", party.id_number)
