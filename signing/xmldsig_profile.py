"""The accepted XMLDSig profile: what an enveloped signature must look like before we verify it.

The profile is deliberately narrow, so that what is signed is always the whole document:

* exactly one ``ds:Signature`` in the document, a direct child of the root element;
* ``ds:Signature`` children are ``SignedInfo``, ``SignatureValue`` and ``KeyInfo`` only, and
  ``KeyInfo`` holds only ``X509Data/X509Certificate``: the enveloped transform removes the whole
  signature before digesting, so nothing may ride along inside it (no ``ds:Object``, no
  ``KeyValue``/``KeyName``, no foreign elements, no text outside the base64 values);
* ``SignedInfo`` canonicalization is exclusive C14N without comments, no InclusiveNamespaces;
* exactly one ``Reference``, ``URI=""`` (the whole document), with exactly two transforms:
  enveloped-signature, then exclusive C14N without comments;
* digest SHA-256; signature RSA-SHA256 (RSA key of at least 2048 bits) or ECDSA-SHA256 (P-256).

These checks are structural and run on the untrusted tree; the cryptographic verification is
signxml's, and the signed content handed to callers is only what signxml returns.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from .errors import CertificateMissing, SignatureMissing, SignatureProfileViolation

DS_NS = "http://www.w3.org/2000/09/xmldsig#"
ENVELOPED_SIGNATURE = DS_NS + "enveloped-signature"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
ECDSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"

ALLOWED_SIGNATURE_METHODS = frozenset({RSA_SHA256, ECDSA_SHA256})
ALLOWED_DIGEST_METHODS = frozenset({SHA256})
REQUIRED_TRANSFORMS = (ENVELOPED_SIGNATURE, EXC_C14N)
MIN_RSA_BITS = 2048

_SIGNATURE_CHILDREN = ("SignedInfo", "SignatureValue", "KeyInfo")
_SIGNATURE_CHILDREN_WITHOUT_KEY_INFO = ("SignedInfo", "SignatureValue")
_REFERENCE_CHILDREN = ("Transforms", "DigestMethod", "DigestValue")
_TEXT_ELEMENTS = frozenset({"SignatureValue", "DigestValue", "X509Certificate"})


def ds(local_name: str) -> str:
    """Clark-notation tag of an element in the XMLDSig namespace."""
    return f"{{{DS_NS}}}{local_name}"


def find_enveloped_signature(root: etree._Element) -> etree._Element:
    """Return the only ``ds:Signature``; it must be a direct child of the root.

    :raises SignatureMissing: there is none.
    :raises SignatureProfileViolation: more than one, or not a direct child of the root.
    """
    signatures = list(root.iter(ds("Signature")))
    if not signatures:
        raise SignatureMissing("document has no ds:Signature element")
    if len(signatures) > 1:
        raise SignatureProfileViolation(f"document has {len(signatures)} ds:Signature elements; exactly one allowed")
    signature = signatures[0]
    if signature.getparent() is not root:
        raise SignatureProfileViolation("ds:Signature must be a direct child of the document's root element")
    return signature


@dataclass(frozen=True)
class SignatureProfile:
    """What the structural check found: algorithm URIs and the certificate elements."""

    signature_method: str
    digest_method: str
    certificates: tuple[etree._Element, ...]


def check_signature_profile(signature: etree._Element) -> SignatureProfile:
    """Check structure and algorithms of the one ``ds:Signature``.

    :raises SignatureProfileViolation: anything outside the profile.
    :raises CertificateMissing: no ``KeyInfo/X509Data/X509Certificate``.
    """
    parts = _element_children(signature)
    names = [_ds_local_name(child) for child in parts]
    if names not in (list(_SIGNATURE_CHILDREN), list(_SIGNATURE_CHILDREN_WITHOUT_KEY_INFO)):
        # A missing KeyInfo is reported below, as a missing certificate.
        raise SignatureProfileViolation("ds:Signature must contain exactly SignedInfo, SignatureValue, KeyInfo")
    signature_method, digest_method = _check_signed_info(parts[0])
    _expect_no_children(parts[1], what="SignatureValue")
    certificates = certificate_elements(signature)
    _expect_no_stray_text(signature)
    return SignatureProfile(signature_method, digest_method, tuple(certificates))


def _check_signed_info(signed_info: etree._Element) -> tuple[str, str]:
    children = _element_children(signed_info)
    names = [_ds_local_name(child) for child in children]
    if names[:2] != ["CanonicalizationMethod", "SignatureMethod"] or set(names[2:]) != {"Reference"}:
        raise SignatureProfileViolation(
            "ds:SignedInfo must hold CanonicalizationMethod, SignatureMethod and References only"
        )
    if len(children) != 3:
        raise SignatureProfileViolation(f"ds:SignedInfo has {len(children) - 2} References; exactly one allowed")
    _expect_algorithm(children[0], {EXC_C14N}, what="CanonicalizationMethod")
    signature_method = _expect_algorithm(children[1], ALLOWED_SIGNATURE_METHODS, what="SignatureMethod")
    return signature_method, _check_reference(children[2])


def certificate_elements(signature: etree._Element) -> list[etree._Element]:
    """Return the ``KeyInfo/X509Data/X509Certificate`` elements of a profile-checked signature.

    KeyInfo is not covered by an enveloped signature, so it may carry nothing else: anything
    there would be unsigned content travelling with the document.

    :raises CertificateMissing: no KeyInfo or no X509Certificate.
    :raises SignatureProfileViolation: KeyInfo holds anything but X509Data/X509Certificate.
    """
    key_info = signature.find(ds("KeyInfo"))
    certificates = [] if key_info is None else key_info.findall(f"{ds('X509Data')}/{ds('X509Certificate')}")
    if not certificates:
        raise CertificateMissing("KeyInfo carries no X509Data/X509Certificate")
    for x509_data in _element_children(key_info):
        if _ds_local_name(x509_data) != "X509Data":
            raise SignatureProfileViolation("ds:KeyInfo may hold only X509Data elements")
        for certificate in _element_children(x509_data):
            if _ds_local_name(certificate) != "X509Certificate":
                raise SignatureProfileViolation("ds:X509Data may hold only X509Certificate elements")
            _expect_no_children(certificate, what="X509Certificate")
    return certificates


def _check_reference(reference: etree._Element) -> str:
    if reference.get("URI") != "":
        raise SignatureProfileViolation('ds:Reference must have URI="" (the whole document)')
    transforms_element, digest_method, digest_value = _expect_children(
        reference, _REFERENCE_CHILDREN, where="ds:Reference"
    )
    _expect_no_children(digest_value, what="DigestValue")
    transforms = _element_children(transforms_element)
    if len(transforms) != len(REQUIRED_TRANSFORMS) or any(_ds_local_name(t) != "Transform" for t in transforms):
        raise SignatureProfileViolation("ds:Transforms must be exactly enveloped-signature and exclusive C14N")
    for transform, required in zip(transforms, REQUIRED_TRANSFORMS):
        _expect_algorithm(transform, {required}, what="Transform")
    return _expect_algorithm(digest_method, ALLOWED_DIGEST_METHODS, what="DigestMethod")


def _expect_algorithm(element: etree._Element, allowed: set[str] | frozenset[str], *, what: str) -> str:
    algorithm = element.get("Algorithm")
    if algorithm not in allowed:
        raise SignatureProfileViolation(f"{what} algorithm {algorithm!r} is not allowed")
    if _element_children(element):
        # InclusiveNamespaces, XPath, HMACOutputLength...: parameters change what is signed.
        raise SignatureProfileViolation(f"{what} must not have parameters")
    return algorithm


def _expect_no_children(element: etree._Element, *, what: str) -> None:
    if _element_children(element):
        raise SignatureProfileViolation(f"{what} must not contain elements")


def _expect_no_stray_text(signature: etree._Element) -> None:
    # Only base64 values carry text; text anywhere else in the signature is unsigned content.
    for node in signature.iter():
        if node is not signature and (node.tail or "").strip():
            raise SignatureProfileViolation("ds:Signature contains text outside its value elements")
        if isinstance(node.tag, str) and _ds_local_name(node) not in _TEXT_ELEMENTS and (node.text or "").strip():
            raise SignatureProfileViolation("ds:Signature contains text outside its value elements")


def _expect_children(element: etree._Element, names: tuple[str, ...], *, where: str) -> list[etree._Element]:
    children = _element_children(element)
    if [_ds_local_name(child) for child in children] != list(names):
        raise SignatureProfileViolation(f"{where} must contain exactly {', '.join(names)}, in that order")
    return children


def _element_children(element: etree._Element) -> list[etree._Element]:
    # Comments and processing instructions are not elements; they do not count.
    return [child for child in element if isinstance(child.tag, str)]


def _ds_local_name(element: etree._Element) -> str | None:
    qname = etree.QName(element)
    return qname.localname if qname.namespace == DS_NS else None
