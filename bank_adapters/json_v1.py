"""JSON applications, format version 1: the canonical model field by field, in snake_case.

The JSON Schema (JSON Schema 2020-12, ``mortgage-application-v1.schema.json``, shipped as package
data and published in docs/interface/schemas/) carries the same fields, codes, lengths and
patterns as the XSD (a test compares them). The gateway verifies the JWS first
(:mod:`signing.jws`) and passes only the payload bytes it returned as signed to `to_canonical`.

Amounts are decimal strings (never JSON numbers, which would lose precision); dates and times
are ISO 8601 strings as in the XML format; absent optional members read as None.

As a second line, every application read here is also written as the v1 XML document and
checked against the XSD, so the JSON channel can never accept what the XML channel refuses.
"""
from __future__ import annotations

import functools
import json
from datetime import date, datetime
from decimal import Decimal
from importlib import resources
from typing import Any, ClassVar

import jsonschema_rs

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
from bank_adapters.errors import AdapterError, SchemaInvalid, SchemaViolation
from bank_adapters.xml_v1 import CURRENCY, XmlApplicationAdapter

SCHEMA_FILE = "mortgage-application-v1.schema.json"
FORMAT_VERSION = "1"
MEDIA_TYPE = "application/json"
_MAX_VIOLATIONS = 50
_MAX_DEPTH = 16
_MAX_NAME_SHOWN = 80


class JsonMalformed(AdapterError, ValueError):
    """The payload is not UTF-8 JSON (or has duplicate members, NaN, or nests too deep)."""

    code: ClassVar[str] = "json.malformed"


class JsonSchemaInvalid(SchemaInvalid):
    """The JSON does not match the schema; each violation has a JSON Pointer and the rule, never the value."""

    code: ClassVar[str] = "json.schema_invalid"


def schema_text() -> str:
    """The JSON Schema exactly as shipped in the package."""
    return resources.files("bank_adapters.schemas").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")


@functools.cache
def schema() -> dict[str, Any]:
    return json.loads(schema_text())


@functools.cache
def _validator() -> jsonschema_rs.Draft202012Validator:
    return jsonschema_rs.Draft202012Validator(schema())


class JsonApplicationAdapter:
    """Reads and writes mortgage applications in the v1 JSON format. Stateless; share one instance."""

    media_types: tuple[str, ...] = (MEDIA_TYPE,)

    def parse(self, payload: bytes) -> Any:
        """UTF-8 JSON, strictly: no duplicate members, no NaN/Infinity, bounded nesting."""
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError:
            raise JsonMalformed("the payload is not UTF-8") from None
        try:
            document = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
        except RecursionError:
            raise JsonMalformed("the JSON nests too deeply") from None
        except ValueError as exc:
            where = f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
            reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
            raise JsonMalformed(f"the payload is not valid JSON: {reason}{where}") from None
        if _depth(document) > _MAX_DEPTH:
            raise JsonMalformed("the JSON nests too deeply")
        try:  # "\ud800" escapes decode to strings that are not Unicode text
            json.dumps(document, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise JsonMalformed("a string holds an unpaired surrogate (\\uD800-\\uDFFF) escape") from None
        return document

    def validate(self, document: Any) -> None:
        """Check a parsed document against the schema; raise `JsonSchemaInvalid` listing the violations."""
        violations = []
        for error in _validator().iter_errors(document):
            violations.append(SchemaViolation(_pointer(error.instance_path), _reason(error)))
            if len(violations) >= _MAX_VIOLATIONS:
                break
        if violations:
            raise JsonSchemaInvalid(sorted(violations, key=lambda v: v.path))

    def to_canonical(self, signed_payload: bytes) -> CanonicalApplication:
        """Read the application from the signed payload bytes alone (parsed and validated here)."""
        document = self.parse(signed_payload)
        self.validate(document)
        try:
            application = _canonical(document)
        except ValueError:  # a date that matches the pattern but does not exist (2026-02-30)
            raise JsonSchemaInvalid([SchemaViolation(*_bad_date(document))]) from None
        try:
            XmlApplicationAdapter().from_canonical(application)  # the XSD's verdict too
        except SchemaInvalid as exc:
            raise JsonSchemaInvalid(exc.violations) from None
        return application

    def from_canonical(self, app: CanonicalApplication) -> bytes:
        """The UTF-8 JSON document for ``app`` (unsigned; the caller signs it with JWS)."""
        document = to_document(app)
        self.validate(document)
        return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def to_document(app: CanonicalApplication) -> dict[str, Any]:
    """The JSON object of ``app``; optional members that are None or empty are left out."""
    document: dict[str, Any] = {
        "version": FORMAT_VERSION,
        "request_id": app.request_id,
        "created_at": app.created_at.isoformat(),
        "registration_type": str(app.registration_type),
        "mortgagee": _institution(app.mortgagee),
        "mortgagors": [_party(p) for p in app.mortgagors],
        "debtor": None if app.debtor is None else _party(app.debtor),
        "unit_code": app.unit_code,
        "secured_amount": _amount(app.secured_amount),
        "currency": app.currency,
        "debt_start": _day(app.debt_start),
        "debt_end": _day(app.debt_end),
        "loan_contract_no": app.loan_contract_no,
        "mortgage_contract_no": app.mortgage_contract_no,
        "maximum_claim_amount": _amount(app.maximum_claim_amount),
        "claim_period_start": _day(app.claim_period_start),
        "claim_period_end": _day(app.claim_period_end),
        "referenced_certificate_no": app.referenced_certificate_no,
        "changes": [{"field": str(c.field), "new_value": c.new_value} for c in app.changes],
        "transferee": None if app.transferee is None else _institution(app.transferee),
        "discharge_reason": None if app.discharge_reason is None else str(app.discharge_reason),
        "construction_permit_no": app.construction_permit_no,
        "special_circumstances": [str(s) for s in app.special_circumstances],
        "link": None if app.link is None else {"group_id": app.link.group_id, "position": app.link.position,
                                               "size": app.link.size},
        "sellers": [_party(p) for p in app.sellers],
        "buyers": [_party(p) for p in app.buyers],
        "sale_contract_no": app.sale_contract_no,
        "sale_price": _amount(app.sale_price),
        "materials": [{"type_code": m.type_code, "file_name": m.file_name, "sha256": m.sha256} for m in app.materials],
    }
    return {name: value for name, value in document.items() if value is not None and value != []}


# ---------------------------------------------------------------- reading


def _canonical(d: dict[str, Any]) -> CanonicalApplication:
    debtor = d.get("debtor")
    return CanonicalApplication(
        request_id=d["request_id"],
        created_at=datetime.fromisoformat(d["created_at"].replace("Z", "+00:00")),
        registration_type=RegistrationType(d["registration_type"]),
        mortgagee=Mortgagee(code=d["mortgagee"]["code"], name=d["mortgagee"]["name"]),
        mortgagors=tuple(_read_party(p) for p in d["mortgagors"]),
        debtor=None if debtor is None else _read_party(debtor),
        unit_code=d["unit_code"],
        secured_amount=_read_amount(d.get("secured_amount")),
        currency=CURRENCY,
        debt_start=_read_day(d.get("debt_start")),
        debt_end=_read_day(d.get("debt_end")),
        loan_contract_no=d.get("loan_contract_no"),
        mortgage_contract_no=d.get("mortgage_contract_no"),
        materials=tuple(MaterialRef(type_code=m["type_code"], file_name=m["file_name"], sha256=m["sha256"])
                        for m in d["materials"]),
        maximum_claim_amount=_read_amount(d.get("maximum_claim_amount")),
        claim_period_start=_read_day(d.get("claim_period_start")),
        claim_period_end=_read_day(d.get("claim_period_end")),
        referenced_certificate_no=d.get("referenced_certificate_no"),
        changes=tuple(ChangeItem(field=ChangeField(c["field"]), new_value=c["new_value"]) for c in d.get("changes", ())),
        transferee=None if d.get("transferee") is None else Mortgagee(code=d["transferee"]["code"],
                                                                      name=d["transferee"]["name"]),
        discharge_reason=None if d.get("discharge_reason") is None else DischargeReason(d["discharge_reason"]),
        construction_permit_no=d.get("construction_permit_no"),
        special_circumstances=tuple(SpecialCircumstance(s) for s in d.get("special_circumstances", ())),
        link=None if d.get("link") is None else LinkRef(group_id=d["link"]["group_id"],
                                                        position=int(d["link"]["position"]),
                                                        size=int(d["link"]["size"])),
        sellers=tuple(_read_party(p) for p in d.get("sellers", ())),
        buyers=tuple(_read_party(p) for p in d.get("buyers", ())),
        sale_contract_no=d.get("sale_contract_no"),
        sale_price=_read_amount(d.get("sale_price")),
    )


def _read_party(p: dict[str, Any]) -> Party:
    return Party(name=p["name"], id_type=IdType(p["id_type"]), id_number=p["id_number"])


def _read_amount(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _read_day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def _bad_date(d: dict[str, Any]) -> tuple[str, str]:
    for name in ("debt_start", "debt_end", "claim_period_start", "claim_period_end"):
        try:
            _read_day(d.get(name))
        except ValueError:
            return f"/{name}", "is not an existing calendar date"
    return "/created_at", "is not an existing date and time"


# ---------------------------------------------------------------- writing


def _institution(m: Mortgagee) -> dict[str, str]:
    return {"code": m.code, "name": m.name}


def _party(p: Party) -> dict[str, str]:
    return {"name": p.name, "id_type": str(p.id_type), "id_number": p.id_number}


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


# ---------------------------------------------------------------- parsing and reporting


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise ValueError("a member name occurs twice in one object")
        result[name] = value
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _depth(value: Any, level: int = 0) -> int:
    if level > _MAX_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


def _pointer(path: Any) -> str:
    """RFC 6901 JSON Pointer of the offending member (names truncated, never values)."""
    parts = []
    for part in path:
        text = str(part)[:_MAX_NAME_SHOWN].replace("~", "~0").replace("/", "~1")
        parts.append(text)
    return "/" + "/".join(parts) if parts else "/"


_RULES = {
    "pattern": "does not match the required pattern",
    "maxLength": "is too long",
    "minLength": "is too short",
    "enum": "is not one of the allowed codes",
    "const": "has a value other than the one allowed",
    "type": "has the wrong JSON type",
    "minItems": "has too few items",
    "maxItems": "has too many items",
    "uniqueItems": "repeats an item",
    "minimum": "is too small",
    "maximum": "is too large",
    "not": "is not allowed (an amount must be greater than 0)",
    "dependentRequired": "must be given together with its pair (start and end)",
}


def _reason(error: Any) -> str:
    keyword = next((str(p) for p in reversed(error.schema_path) if isinstance(p, str) and p in _RULES
                    or p in ("required", "additionalProperties")), "")
    if keyword == "required":
        name = str(getattr(error.kind, "property", ""))[:_MAX_NAME_SHOWN]
        return f"required member {name!r} is missing"
    if keyword == "additionalProperties":
        names = [str(n)[:_MAX_NAME_SHOWN] for n in (getattr(error.kind, "unexpected", None) or [])]
        return "member(s) not in the schema: " + ", ".join(repr(n) for n in names[:5])
    if keyword in _RULES:
        return f"{_RULES[keyword]} ({keyword})"
    return "does not match the schema"
