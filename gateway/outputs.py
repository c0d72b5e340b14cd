"""The gateway's signed outputs in either format: XMLDSig (application/xml) or JWS (application/jose).

Every output document is built once, as an XML element of the published output schema; this module
signs it in the format the recipient uses. The JSON form of an element is mechanical
(docs/interface/json-channel.md, section 3):

* the payload is an object whose ``"document"`` is the root's local name, then the root's
  attributes and child elements as members named in snake_case;
* an element that may repeat in the XSD (`REPEATABLE`) is always an array;
* an element with children is an object; one with only text is that text, always a string; one
  with text and attributes is an object with the text as ``"value"``.

``gateway-output-v1.schema.json`` is generated from the XSD by the same rules
(``python -m gateway.outputs docs/interface/schemas/gateway-output-v1.xsd``); a test keeps the
file, the XSD and `REPEATABLE` in step.
"""
from __future__ import annotations

import json
import re
import sys
from typing import Any

from lxml import etree

XML_MEDIA_TYPE = "application/xml"
JWS_MEDIA_TYPE = "application/jose"
FORMATS = ("xml", "json")
#: (parent, child) local names of the output XSD's elements with maxOccurs > 1: always arrays in the
#: JSON form. tests/unit/test_jws_schema.py checks it against the XSD (`repeatable_elements`).
REPEATABLE = frozenset({
    ("Findings", "Finding"), ("Supplement", "Item"), ("Obligors", "Obligor"), ("Other", "Item"),
    ("Violations", "Violation"), ("Applications", "Count"), ("IntakeRefusals", "Count"),
    ("SupplementRequests", "Material"), ("WatchedBy", "Application"), ("WatchedBy", "Mortgage"),
    ("Transfer", "CarriedOver"),
})
_XMLDSIG_NS = "http://www.w3.org/2000/09/xmldsig#"


def sign_output(runtime, element: etree._Element, *, fmt: str = "xml") -> tuple[bytes, str]:
    """Sign ``element``: fmt ``xml`` → enveloped XMLDSig; ``json`` → its JSON form as a compact JWS.

    Returns (signed bytes, media type)."""
    if fmt == "xml":
        return runtime.signer.sign(element), XML_MEDIA_TYPE
    if fmt == "json":
        from signing.jws import sign_compact

        signer = runtime.signer
        payload = json_bytes(element)
        typ = f"{snake_case(etree.QName(element).localname)}+jws"
        return sign_compact(payload, key=signer.key, certificate=signer.certificate, chain=signer.chain,
                            typ=typ), JWS_MEDIA_TYPE
    raise ValueError(f"unknown output format {fmt!r}")


def media_type_of(fmt: str) -> str:
    return JWS_MEDIA_TYPE if fmt == "json" else XML_MEDIA_TYPE


def output_format_of(application) -> str:
    """The format an application's receipt and results go out in: the one it was submitted in."""
    return getattr(application, "output_format", None) or "xml"


def institution_output_format(institution) -> str:
    """The format of an institution's documents not tied to one submission (watch notices, refusals, statements)."""
    return getattr(institution, "output_format", None) or "xml"


# ---------------------------------------------------------------- the JSON form


def snake_case(name: str) -> str:
    """``ApplicationNo`` → ``application_no``, ``RequestSha256`` → ``request_sha256``."""
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


def to_json_form(element: etree._Element) -> dict[str, Any]:
    """The JSON object of an output element (its ds:Signature, if any, left out)."""
    document: dict[str, Any] = {"document": etree.QName(element).localname}
    document.update(_members(element))
    return document


def json_bytes(element: etree._Element) -> bytes:
    return json.dumps(to_json_form(element), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _members(element: etree._Element) -> dict[str, Any]:
    members: dict[str, Any] = {snake_case(name): value for name, value in element.attrib.items()}
    for child in element:
        if not isinstance(child.tag, str) or etree.QName(child).namespace == _XMLDSIG_NS:
            continue
        local = etree.QName(child).localname
        key, value = snake_case(local), _value(child)
        if (etree.QName(element).localname, local) in REPEATABLE:
            members.setdefault(key, []).append(value)
        else:
            members[key] = value
    return members


def _value(element: etree._Element) -> Any:
    has_children = any(isinstance(child.tag, str) for child in element)
    if has_children:
        return _members(element)
    if element.attrib:
        return {"value": element.text or "", **{snake_case(k): v for k, v in element.attrib.items()}}
    return element.text or ""


# ---------------------------------------------------------------- the JSON Schema, from the XSD


def output_json_schema(xsd_path: str) -> dict[str, Any]:
    """gateway-output-v1.schema.json: every root element of the XSD, mapped by the rules above."""
    import xmlschema

    schema = xmlschema.XMLSchema10(xsd_path)
    defs = {name: _element_schema(element, root=True) for name, element in sorted(schema.elements.items())}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:pingluo-bdc:mortgage-gateway:v1:gateway-output.schema.json",
        "title": "The gateway's documents (JWS payloads), format version 1",
        "description": "Generated from gateway-output-v1.xsd by the mapping of docs/interface/json-channel.md "
                       "section 3. Do not edit: python -m gateway.outputs docs/interface/schemas/gateway-output-v1.xsd",
        "oneOf": [{"$ref": f"#/$defs/{name}"} for name in sorted(defs)],
        "$defs": defs,
    }


def repeatable_elements(xsd_path: str) -> frozenset[tuple[str, str]]:
    """(parent, child) local names of every element that may occur more than once under its parent."""
    import xmlschema
    from xmlschema import validators as xsd

    found: set[tuple[str, str]] = set()
    seen: set[int] = set()

    def walk(element) -> None:
        if id(element) in seen or element.type.is_simple() or element.type.has_simple_content():
            return
        seen.add(id(element))
        for child in element.type.content.iter_elements():
            if isinstance(child, xsd.XsdElement):
                if child.max_occurs != 1:
                    found.add((element.local_name, child.local_name))
                walk(child)

    for element in xmlschema.XMLSchema10(xsd_path).elements.values():
        walk(element)
    return frozenset(found)


def _element_schema(element, *, root: bool = False) -> dict[str, Any]:
    from xmlschema import validators as xsd

    element_type = element.type
    properties: dict[str, Any] = {}
    required: list[str] = []
    if root:
        properties["document"] = {"const": element.local_name}
        required.append("document")
    for name, attribute in element.attributes.items():
        key = snake_case(name)
        properties[key] = _simple_schema(attribute.type)
        if attribute.fixed is not None:
            properties[key] = {"const": str(attribute.fixed)}
        if attribute.use == "required":
            required.append(key)
    if element_type.is_simple() or element_type.has_simple_content():
        if not element.attributes and not root:
            return _simple_schema(element_type if element_type.is_simple() else element_type.content)
        properties["value"] = _simple_schema(element_type if element_type.is_simple() else element_type.content)
        required.insert(0, "value")
    else:
        for child in element_type.content.iter_elements():
            if not isinstance(child, xsd.XsdElement):
                continue  # xs:any (the ds:Signature) has no JSON form
            key = snake_case(child.local_name)
            child_schema = _element_schema(child)
            if child.max_occurs != 1:
                child_schema = {"type": "array", "items": child_schema, "minItems": max(child.min_occurs, 1)}
                if child.max_occurs is not None:
                    child_schema["maxItems"] = child.max_occurs
            properties[key] = child_schema
            if child.min_occurs > 0:
                required.append(key)
    return {"type": "object", "additionalProperties": False, "required": required, "properties": properties}


def _simple_schema(simple_type) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    enumeration = getattr(simple_type, "enumeration", None)
    if enumeration:
        schema["enum"] = [str(v).lower() if isinstance(v, bool) else str(v) for v in enumeration]
    return schema


if __name__ == "__main__":  # pragma: no cover - regenerates the published schema
    sys.stdout.write(json.dumps(output_json_schema(sys.argv[1]), indent=2, ensure_ascii=False) + "\n")
