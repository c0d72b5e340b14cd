"""XMLDSig in the gateway's profile (docs/interface/signature-profile.md §1): signing the bank's
applications, and verifying the gateway's receipts and results against the pinned certificate.

Verification trusts only what signxml returns as signed, never the tree it was given."""
from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import datetime, timezone

import cryptography.exceptions
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from lxml import etree
from signxml import SignatureConfiguration, XMLSigner, XMLVerifier
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureConstructionMethod, SignatureMethod
from signxml.exceptions import SignXMLException

from .errors import ClientError, VerificationFailed

NS = "urn:pingluo-bdc:mortgage-gateway:v1"
DS = "http://www.w3.org/2000/09/xmldsig#"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
ECDSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
METHODS = {RSA_SHA256: SignatureMethod.RSA_SHA256, ECDSA_SHA256: SignatureMethod.ECDSA_SHA256}
FORBIDDEN = re.compile(rb"<!(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)", re.IGNORECASE)
MAX_BYTES = 20 * 1024 * 1024


class ApplicationXmlError(ClientError):
    """The application file cannot be signed as it is."""

    exit_status = 2


def _ds(name: str) -> str:
    return f"{{{DS}}}{name}"


def gw(name: str) -> str:
    """An element name in the gateway's namespace (Clark notation)."""
    return f"{{{NS}}}{name}"


def parse(data: bytes) -> etree._Element:
    """Parse without DTDs, entities or network access."""
    if len(data) > MAX_BYTES:
        raise ValueError("document too large")
    if FORBIDDEN.search(data):
        raise ValueError("document carries a DTD or entity declaration")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_blank_text=False)
    return etree.fromstring(data, parser)


def is_signed(root: etree._Element) -> bool:
    """A ds:Signature with a SignatureValue (an empty xmlsec1 template does not count)."""
    value = root.find(f"{_ds('Signature')}/{_ds('SignatureValue')}")
    return value is not None and bool((value.text or "").strip())


def sign_application(data: bytes, *, key, certificate: x509.Certificate, request_id: str | None = None,
                     created_at: datetime | None = None) -> bytes:
    """Sign an application (an empty signature template, if any, is replaced); optionally set a new
    ``RequestId`` and ``CreatedAt`` first. Returns UTF-8 bytes with an XML declaration, to be sent
    byte for byte."""
    try:
        root = parse(data)
    except (ValueError, etree.XMLSyntaxError) as exc:
        raise ApplicationXmlError(f"the application is not well-formed XML: {exc}") from None
    if root.tag != gw("MortgageApplication"):
        raise ApplicationXmlError("the root element is not MortgageApplication in the gateway's namespace")
    if is_signed(root):
        raise ApplicationXmlError("the application is already signed")
    for signature in root.findall(_ds("Signature")):
        root.remove(signature)
    if request_id is not None:
        _set_text(root, "RequestId", request_id)
    if created_at is not None:
        _set_text(root, "CreatedAt", created_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
    signer = XMLSigner(method=SignatureConstructionMethod.enveloped, signature_algorithm=_method_for(key),
                       digest_algorithm=DigestAlgorithm.SHA256,
                       c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0)
    signed = signer.sign(root, key=key, cert=[certificate])
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")


def _set_text(root: etree._Element, name: str, value: str) -> None:
    element = root.find(gw(name))
    if element is None:
        raise ApplicationXmlError(f"the application has no {name} element")
    element.text = value


def _method_for(key) -> SignatureMethod:
    public = key.public_key()
    if isinstance(public, rsa.RSAPublicKey) and public.key_size >= 2048:
        return SignatureMethod.RSA_SHA256
    if isinstance(public, ec.EllipticCurvePublicKey) and isinstance(public.curve, ec.SECP256R1):
        return SignatureMethod.ECDSA_SHA256
    raise ApplicationXmlError("the key must be RSA (>= 2048 bits) or EC P-256")


@dataclass(frozen=True)
class VerifiedXml:
    """The signed content (re-parsed from what was digested) and the certificate that signed it."""

    root: etree._Element
    certificate: x509.Certificate


def verify_document(data: bytes, *, accept_signer) -> VerifiedXml:
    """Verify a gateway (or seal) signed document in the profile.

    ``accept_signer(leaf, others)`` returns True when the KeyInfo certificate may sign; it is the
    pin. :raises VerificationFailed: anything wrong, with the reason.
    """
    try:
        root = parse(data)
    except (ValueError, etree.XMLSyntaxError) as exc:
        raise VerificationFailed(f"not a well-formed, DTD-free XML document: {exc}") from None
    signatures = list(root.iter(_ds("Signature")))
    if len(signatures) != 1 or signatures[0].getparent() is not root or root[-1] is not signatures[0]:
        raise VerificationFailed("the document must carry exactly one ds:Signature, the last child of its root")
    method = _check_profile(signatures[0])
    leaf, others = _signer(signatures[0])
    if not accept_signer(leaf, others):
        raise VerificationFailed("the document is not signed with the pinned certificate")
    config = SignatureConfiguration(require_x509=True, location="./", expect_references=1,
                                    signature_methods=frozenset({METHODS[method]}),
                                    digest_algorithms=frozenset({DigestAlgorithm.SHA256}))
    try:
        result = XMLVerifier().verify(data, x509_cert=leaf, expect_config=config,
                                      parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except (SignXMLException, cryptography.exceptions.InvalidSignature, etree.LxmlError, ValueError) as exc:
        raise VerificationFailed(f"the XML signature does not verify ({type(exc).__name__}: {exc})") from None
    if not isinstance(result.signed_xml, etree._Element):
        raise VerificationFailed("the signed content is not an element")
    return VerifiedXml(result.signed_xml, leaf)


def _check_profile(signature: etree._Element) -> str:
    def one(parent, name):
        found = parent.findall(_ds(name))
        if len(found) != 1:
            raise VerificationFailed(f"ds:{name}: expected exactly one")
        return found[0]

    signed_info = one(signature, "SignedInfo")
    if one(signed_info, "CanonicalizationMethod").get("Algorithm") != EXC_C14N:
        raise VerificationFailed("CanonicalizationMethod is not exclusive C14N")
    method = one(signed_info, "SignatureMethod").get("Algorithm")
    if method not in METHODS:
        raise VerificationFailed(f"SignatureMethod {method} is not allowed")
    reference = one(signed_info, "Reference")
    if reference.get("URI") != "":
        raise VerificationFailed('the Reference must be URI=""')
    transforms = [t.get("Algorithm") for t in one(reference, "Transforms").findall(_ds("Transform"))]
    if transforms != [ENVELOPED, EXC_C14N]:
        raise VerificationFailed("Transforms must be enveloped-signature then exclusive C14N")
    if one(reference, "DigestMethod").get("Algorithm") != SHA256:
        raise VerificationFailed("DigestMethod is not SHA-256")
    return method


def _signer(signature: etree._Element) -> tuple[x509.Certificate, list[x509.Certificate]]:
    certificates = []
    for element in signature.iterfind(f"{_ds('KeyInfo')}/{_ds('X509Data')}/{_ds('X509Certificate')}"):
        try:
            der = base64.b64decode("".join((element.text or "").split()), validate=True)
            certificates.append(x509.load_der_x509_certificate(der))
        except (binascii.Error, ValueError):
            raise VerificationFailed("KeyInfo holds a certificate that cannot be read") from None
    leaves = [c for c in certificates if not any(o is not c and o.issuer == c.subject for o in certificates)]
    if len(leaves) != 1:
        raise VerificationFailed("KeyInfo does not name exactly one signer certificate")
    return leaves[0], [c for c in certificates if c is not leaves[0]]
