"""Hardened XML parsing: no DTDs, no entities, no network, bounded size.

Every document that reaches the signature verifier goes through :func:`parse_xml` (or
:func:`parse_document`, which keeps the bytes with their tree so that they are parsed only once).
Documents from banks never need a DOCTYPE, so any DOCTYPE, DTD or entity declaration is refused
outright rather than parsed with expansion disabled: entity-expansion bombs ("billion laughs") and
external entities (``file:///etc/passwd``, ``http://...``) are stopped before libxml2 reads the
internal subset.

The byte-level screen works for every ASCII-compatible encoding (UTF-8, GB18030, GBK, ...).
Encodings that are not ASCII-compatible (UTF-16, UTF-32) are refused, because a byte screen
cannot see a ``<!DOCTYPE`` written in them; the interface requires UTF-8 anyway.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from .errors import DocumentTooLarge, ForbiddenXML, MalformedXML

# Case-insensitive on purpose: lower-case spellings are malformed XML, but refusing them as
# forbidden is clearer than a syntax error and costs nothing.
_FORBIDDEN_MARKUP = re.compile(rb"<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)", re.IGNORECASE)
_NON_ASCII_COMPATIBLE_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")


def hardened_parser() -> etree.XMLParser:
    """Return a new lxml parser that never loads DTDs, resolves entities or touches the network.

    A new parser per call: lxml parsers keep per-parse state and are not safe to share
    between threads.
    """
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        attribute_defaults=False,
        remove_blank_text=False,
    )


_SEAL = object()


@dataclass(frozen=True)
class ParsedXml:
    """Untrusted bytes and the hardened parse of exactly those bytes, made only by :func:`parse_document`.

    Read ``root`` (validate it, look at it) but do not change it: the signature verifier checks
    the signature's profile on this tree and the signature itself on ``data``.
    """

    data: bytes
    root: etree._Element
    _seal: object = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self._seal is not _SEAL:
            raise TypeError("a ParsedXml is made by parse_document, from the bytes themselves")


def parse_document(data: bytes, *, max_bytes: int) -> ParsedXml:
    """Parse untrusted bytes once: :func:`parse_xml`'s checks, and the bytes kept with their tree.

    Pass the result to :func:`signing.xmldsig.verify_enveloped` instead of the bytes, after
    validating ``root``, and the document is not parsed a second time.
    """
    data = bytes(data) if isinstance(data, bytearray) else data
    return ParsedXml(data, parse_xml(data, max_bytes=max_bytes), _SEAL)


def parse_xml(data: bytes, *, max_bytes: int) -> etree._Element:
    """Parse untrusted bytes into an element tree and return its root element.

    :raises DocumentTooLarge: ``len(data) > max_bytes``.
    :raises ForbiddenXML: a DOCTYPE / DTD / entity declaration or reference, or an encoding
        that is not ASCII-compatible.
    :raises MalformedXML: the bytes are not well-formed XML.
    """
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError("parse_xml expects bytes; decode nothing before verification")
    if len(data) > max_bytes:
        raise DocumentTooLarge(f"document is {len(data)} bytes; the limit is {max_bytes}")
    _screen_bytes(bytes(data))
    try:
        root = etree.fromstring(bytes(data), parser=hardened_parser())
    except etree.XMLSyntaxError as exc:
        line, column = getattr(exc, "position", (0, 0))
        raise MalformedXML(f"document is not well-formed XML (line {line}, column {column})") from None
    if root is None:
        raise MalformedXML("document has no root element")
    _screen_tree(root)
    return root


def _screen_bytes(data: bytes) -> None:
    if data.startswith(_NON_ASCII_COMPATIBLE_BOMS) or b"\x00" in data[:4]:
        raise ForbiddenXML("only ASCII-compatible encodings such as UTF-8 are accepted")
    match = _FORBIDDEN_MARKUP.search(data)
    if match is not None:
        keyword = match.group(1).decode("ascii").upper()
        raise ForbiddenXML(f"document contains a <!{keyword} declaration; DTDs and entities are not accepted")


def _screen_tree(root: etree._Element) -> None:
    # Defence in depth: the byte screen should already have refused all of these.
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise ForbiddenXML("document declares a DTD")
    for _ in root.iter(etree.Entity):
        raise ForbiddenXML("document contains an entity reference")
