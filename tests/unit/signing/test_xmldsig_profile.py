"""The accepted signature profile: algorithms, transforms, key sizes, KeyInfo.

Hostile documents here are either validly signed outside the profile (signxml used directly,
see the ``signxml_sign`` fixture) or edited after signing; either way the structural profile
must refuse them, with ``signature.profile`` rather than a generic invalid signature.
"""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from signing.errors import CertificateMissing, SignatureProfileViolation
from signing.xmldsig_profile import DS_NS, ECDSA_SHA256, ENVELOPED_SIGNATURE, EXC_C14N

SIGNATURE = f"{{{DS_NS}}}Signature"
SIGNED_INFO = f"{SIGNATURE}/{{{DS_NS}}}SignedInfo"
TRANSFORMS = f"{SIGNED_INFO}/{{{DS_NS}}}Reference/{{{DS_NS}}}Transforms"
SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"
RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
SHA512 = "http://www.w3.org/2001/04/xmlenc#sha512"
RSA_SHA512 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"
C14N_11 = "http://www.w3.org/2006/12/xml-c14n11"
EXC_C14N_WITH_COMMENTS = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments"


def test_a_signature_made_by_signxml_within_the_profile_verifies(application_xml, rsa_signer, signxml_sign, verify):
    # Control case: the hostile-signer fixture itself produces acceptable signatures by default.
    assert verify(signxml_sign(application_xml, rsa_signer)).certificate == rsa_signer.certificate


def test_a_sha1_digest_is_refused(application_xml, rsa_signer, signxml_sign, verify):
    with pytest.raises(SignatureProfileViolation, match="DigestMethod"):
        verify(signxml_sign(application_xml, rsa_signer, digest=SHA1))


def test_a_sha512_digest_is_refused(application_xml, rsa_signer, signxml_sign, verify):
    with pytest.raises(SignatureProfileViolation, match="DigestMethod"):
        verify(signxml_sign(application_xml, rsa_signer, digest=SHA512))


def test_an_rsa_sha1_signature_method_is_refused(application_xml, rsa_signer, signxml_sign, verify):
    with pytest.raises(SignatureProfileViolation, match="SignatureMethod"):
        verify(signxml_sign(application_xml, rsa_signer, signature_method=RSA_SHA1))


def test_an_rsa_sha512_signature_method_is_refused(application_xml, rsa_signer, signxml_sign, verify):
    with pytest.raises(SignatureProfileViolation, match="SignatureMethod"):
        verify(signxml_sign(application_xml, rsa_signer, signature_method=RSA_SHA512))


def test_inclusive_canonicalization_is_refused(application_xml, rsa_signer, signxml_sign, verify):
    with pytest.raises(SignatureProfileViolation):
        verify(signxml_sign(application_xml, rsa_signer, c14n=C14N_11))


def test_exclusive_canonicalization_with_comments_is_refused(application_xml, rsa_signer, signxml_sign, verify):
    with pytest.raises(SignatureProfileViolation):
        verify(signxml_sign(application_xml, rsa_signer, c14n=EXC_C14N_WITH_COMMENTS))


def test_an_rsa_signer_key_of_1024_bits_is_refused(application_xml, root_ca, issue, signxml_sign, verify):
    weak = issue(root_ca, kind="rsa", rsa_bits=1024)

    with pytest.raises(SignatureProfileViolation, match="2048"):
        verify(signxml_sign(application_xml, weak))


def test_an_ec_signer_key_on_a_curve_other_than_p256_is_refused(application_xml, root_ca, issue, signxml_sign, verify):
    p384 = issue(root_ca, key=ec.generate_private_key(ec.SECP384R1()))

    with pytest.raises(SignatureProfileViolation, match="P-256"):
        verify(signxml_sign(application_xml, p384, signature_method=ECDSA_SHA256))


def test_a_signature_method_that_does_not_match_the_key_type_is_refused(signed_application, verify, edit):
    def claim_ecdsa(root: etree._Element) -> None:
        root.find(f"{SIGNED_INFO}/{{{DS_NS}}}SignatureMethod").set("Algorithm", ECDSA_SHA256)

    with pytest.raises(SignatureProfileViolation, match="key type"):
        verify(edit(signed_application, claim_ecdsa))


def test_two_references_are_refused(application_xml, rsa_signer, signxml_sign, verify, edit):
    with_ids = edit(application_xml, lambda root: [child.set("Id", f"part{i}") for i, child in enumerate(root)])

    with pytest.raises(SignatureProfileViolation, match="References"):
        verify(signxml_sign(with_ids, rsa_signer, reference_uri=["#part0", "#part1"]))


def test_a_reference_without_the_enveloped_transform_is_refused(signed_application, verify, edit):
    def drop_enveloped(root: etree._Element) -> None:
        transforms = root.find(TRANSFORMS)
        transforms.remove(transforms[0])

    with pytest.raises(SignatureProfileViolation, match="Transforms"):
        verify(edit(signed_application, drop_enveloped))


def test_an_extra_transform_is_refused(signed_application, verify, edit):
    def add_xpath(root: etree._Element) -> None:
        transform = etree.SubElement(root.find(TRANSFORMS), f"{{{DS_NS}}}Transform")
        transform.set("Algorithm", "http://www.w3.org/TR/1999/REC-xpath-19991116")

    with pytest.raises(SignatureProfileViolation, match="Transforms"):
        verify(edit(signed_application, add_xpath))


def test_transforms_in_the_wrong_order_are_refused(signed_application, verify, edit):
    def swap(root: etree._Element) -> None:
        transforms = root.find(TRANSFORMS)
        transforms[0].set("Algorithm", EXC_C14N)
        transforms[1].set("Algorithm", ENVELOPED_SIGNATURE)

    with pytest.raises(SignatureProfileViolation, match="Transform"):
        verify(edit(signed_application, swap))


def test_a_transform_with_inclusive_namespace_parameters_is_refused(signed_application, verify, edit):
    def add_prefix_list(root: etree._Element) -> None:
        inclusive = etree.SubElement(root.find(TRANSFORMS)[1], f"{{{EXC_C14N}}}InclusiveNamespaces")
        inclusive.set("PrefixList", "ds")

    with pytest.raises(SignatureProfileViolation, match="parameters"):
        verify(edit(signed_application, add_prefix_list))


def test_a_signature_without_key_info_has_no_certificate(signed_application, verify, edit):
    def drop_key_info(root: etree._Element) -> None:
        signature = root.find(SIGNATURE)
        signature.remove(signature.find(f"{{{DS_NS}}}KeyInfo"))

    with pytest.raises(CertificateMissing):
        verify(edit(signed_application, drop_key_info))


def test_key_info_with_only_a_key_value_has_no_certificate(signed_application, verify, edit):
    def replace_certificate(root: etree._Element) -> None:
        key_info = root.find(f"{SIGNATURE}/{{{DS_NS}}}KeyInfo")
        for child in list(key_info):
            key_info.remove(child)
        etree.SubElement(key_info, f"{{{DS_NS}}}KeyValue")

    with pytest.raises(CertificateMissing):
        verify(edit(signed_application, replace_certificate))


def test_a_certificate_that_is_not_valid_der_is_reported_as_missing(signed_application, verify, edit):
    def corrupt(root: etree._Element) -> None:
        root.find(f"{SIGNATURE}/{{{DS_NS}}}KeyInfo/{{{DS_NS}}}X509Data/{{{DS_NS}}}X509Certificate").text = "AAAA"

    with pytest.raises(CertificateMissing):
        verify(edit(signed_application, corrupt))


def test_an_unrelated_extra_certificate_in_key_info_leaves_no_single_signer(signed_application, other_ca, verify, edit):
    def add_stranger(root: etree._Element) -> None:
        x509_data = root.find(f"{SIGNATURE}/{{{DS_NS}}}KeyInfo/{{{DS_NS}}}X509Data")
        extra = etree.SubElement(x509_data, f"{{{DS_NS}}}X509Certificate")
        extra.text = base64.b64encode(other_ca.certificate.public_bytes(Encoding.DER)).decode()

    with pytest.raises(CertificateMissing):
        verify(edit(signed_application, add_stranger))


def test_a_key_value_next_to_the_certificate_is_refused(application_xml, rsa_signer, signxml_sign, verify):
    with pytest.raises(SignatureProfileViolation, match="KeyInfo"):
        verify(signxml_sign(application_xml, rsa_signer, always_add_key_value=True))


def test_a_foreign_element_in_key_info_is_refused(signed_application, verify, edit):
    def add_foreign(root: etree._Element) -> None:
        etree.SubElement(root.find(f"{SIGNATURE}/{{{DS_NS}}}KeyInfo"), "{urn:example:evil}Payload").text = "x"

    with pytest.raises(SignatureProfileViolation, match="KeyInfo"):
        verify(edit(signed_application, add_foreign))


def test_a_foreign_element_in_x509_data_is_refused(signed_application, verify, edit):
    def add_foreign(root: etree._Element) -> None:
        x509_data = root.find(f"{SIGNATURE}/{{{DS_NS}}}KeyInfo/{{{DS_NS}}}X509Data")
        etree.SubElement(x509_data, f"{{{DS_NS}}}X509SubjectName").text = "CN=whoever"

    with pytest.raises(SignatureProfileViolation, match="X509Data"):
        verify(edit(signed_application, add_foreign))


def test_text_smuggled_between_signature_elements_is_refused(signed_application, verify, edit):
    def add_text(root: etree._Element) -> None:
        root.find(f"{SIGNATURE}/{{{DS_NS}}}SignedInfo").tail = "unsigned remark"

    with pytest.raises(SignatureProfileViolation, match="text"):
        verify(edit(signed_application, add_text))


def test_an_element_inside_the_signature_value_is_refused(signed_application, verify, edit):
    def nest(root: etree._Element) -> None:
        etree.SubElement(root.find(f"{SIGNATURE}/{{{DS_NS}}}SignatureValue"), "{urn:example:evil}Payload")

    with pytest.raises(SignatureProfileViolation, match="SignatureValue"):
        verify(edit(signed_application, nest))


def test_whitespace_and_comments_inside_the_signature_are_tolerated(signed_application, verify, edit):
    def pretty(root: etree._Element) -> None:
        signed_info = root.find(f"{SIGNATURE}/{{{DS_NS}}}SignedInfo")
        signed_info.tail = "\n  "
        root.find(f"{SIGNATURE}/{{{DS_NS}}}KeyInfo").insert(0, etree.Comment(" signer "))

    assert verify(edit(signed_application, pretty)).signed_root is not None
