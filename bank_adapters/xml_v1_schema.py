"""The v1 XML Schema: loaded once from package data, checked offline, reported without values.

A document libxml2 finds valid, with nothing on which libxml2 and xmlschema may disagree, is
accepted at once (`xml_v1_compiled`); any other is judged by xmlschema, the reference, which
also lists the violations. xmlschema's own messages quote the offending value (an ID number, a
name), so every violation is rewritten here from the failing constraint and the element path alone.
"""
from __future__ import annotations

import functools
from collections.abc import Iterator
from importlib import resources
from itertools import chain, islice

import xmlschema
from lxml import etree
from xmlschema import validators as xsd

from bank_adapters.errors import SchemaInvalid, SchemaViolation
from bank_adapters.xml_v1_compiled import CompiledSchema

NAMESPACE = "urn:pingluo-bdc:mortgage-gateway:v1"
XMLDSIG_NAMESPACE = "http://www.w3.org/2000/09/xmldsig#"
SCHEMA_FILE = "mortgage-application-v1.xsd"

_XSI_NAMESPACE = "http://www.w3.org/2001/XMLSchema-instance"
# Location hints are harmless (never followed); xsi:type and xsi:nil would change what is validated.
_XSI_ALLOWED = {f"{{{_XSI_NAMESPACE}}}schemaLocation", f"{{{_XSI_NAMESPACE}}}noNamespaceSchemaLocation"}
_MAX_VIOLATIONS = 50
_MAX_ERRORS_READ = 10 * _MAX_VIOLATIONS
# Far above what any element of the format or its ds:Signature carries (the most: 50 Materials).
_MAX_ATTRIBUTES = 16
_MAX_CHILDREN = 100
_MAX_NAME_SHOWN = 80


def schema_text() -> str:
    """The XSD exactly as shipped in the package."""
    return resources.files("bank_adapters.schemas").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")


@functools.cache
def _schema() -> xmlschema.XMLSchema10:
    # Built from a string with allow="none": no file or URL can be fetched, now or while validating.
    return xmlschema.XMLSchema10(schema_text(), allow="none", defuse="always")


@functools.cache
def _compiled() -> CompiledSchema:
    return CompiledSchema(schema_text())


@functools.cache
def _repeatable_names() -> frozenset[str]:
    """Local names of elements that may occur more than once; their paths always carry [n]."""
    return frozenset(
        component.local_name
        for component in _schema().iter_components(xsd.XsdElement)
        if component.max_occurs != 1
    )


def check(root: etree._Element) -> None:
    """Validate `root` against the v1 schema; raise `SchemaInvalid` listing every violation.

    The answer is always the reference's (`reference_violations`); a document libxml2 can vouch
    for is accepted without running it.
    """
    if fast_accepts(root):
        return
    violations = reference_violations(root)
    if violations:
        raise SchemaInvalid(violations)


def fast_accepts(root: etree._Element) -> bool:
    """Whether libxml2 alone may accept `root`: it finds it valid, and nothing in it lies where
    libxml2 and the reference may disagree. False says nothing: ask the reference."""
    return _compiled().surely_valid(root)


def reference_violations(root: etree._Element) -> list[SchemaViolation]:
    """Every violation xmlschema, the reference validator, finds in `root` (empty when valid)."""
    violations = list(islice(chain(_forbidden_xsi_attributes(root), _floods(root)), _MAX_VIOLATIONS))
    if not violations:
        violations = list(_schema_violations(root))
    return violations


def _floods(root: etree._Element) -> Iterator[SchemaViolation]:
    # xmlschema's cost grows with the square of an element's attributes or children (each error
    # it makes copies the attribute map or counts the siblings), so a 200 KB document of thousands
    # of them would hold a thread for minutes. No element of the format comes near the bounds,
    # so such an element is refused before xmlschema sees it.
    for element in root.iter(tag=etree.Element):
        if len(element.attrib) > _MAX_ATTRIBUTES:
            yield SchemaViolation(element_path(element, root),
                                  f"has {len(element.attrib)} attributes; at most {_MAX_ATTRIBUTES} are allowed")
        if (children := len(element)) > _MAX_CHILDREN:
            yield SchemaViolation(element_path(element, root),
                                  f"has {children} child nodes; at most {_MAX_CHILDREN} are allowed")


def _forbidden_xsi_attributes(root: etree._Element) -> Iterator[SchemaViolation]:
    for element in root.iter(tag=etree.Element):
        for name in element.attrib:
            if name.startswith(f"{{{_XSI_NAMESPACE}}}") and name not in _XSI_ALLOWED:
                yield SchemaViolation(element_path(element, root), f"attribute xsi:{_local(name)} is not allowed")


def _schema_violations(root: etree._Element) -> Iterator[SchemaViolation]:
    seen: set[SchemaViolation] = set()
    try:
        # Bounded by errors read, not only by distinct violations: thousands of copies of one bad
        # element make as many identical errors, each costing xmlschema time linear in the siblings.
        errors = _schema().iter_errors(root, use_location_hints=False)
        for error in islice(errors, _MAX_ERRORS_READ):
            violation = _violation(error, root)
            if violation not in seen:
                seen.add(violation)
                yield violation
            if len(seen) >= _MAX_VIOLATIONS:
                return
    except xmlschema.XMLSchemaException:
        # An internal validator failure on a hostile document must still read as "invalid".
        yield SchemaViolation(element_path(root, root), "the document could not be validated")


def _violation(error: xmlschema.XMLSchemaValidationError, root: etree._Element) -> SchemaViolation:
    element = error.elem if isinstance(error.elem, etree._Element) else root
    return SchemaViolation(element_path(element, root), _reason(error))


def _reason(error: xmlschema.XMLSchemaValidationError) -> str:
    validator = error.validator
    if isinstance(validator, xsd.XsdGroup):
        return _content_reason(error)
    if isinstance(validator, xsd.XsdAttributeGroup):
        return _attributes_reason(error)
    if isinstance(validator, xsd.XsdAttribute):
        if validator.fixed is not None:
            return f"attribute {validator.local_name} must be {validator.fixed!r}"
        return f"attribute {validator.local_name} is not valid"
    if isinstance(validator, xsd.XsdElement) and "simple content" in (error.reason or ""):
        return "must contain only text (no child elements or comments)"
    if isinstance(validator, xsd.XsdElement) and "XsdUnique(" in (error.reason or ""):
        return "repeats a code already given in this list"
    return _facet_reason(validator)


def _facet_reason(validator: object) -> str:
    match validator:
        case xsd.XsdPatternFacets():
            return "does not match the pattern"
        case xsd.XsdEnumerationFacets():
            return "is not one of the allowed codes: " + ", ".join(map(str, validator.enumeration))
        case xsd.XsdMaxLengthFacet():
            return f"is longer than {validator.value} characters"
        case xsd.XsdMinLengthFacet():
            return f"is shorter than {validator.value} characters"
        case xsd.XsdLengthFacet():
            return f"must be exactly {validator.value} characters long"
        case xsd.XsdMinExclusiveFacet():
            return f"must be greater than {validator.value}"
        case xsd.XsdMinInclusiveFacet():
            return f"must be at least {validator.value}"
        case xsd.XsdMaxExclusiveFacet():
            return f"must be less than {validator.value}"
        case xsd.XsdMaxInclusiveFacet():
            return f"must be at most {validator.value}"
        case xsd.XsdTotalDigitsFacet():
            return f"has more than {validator.value} digits"
        case xsd.XsdFractionDigitsFacet():
            return f"has more than {validator.value} digits after the decimal point"
        case xsd.XsdAtomicBuiltin():
            return f"is not a valid {validator.local_name}"
    return "does not match the schema"


def _content_reason(error: xmlschema.XMLSchemaValidationError) -> str:
    invalid_child = getattr(error, "invalid_child", None)
    expected = _expected_names(getattr(error, "expected", None))
    expecting = f"; expected {expected}" if expected else ""
    if isinstance(invalid_child, etree._Element):
        return f"element {_display_name(invalid_child.tag)} is not allowed here{expecting}"
    if expected:
        return f"content is incomplete{expecting}"
    if "character data" in (error.reason or ""):
        return "text is not allowed here, only child elements"
    return "content does not match the schema"


def _expected_names(expected: object) -> str:
    if not expected:
        return ""
    names = []
    for particle in expected:  # type: ignore[attr-defined]
        if isinstance(particle, xsd.XsdElement):
            names.append(_display_name(particle.name))
        elif isinstance(particle, xsd.XsdAnyElement):
            names.append("ds:Signature")
    return " or ".join(names)


def _attributes_reason(error: xmlschema.XMLSchemaValidationError) -> str:
    validator = error.validator
    present = dict(error.obj) if hasattr(error.obj, "keys") else {}
    unexpected = [name for name in present if name not in validator and not name.startswith(f"{{{_XSI_NAMESPACE}}}")]
    missing = [name for name, attribute in validator.items() if attribute.use == "required" and name not in present]
    problems = [f"attribute {_attribute_name(name)} is not allowed" for name in unexpected]
    problems += [f"attribute {_attribute_name(name)} is required" for name in missing]
    return "; ".join(problems) or "attributes do not match the schema"


def element_path(element: etree._Element, root: etree._Element) -> str:
    """Element path from `root` down to `element`, never looking above `root`."""
    steps = []
    node: etree._Element | None = element
    while node is not None:
        steps.append(_step(node))
        if node is root:
            break
        node = node.getparent()
    return "/" + "/".join(reversed(steps))


def _step(element: etree._Element) -> str:
    name = _display_name(element.tag)
    if _local(element.tag) not in _repeatable_names() or element.getparent() is None:
        return name
    same_tag = [sibling for sibling in element.getparent() if sibling.tag == element.tag]
    return f"{name}[{same_tag.index(element) + 1}]"


def _display_name(tag: object) -> str:
    """Our elements by local name, signature elements as ds:..., anything else in Clark notation."""
    if not isinstance(tag, str) or not tag:
        return "(node)"
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
    else:
        namespace, local = "", tag
    if namespace == NAMESPACE:
        shown = local
    elif namespace == XMLDSIG_NAMESPACE:
        shown = f"ds:{local}"
    elif namespace:
        shown = tag
    else:
        shown = f"{local} (no namespace)"
    return shown if len(shown) <= _MAX_NAME_SHOWN else shown[:_MAX_NAME_SHOWN] + "…"


def _attribute_name(name: str) -> str:
    """Unqualified attributes (the normal case) by name, qualified ones in Clark notation."""
    return name if len(name) <= _MAX_NAME_SHOWN else name[:_MAX_NAME_SHOWN] + "…"


def _local(tag: object) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""
