"""Signed XML applications, format version 1 (namespace urn:pingluo-bdc:mortgage-gateway:v1).

The gateway parses the bytes with the hardened parser, calls `validate` on the parsed root,
verifies the XMLDSig signature, and passes only the element the verification returned as signed
to `to_canonical`. `from_canonical` writes the unsigned document for a canonical application
(used to seal web-form submissions and to build test requests).

Every element after `Property` except `Materials` is optional in the schema; which of them a
registration type needs is checked by the pre-review rules, not here.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from lxml import etree

from bank_adapters import xml_v1_schema
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
    SpecialCircumstance,
)
from bank_adapters.errors import SchemaInvalid, SchemaViolation, UnsupportedDocument

NAMESPACE = xml_v1_schema.NAMESPACE
ROOT_TAG = f"{{{NAMESPACE}}}MortgageApplication"
FORMAT_VERSION = "1"
#: The one currency of format v1: the schema fixes the currency attribute of every amount to it.
CURRENCY = "CNY"
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
        re-validating here keeps this method safe even if the two differ. An absent optional
        element reads as None (or an empty tuple for lists).
        """
        self.validate(signed_root)
        root = signed_root
        debtor = root.find("m:Debtor/m:Party", _NS)
        return CanonicalApplication(
            request_id=_text(root, "m:RequestId"),
            created_at=datetime.fromisoformat(_text(root, "m:CreatedAt").strip()),
            registration_type=RegistrationType(_text(root, "m:RegistrationType")),
            mortgagee=_institution(_child(root, "m:Mortgagee")),
            mortgagors=tuple(_party(party) for party in root.iterfind("m:Mortgagors/m:Party", _NS)),
            debtor=None if debtor is None else _party(debtor),
            unit_code=_text(root, "m:Property/m:UnitCode"),
            secured_amount=_optional_amount(root, "m:SecuredClaim"),
            currency=CURRENCY,
            debt_start=_optional_date(root, "m:DebtPeriod/m:Start"),
            debt_end=_optional_date(root, "m:DebtPeriod/m:End"),
            loan_contract_no=_optional_text(root, "m:LoanContractNo"),
            mortgage_contract_no=_optional_text(root, "m:MortgageContractNo"),
            materials=tuple(_material(item) for item in root.iterfind("m:Materials/m:Material", _NS)),
            maximum_claim_amount=_optional_amount(root, "m:MaximumClaim"),
            claim_period_start=_optional_date(root, "m:ClaimPeriod/m:Start"),
            claim_period_end=_optional_date(root, "m:ClaimPeriod/m:End"),
            referenced_certificate_no=_optional_text(root, "m:ReferencedCertificateNo"),
            changes=tuple(_change(item) for item in root.iterfind("m:Changes/m:Change", _NS)),
            transferee=_optional_institution(root.find("m:Transferee", _NS)),
            discharge_reason=_optional_discharge_reason(root),
            construction_permit_no=_optional_text(root, "m:ConstructionPermitNo"),
            special_circumstances=tuple(
                SpecialCircumstance(item.text or "")
                for item in root.iterfind("m:SpecialCircumstances/m:Circumstance", _NS)
            ),
            link=_link(root.find("m:Link", _NS)),
            sellers=tuple(_party(party) for party in root.iterfind("m:Sellers/m:Seller", _NS)),
            buyers=tuple(_party(party) for party in root.iterfind("m:Buyers/m:Buyer", _NS)),
            sale_contract_no=_optional_text(root, "m:SaleContractNo"),
            sale_price=_optional_amount(root, "m:SalePrice"),
        )

    def from_canonical(self, app: CanonicalApplication) -> etree._Element:
        """Build the unsigned v1 document for `app`; raises `SchemaInvalid` if `app` cannot be expressed.

        None (or an empty tuple) leaves the optional element out. The result has no ds:Signature;
        the caller signs it (enveloped, Reference URI="").
        """
        _check_expressible(app)
        root = etree.Element(ROOT_TAG, nsmap={None: NAMESPACE}, version=FORMAT_VERSION)
        _add(root, "RequestId", app.request_id)
        _add(root, "CreatedAt", app.created_at.isoformat())
        _add(root, "RegistrationType", str(app.registration_type))
        _add_institution(root, "Mortgagee", app.mortgagee)
        mortgagors = _add(root, "Mortgagors")
        for party in app.mortgagors:
            _add_party(mortgagors, party)
        if app.debtor is not None:
            _add_party(_add(root, "Debtor"), app.debtor)
        _add(_add(root, "Property"), "UnitCode", app.unit_code)
        _add_amount(root, "SecuredClaim", app.secured_amount, app.currency)
        _add_period(root, "DebtPeriod", app.debt_start, app.debt_end)
        _add_optional(root, "LoanContractNo", app.loan_contract_no)
        _add_optional(root, "MortgageContractNo", app.mortgage_contract_no)
        _add_type_specific(root, app)
        materials = _add(root, "Materials")
        for material in app.materials:
            item = _add(materials, "Material")
            _add(item, "TypeCode", material.type_code)
            _add(item, "FileName", material.file_name)
            _add(item, "Sha256", material.sha256)
        self.validate(root)
        return root


# ---------------------------------------------------------------- reading


def _child(parent: etree._Element, path: str) -> etree._Element:
    found = parent.find(path, _NS)
    if found is None:  # unreachable after validation; kept so a schema change cannot slip through
        raise SchemaInvalid([SchemaViolation(path.replace("m:", ""), "element is missing")])
    return found


def _text(parent: etree._Element, path: str) -> str:
    return _child(parent, path).text or ""


def _optional_text(parent: etree._Element, path: str) -> str | None:
    found = parent.find(path, _NS)
    return None if found is None else found.text or ""


def _optional_amount(parent: etree._Element, path: str) -> Decimal | None:
    text = _optional_text(parent, path)
    return None if text is None else Decimal(text.strip())


def _optional_date(parent: etree._Element, path: str) -> date | None:
    text = _optional_text(parent, path)
    return None if text is None else date.fromisoformat(text.strip())


def _optional_discharge_reason(parent: etree._Element) -> DischargeReason | None:
    text = _optional_text(parent, "m:DischargeReason")
    return None if text is None else DischargeReason(text)


def _institution(element: etree._Element) -> Mortgagee:
    return Mortgagee(code=_text(element, "m:Code"), name=_text(element, "m:Name"))


def _optional_institution(element: etree._Element | None) -> Mortgagee | None:
    return None if element is None else _institution(element)


def _party(element: etree._Element) -> Party:
    return Party(
        name=_text(element, "m:Name"),
        id_type=IdType(_text(element, "m:IdType")),
        id_number=_text(element, "m:IdNumber"),
    )


def _change(element: etree._Element) -> ChangeItem:
    return ChangeItem(field=ChangeField(_text(element, "m:Field")), new_value=_text(element, "m:NewValue"))


def _link(element: etree._Element | None) -> LinkRef | None:
    if element is None:
        return None
    return LinkRef(
        group_id=_text(element, "m:GroupId"),
        position=int(_text(element, "m:Position").strip()),
        size=int(_text(element, "m:Size").strip()),
    )


def _material(element: etree._Element) -> MaterialRef:
    return MaterialRef(
        type_code=_text(element, "m:TypeCode"),
        file_name=_text(element, "m:FileName"),
        sha256=_text(element, "m:Sha256"),
    )


# ---------------------------------------------------------------- writing


def _check_expressible(app: CanonicalApplication) -> None:
    """Refuse what the document cannot carry, so that reading it back gives `app` again."""
    violations = []
    if app.created_at.tzinfo is None or app.created_at.utcoffset() is None:
        violations.append(SchemaViolation("/MortgageApplication/CreatedAt", "a timezone offset is required"))
    periods = {
        "DebtPeriod": (app.debt_start, app.debt_end),
        "ClaimPeriod": (app.claim_period_start, app.claim_period_end),
    }
    for name, (start, end) in periods.items():
        if (start is None) != (end is None):
            violations.append(SchemaViolation(f"/MortgageApplication/{name}", "Start and End must be given together"))
    no_amount = app.secured_amount is None and app.maximum_claim_amount is None and app.sale_price is None
    if no_amount and app.currency != CURRENCY:
        violations.append(SchemaViolation("/MortgageApplication", f"currency must be {CURRENCY!r}"))
    if violations:
        raise SchemaInvalid(violations)


def _add_type_specific(root: etree._Element, app: CanonicalApplication) -> None:
    """The elements between MortgageContractNo and Materials, in schema order."""
    _add_amount(root, "MaximumClaim", app.maximum_claim_amount, app.currency)
    _add_period(root, "ClaimPeriod", app.claim_period_start, app.claim_period_end)
    _add_optional(root, "ReferencedCertificateNo", app.referenced_certificate_no)
    if app.changes:
        changes = _add(root, "Changes")
        for change in app.changes:
            item = _add(changes, "Change")
            _add(item, "Field", str(change.field))
            _add(item, "NewValue", change.new_value)
    if app.transferee is not None:
        _add_institution(root, "Transferee", app.transferee)
    _add_optional(root, "DischargeReason", None if app.discharge_reason is None else str(app.discharge_reason))
    _add_optional(root, "ConstructionPermitNo", app.construction_permit_no)
    if app.special_circumstances:
        circumstances = _add(root, "SpecialCircumstances")
        for circumstance in app.special_circumstances:
            _add(circumstances, "Circumstance", str(circumstance))
    _add_parties(root, "Sellers", "Seller", app.sellers)
    _add_parties(root, "Buyers", "Buyer", app.buyers)
    _add_optional(root, "SaleContractNo", app.sale_contract_no)
    _add_amount(root, "SalePrice", app.sale_price, app.currency)
    if app.link is not None:
        link = _add(root, "Link")
        _add(link, "GroupId", app.link.group_id)
        _add(link, "Position", str(app.link.position))
        _add(link, "Size", str(app.link.size))


def _add(parent: etree._Element, local_name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{NAMESPACE}}}{local_name}")
    if text is not None:
        try:
            element.text = text
        except ValueError:  # lxml refuses control characters; report it like any schema violation
            path = xml_v1_schema.element_path(element, element.getroottree().getroot())
            raise SchemaInvalid([SchemaViolation(path, "contains characters not allowed in XML")]) from None
    return element


def _add_optional(parent: etree._Element, local_name: str, text: str | None) -> None:
    if text is not None:
        _add(parent, local_name, text)


def _add_amount(parent: etree._Element, local_name: str, amount: Decimal | None, currency: str) -> None:
    if amount is not None:
        _add(parent, local_name, format(amount, "f")).set("currency", currency)


def _add_period(parent: etree._Element, local_name: str, start: date | None, end: date | None) -> None:
    if start is not None and end is not None:
        period = _add(parent, local_name)
        _add(period, "Start", start.isoformat())
        _add(period, "End", end.isoformat())


def _add_institution(parent: etree._Element, local_name: str, institution: Mortgagee) -> None:
    element = _add(parent, local_name)
    _add(element, "Code", institution.code)
    _add(element, "Name", institution.name)


def _add_parties(parent: etree._Element, list_name: str, item_name: str, parties: tuple[Party, ...]) -> None:
    if parties:
        element = _add(parent, list_name)
        for party in parties:
            _add_party(element, party, item_name)


def _add_party(parent: etree._Element, party: Party, local_name: str = "Party") -> None:
    element = _add(parent, local_name)
    _add(element, "Name", party.name)
    _add(element, "IdType", str(party.id_type))
    _add(element, "IdNumber", party.id_number)
