"""Signing and verifying whole documents with enveloped XML signatures."""

from __future__ import annotations

import pytest
from lxml import etree

from signing.errors import SignatureInvalid, SignatureProfileViolation
from signing.xmldsig import sign_enveloped
from signing.xmldsig_profile import DS_NS, ECDSA_SHA256, RSA_SHA256, SHA256

SIGNATURE = f"{{{DS_NS}}}Signature"


def _amount(root: etree._Element) -> etree._Element:
    return next(element for element in root.iter() if etree.QName(element).localname == "SecuredClaimAmount")


def test_a_document_signed_with_an_rsa_key_verifies(signed_application, verify, rsa_signer):
    verified = verify(signed_application)

    assert verified.certificate == rsa_signer.certificate
    assert verified.signature_algorithm == RSA_SHA256
    assert verified.digest_algorithm == SHA256


def test_a_document_signed_with_an_ec_key_verifies(application_xml, ec_signer, verify):
    signed = sign_enveloped(application_xml, key=ec_signer.key, certificate=ec_signer.certificate)

    verified = verify(signed)

    assert verified.certificate == ec_signer.certificate
    assert verified.signature_algorithm == ECDSA_SHA256


def test_the_signature_is_appended_as_the_last_child_of_the_root(signed_application):
    root = etree.fromstring(signed_application)

    assert root[-1].tag == SIGNATURE
    assert len(list(root.iter(SIGNATURE))) == 1


def test_the_signature_references_the_whole_document(signed_application):
    root = etree.fromstring(signed_application)

    references = root.findall(f"{SIGNATURE}/{{{DS_NS}}}SignedInfo/{{{DS_NS}}}Reference")

    assert [reference.get("URI") for reference in references] == [""]


def test_the_signed_output_is_utf8_with_an_xml_declaration(signed_application, personal_data):
    name, _ = personal_data

    assert signed_application.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert name.encode("utf-8") in signed_application


def test_the_signed_root_is_the_document_without_its_signature(signed_application, verify, application_tag):
    verified = verify(signed_application)

    assert verified.signed_root.tag == application_tag
    assert next(verified.signed_root.iter(SIGNATURE), None) is None
    assert _amount(verified.signed_root).text == "1500000.00"


def test_comments_added_after_signing_are_not_part_of_the_signed_root(signed_application, verify, edit):
    # Exclusive C14N without comments ignores comments, so this does not break the digest;
    # the verifier must still hand back only what was signed.
    commented = edit(signed_application, lambda root: _amount(root).addprevious(etree.Comment(" amount 9 ")))

    verified = verify(commented)

    assert not any(isinstance(node, etree._Comment) for node in verified.signed_root.iter())


def test_the_signed_root_is_not_the_tree_that_was_parsed(signed_application, verify):
    first = verify(signed_application)
    second = verify(signed_application)

    assert first.signed_root is not second.signed_root
    assert first.signed_root.getparent() is None


def test_a_document_given_as_an_element_can_be_signed(application_xml, rsa_signer, verify):
    root = etree.fromstring(application_xml)

    signed = sign_enveloped(root, key=rsa_signer.key, certificate=rsa_signer.certificate)

    assert verify(signed).certificate == rsa_signer.certificate
    assert next(root.iter(SIGNATURE), None) is None


def test_the_certificate_chain_is_carried_in_key_info(application_xml, make_intermediate, issue, verify):
    intermediate = make_intermediate()
    signer = issue(intermediate, kind="ec")
    signed = sign_enveloped(
        application_xml, key=signer.key, certificate=signer.certificate, chain=[intermediate.certificate]
    )

    verified = verify(signed)

    assert verified.certificate == signer.certificate
    assert verified.chain == (intermediate.certificate,)


def test_the_expected_root_element_is_accepted(signed_application, verify, application_tag):
    assert verify(signed_application, expected_root=application_tag).signed_root.tag == application_tag


def test_a_different_root_element_than_expected_is_a_profile_violation(signed_application, verify):
    with pytest.raises(SignatureProfileViolation):
        verify(signed_application, expected_root="{urn:pingluo-bdc:mortgage-gateway:v1}Receipt")


def test_a_body_changed_after_signing_is_invalid(signed_application, verify, edit):
    tampered = edit(signed_application, lambda root: setattr(_amount(root), "text", "9500000.00"))

    with pytest.raises(SignatureInvalid):
        verify(tampered)


def test_an_attribute_changed_after_signing_is_invalid(signed_application, verify, edit):
    tampered = edit(signed_application, lambda root: _amount(root).set("currency", "USD"))

    with pytest.raises(SignatureInvalid):
        verify(tampered)


def test_a_changed_signature_value_is_invalid(signed_application, verify, edit):
    def flip_signature_value(root: etree._Element) -> None:
        value = root.find(f"{SIGNATURE}/{{{DS_NS}}}SignatureValue")
        value.text = ("A" if value.text[0] != "A" else "B") + value.text[1:]

    with pytest.raises(SignatureInvalid):
        verify(edit(signed_application, flip_signature_value))


def test_an_invalid_signature_message_carries_no_personal_data(signed_application, verify, edit, personal_data):
    name, id_number = personal_data
    tampered = edit(signed_application, lambda root: setattr(_amount(root), "text", "1.00"))

    with pytest.raises(SignatureInvalid) as refused:
        verify(tampered)

    assert name not in str(refused.value)
    assert id_number not in str(refused.value)


def test_signing_refuses_a_root_with_an_id_attribute(rsa_signer):
    with pytest.raises(ValueError, match="Id"):
        sign_enveloped(b'<Application Id="app-1"/>', key=rsa_signer.key, certificate=rsa_signer.certificate)


def test_signing_refuses_a_document_that_already_has_a_signature(signed_application, rsa_signer):
    with pytest.raises(ValueError, match="already contains"):
        sign_enveloped(signed_application, key=rsa_signer.key, certificate=rsa_signer.certificate)


def test_signing_refuses_a_key_that_does_not_match_the_certificate(application_xml, rsa_signer, ec_signer):
    with pytest.raises(ValueError, match="does not match"):
        sign_enveloped(application_xml, key=ec_signer.key, certificate=rsa_signer.certificate)


def test_signing_refuses_an_rsa_key_shorter_than_2048_bits(application_xml, root_ca, issue):
    weak = issue(root_ca, kind="rsa", rsa_bits=1024)

    with pytest.raises(ValueError, match="2048"):
        sign_enveloped(application_xml, key=weak.key, certificate=weak.certificate)


def test_a_signature_placed_first_under_the_root_also_verifies(signed_application, verify, edit):
    # Some toolchains put the signature first; only "direct child of the root" matters.
    def move_first(root: etree._Element) -> None:
        root.insert(0, root.find(SIGNATURE))

    assert verify(edit(signed_application, move_first)).signed_root.find(SIGNATURE) is None


def test_an_element_with_tail_text_can_be_signed(application_xml, rsa_signer, verify):
    wrapper = etree.fromstring(b"<Batch><Item>1</Item>trailing text</Batch>")

    signed = sign_enveloped(wrapper[0], key=rsa_signer.key, certificate=rsa_signer.certificate)

    assert verify(signed).signed_root.text == "1"
