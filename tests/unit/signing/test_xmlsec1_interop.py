"""Interoperability with the xmlsec1 reference tool, in both directions.

These tests fail (never skip) when xmlsec1 is missing: an interoperability claim that was not
checked must not look green.
"""

from __future__ import annotations

import shutil

import pytest
from lxml import etree

from signing.errors import SignatureInvalid
from signing.pki import certificate_to_pem
from signing.xml_parser import parse_xml
from signing.xmldsig import sign_enveloped
from signing.xmldsig_profile import DS_NS, ECDSA_SHA256, RSA_SHA256
from signing.xmlsec1 import signature_template, xmlsec1_sign, xmlsec1_verify


def _template(application_xml: bytes, signature_method: str) -> bytes:
    root = parse_xml(application_xml, max_bytes=len(application_xml))
    template = signature_template(root, signature_method=signature_method)
    return etree.tostring(template, xml_declaration=True, encoding="UTF-8")


def _tamper_amount(signed: bytes) -> bytes:
    tampered = signed.replace(b">1500000.00<", b">9500000.00<")
    assert tampered != signed
    return tampered


def test_xmlsec1_is_installed():
    assert shutil.which("xmlsec1") is not None, "install it: apt-get install -y xmlsec1"


def test_a_document_signed_by_xmlsec1_with_rsa_verifies(application_xml, pki_files, rsa_signer, verify):
    signed = xmlsec1_sign(_template(application_xml, RSA_SHA256), pki_files / "rsa-key.pem", pki_files / "rsa-cert.pem")

    verified = verify(signed)

    assert verified.certificate == rsa_signer.certificate
    assert verified.signature_algorithm == RSA_SHA256


def test_a_document_signed_by_xmlsec1_with_ec_verifies(application_xml, pki_files, ec_signer, verify):
    signed = xmlsec1_sign(_template(application_xml, ECDSA_SHA256), pki_files / "ec-key.pem", pki_files / "ec-cert.pem")

    verified = verify(signed)

    assert verified.certificate == ec_signer.certificate
    assert verified.signature_algorithm == ECDSA_SHA256


def test_a_tampered_xmlsec1_signed_document_is_invalid(application_xml, pki_files, verify):
    signed = xmlsec1_sign(_template(application_xml, RSA_SHA256), pki_files / "rsa-key.pem", pki_files / "rsa-cert.pem")

    with pytest.raises(SignatureInvalid):
        verify(_tamper_amount(signed))


def test_our_rsa_signature_verifies_with_xmlsec1(signed_application, pki_files):
    ok, output = xmlsec1_verify(signed_application, pki_files / "ca.pem")

    assert ok, output


def test_our_ec_signature_verifies_with_xmlsec1(application_xml, ec_signer, pki_files):
    signed = sign_enveloped(application_xml, key=ec_signer.key, certificate=ec_signer.certificate)

    ok, output = xmlsec1_verify(signed, pki_files / "ca.pem")

    assert ok, output


def test_xmlsec1_rejects_a_tampered_copy_of_our_signature(signed_application, pki_files):
    ok, _ = xmlsec1_verify(_tamper_amount(signed_application), pki_files / "ca.pem")

    assert not ok


def test_xmlsec1_rejects_our_signature_without_the_right_trust_anchor(signed_application, other_ca, tmp_path):
    stranger_ca = tmp_path / "stranger-ca.pem"
    stranger_ca.write_bytes(certificate_to_pem(other_ca.certificate))

    ok, _ = xmlsec1_verify(signed_application, stranger_ca)

    assert not ok


def test_the_template_is_the_profile_skeleton_appended_to_a_copy(application_xml):
    root = parse_xml(application_xml, max_bytes=len(application_xml))

    template = signature_template(root)

    assert template is not root and root.find(f"{{{DS_NS}}}Signature") is None
    signature = template[-1]
    assert signature.tag == f"{{{DS_NS}}}Signature"
    assert [t.get("Algorithm") for t in signature.iter(f"{{{DS_NS}}}Transform")] == [
        "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
        "http://www.w3.org/2001/10/xml-exc-c14n#",
    ]
    assert signature.find(f".//{{{DS_NS}}}Reference").get("URI") == ""
