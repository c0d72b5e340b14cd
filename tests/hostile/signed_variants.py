"""Hostile variants of a correctly signed application request, built fresh for every test run.

Each variant starts from ``factories.signed_request`` (a new RequestId every time, CreatedAt now,
signed by the test bank) and changes it the way an attacker or a careless bank tool would. A
variant either must be refused with its documented code (docs/interface/errors.md) or is a
harmless re-encoding of the same signed content and must be stored byte for byte as sent
(``STORED``). They cannot be kept as files: the signature must come from a certificate the
test's trust anchors hold, and CreatedAt must fall within the window of the time of receipt.

Signature wrapping (XSW) follows the classic catalogue (Somorovsky et al., 2012): the signed
content moved, duplicated, or hidden in a ds:Object while other content takes its place.
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from lxml import etree

from signing.xml_parser import hardened_parser
from tests.support import factories

STORED = "stored as signed"
NS = "urn:pingluo-bdc:mortgage-gateway:v1"
DS = "http://www.w3.org/2000/09/xmldsig#"
M = f"{{{NS}}}"
D = f"{{{DS}}}"


@dataclass(frozen=True)
class Signer:
    """Makes correctly signed requests with the session's test PKI."""

    pki: object

    def signed(self, identity=None, **overrides) -> bytes:
        return factories.signed_request(factories.application(**overrides), identity or self.pki.bank)


@dataclass(frozen=True)
class Variant:
    name: str
    build: Callable[[Signer], bytes]
    expected: str  # an error code, or STORED


def _tree(data: bytes) -> etree._Element:
    return etree.fromstring(data, parser=hardened_parser())


def _bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _mutated(change: Callable[[etree._Element], None]) -> Callable[[Signer], bytes]:
    """A variant made by changing the parsed signed document, then serialising it again."""
    def build(signer: Signer) -> bytes:
        root = _tree(signer.signed())
        change(root)
        return _bytes(root)
    return build


def _replaced(old: str | bytes, new: str | bytes) -> Callable[[Signer], bytes]:
    """A variant made by replacing the first occurrence of ``old`` in the signed bytes."""
    old_bytes = old.encode() if isinstance(old, str) else old
    new_bytes = new.encode() if isinstance(new, str) else new

    def build(signer: Signer) -> bytes:
        data = signer.signed()
        assert old_bytes in data, f"{old!r} not in the signed request"
        return data.replace(old_bytes, new_bytes, 1)
    return build


def _reencoded(encoding: str, *, declared: str | None = None, bom: bytes = b"") -> Callable[[Signer], bytes]:
    def build(signer: Signer) -> bytes:
        text = signer.signed().decode("utf-8").replace("encoding='UTF-8'", f"encoding='{declared or encoding}'", 1)
        return bom + text.encode(encoding)
    return build


# ------------------------------------------------------------------ signature wrapping (XSW)

def _evil_copy(root: etree._Element) -> etree._Element:
    """The same application with another secured amount and no signature."""
    evil = copy.deepcopy(root)
    evil.remove(evil.find(f"{D}Signature"))
    evil.find(f"{M}SecuredClaim").text = "9900000.00"
    return evil


def _xsw_original_in_object(root: etree._Element) -> None:
    """XSW: the evil application takes the root; the signed original hides in ds:Object."""
    signature = root.find(f"{D}Signature")
    original = copy.deepcopy(root)
    root.find(f"{M}SecuredClaim").text = "9900000.00"
    obj = etree.SubElement(signature, f"{D}Object")
    obj.append(original)


def _xsw_original_in_extension(root: etree._Element) -> None:
    """XSW: the evil content first, the signed original wrapped in an unknown child."""
    original = copy.deepcopy(root)
    root.find(f"{M}SecuredClaim").text = "9900000.00"
    etree.SubElement(root, f"{M}Extension").append(original)


def _xsw_signature_in_child(root: etree._Element) -> None:
    """XSW: the ds:Signature moved from the root into a child element."""
    root.find(f"{M}Mortgagee").append(root.find(f"{D}Signature"))


def _wrapped_in_new_root(signer: Signer) -> bytes:
    """XSW: an evil application as root, the whole signed document appended as its last child."""
    signed = _tree(signer.signed())
    evil = _evil_copy(signed)
    evil.append(signed)
    return _bytes(evil)


def _xsw_duplicate_request_id(root: etree._Element) -> None:
    """A second RequestId after the first: which one would a reader take?"""
    first = root.find(f"{M}RequestId")
    second = copy.deepcopy(first)
    second.text = "REQ-injected-00001"
    first.addnext(second)


def _xsw_id_reference(root: etree._Element) -> None:
    """An Id on the root and the Reference pointed at it instead of URI=\"\"."""
    root.set("Id", "application")
    root.find(f"{D}Signature/{D}SignedInfo/{D}Reference").set("URI", "#application")


def _xsw_second_signature(root: etree._Element) -> None:
    root.append(copy.deepcopy(root.find(f"{D}Signature")))


def _xsw_object_with_evil_copy(root: etree._Element) -> None:
    """The signed document left intact, an evil copy added in a ds:Object inside the signature."""
    obj = etree.SubElement(root.find(f"{D}Signature"), f"{D}Object", Id="evil")
    obj.append(_evil_copy(root))


def _transform_removed(root: etree._Element) -> None:
    transforms = root.find(f"{D}Signature/{D}SignedInfo/{D}Reference/{D}Transforms")
    transforms.remove(transforms[0])


def _key_name_added(root: etree._Element) -> None:
    key_info = root.find(f"{D}Signature/{D}KeyInfo")
    etree.SubElement(key_info, f"{D}KeyName").text = "bank"


def _signature_removed(root: etree._Element) -> None:
    root.remove(root.find(f"{D}Signature"))


def _certificate_removed(root: etree._Element) -> None:
    signature = root.find(f"{D}Signature")
    signature.remove(signature.find(f"{D}KeyInfo"))


def _signature_value_flipped(root: etree._Element) -> None:
    value = root.find(f"{D}Signature/{D}SignatureValue")
    text = value.text.strip()
    value.text = ("B" if text[0] != "B" else "C") + text[1:]


def _prefixed(signer: Signer) -> bytes:
    """The same document with the namespace bound to a prefix instead of the default: exclusive
    C14N keeps prefixes, so this is different signed content."""
    data = signer.signed().decode()
    names = _element_names(data)
    data = data.replace(f'<MortgageApplication xmlns="{NS}"', f'<m:MortgageApplication xmlns:m="{NS}"', 1)
    data = data.replace("</MortgageApplication>", "</m:MortgageApplication>")
    for name in names:
        data = data.replace(f"<{name}>", f"<m:{name}>").replace(f"</{name}>", f"</m:{name}>")
        data = data.replace(f"<{name} ", f"<m:{name} ")
    return data.encode()


def _element_names(text: str) -> set[str]:
    root = etree.fromstring(text.encode(), parser=hardened_parser())
    return {etree.QName(e).localname for e in root.iter() if isinstance(e.tag, str) and e.tag.startswith(M)} - {
        "MortgageApplication"}


def _ds_prefix_rebound(signer: Signer) -> bytes:
    """The ds prefix of SignedInfo rebound to another namespace: what was signed is no longer XMLDSig."""
    return signer.signed().replace(b"<ds:SignedInfo>", b'<ds:SignedInfo xmlns:ds="urn:evil">', 1)


def _pretty_printed(signer: Signer) -> bytes:
    root = _tree(signer.signed())
    etree.indent(root)
    return _bytes(root)


def _oversized(signer: Signer) -> bytes:
    return signer.signed().replace(b"<RequestId>", b"<!--" + b" " * (1 << 20) + b"--><RequestId>", 1)


def _huge_attribute(signer: Signer) -> bytes:
    return signer.signed().replace(b' version="1"', b' version="1" note="' + b"A" * 500_000 + b'"', 1)


def _stale(signer: Signer) -> bytes:
    return signer.signed(created_at=factories.application().created_at - timedelta(hours=2))


def _by(identity_name: str) -> Callable[[Signer], bytes]:
    return lambda signer: signer.signed(getattr(signer.pki, identity_name))


VARIANTS: tuple[Variant, ...] = (
    # Harmless encodings of the same signed content: stored exactly as sent.
    Variant("utf8_with_bom", lambda s: b"\xef\xbb\xbf" + s.signed(), STORED),
    Variant("gb18030_reencoded", _reencoded("gb18030", declared="GB18030"), STORED),
    Variant("gbk_reencoded", _reencoded("gbk", declared="GBK"), STORED),
    Variant("no_xml_declaration", lambda s: s.signed().split(b"?>", 1)[1].lstrip(), STORED),
    Variant("crlf_line_endings", lambda s: s.signed().replace(b"\n", b"\r\n"), STORED),
    Variant("single_quoted_attributes", _replaced(' version="1"', " version = '1' "), STORED),
    Variant("unused_namespace_declared", _replaced(' version="1"', ' version="1" xmlns:x="urn:unused"'), STORED),
    Variant("character_reference_in_name", _replaced("王建国", "&#x738B;建国"), STORED),
    Variant("cdata_in_name", _replaced("王建国", "<![CDATA[王建国]]>"), STORED),
    Variant("comment_between_elements", _replaced("<CreatedAt>", "<!-- bank tool v2 --><CreatedAt>"), STORED),
    Variant("processing_instruction_before_root",
            _replaced("?>\n<MortgageApplication", "?>\n<?bank-tool v2?>\n<MortgageApplication"), STORED),
    # Comments and processing instructions inside signed values.
    Variant("comment_inside_name", _replaced("王建国", "王<!-- x -->建国"), "xml.schema_invalid"),
    Variant("comment_inside_request_id", _replaced("<RequestId>REQ-", "<RequestId>REQ-<!---->"), "xml.schema_invalid"),
    Variant("comment_inside_amount", _replaced("1200000.00", "1200000<!---->.00"), "xml.schema_invalid"),
    Variant("processing_instruction_inside_name", _replaced("王建国", "王<?evil x?>建国"), "xml.schema_invalid"),
    # Signature wrapping.
    Variant("xsw_original_in_signature_object", _mutated(_xsw_original_in_object), "signature.profile"),
    Variant("xsw_original_in_unknown_child", _mutated(_xsw_original_in_extension), "xml.schema_invalid"),
    Variant("xsw_signed_document_under_evil_root", _wrapped_in_new_root, "xml.schema_invalid"),
    Variant("xsw_signature_moved_into_child", _mutated(_xsw_signature_in_child), "xml.schema_invalid"),
    Variant("xsw_duplicate_request_id", _mutated(_xsw_duplicate_request_id), "xml.schema_invalid"),
    Variant("xsw_id_attribute_reference", _mutated(_xsw_id_reference), "xml.schema_invalid"),
    Variant("xsw_second_signature", _mutated(_xsw_second_signature), "xml.schema_invalid"),
    Variant("xsw_evil_copy_in_object", _mutated(_xsw_object_with_evil_copy), "signature.profile"),
    Variant("enveloped_transform_removed", _mutated(_transform_removed), "signature.profile"),
    Variant("key_name_added", _mutated(_key_name_added), "signature.profile"),
    Variant("signature_removed", _mutated(_signature_removed), "signature.missing"),
    Variant("certificate_removed", _mutated(_certificate_removed), "certificate.missing"),
    Variant("signature_value_flipped", _mutated(_signature_value_flipped), "signature.invalid"),
    Variant("amount_changed_after_signing", _replaced("1200000.00", "9200000.00"), "signature.invalid"),
    Variant("whitespace_added_by_pretty_printing", _pretty_printed, "signature.invalid"),
    # Namespaces.
    Variant("namespace_bound_to_prefix", _prefixed, "signature.invalid"),
    Variant("ds_prefix_rebound_in_signed_info", _ds_prefix_rebound, "signature.profile"),
    Variant("namespace_redefined_inside_value", _replaced("<Name>王建国", '<Name xmlns="urn:evil">王建国'),
            "xml.schema_invalid"),
    # Size.
    Variant("huge_attribute_on_root", _huge_attribute, "xml.schema_invalid"),
    Variant("over_the_size_limit", _oversized, "xml.too_large"),
    # Encodings that are not ASCII-compatible.
    Variant("utf16_reencoded", _reencoded("utf-16", declared="UTF-16"), "xml.forbidden"),
    # libxml2 does not know GB18030's byte order mark, so it reads it as stray bytes before the root.
    Variant("gb18030_with_bom", _reencoded("gb18030", declared="GB18030", bom=b"\x84\x31\x95\x33"), "xml.malformed"),
    Variant("utf16_be_reencoded", _reencoded("utf-16-be", declared="UTF-16BE", bom=b"\xfe\xff"), "xml.forbidden"),
    # Correctly signed, but by the wrong party or at the wrong time.
    Variant("signed_by_untrusted_certificate", _by("untrusted"), "certificate.untrusted"),
    Variant("signed_by_expired_certificate", _by("expired"), "certificate.expired"),
    Variant("signed_by_another_institution", _by("other_bank"), "certificate.not_registered"),
    Variant("created_two_hours_ago", _stale, "request.stale"),
)
