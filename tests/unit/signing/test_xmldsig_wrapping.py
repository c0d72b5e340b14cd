"""Signature-wrapping attacks: what the verifier returns must be what was signed, or nothing."""

from __future__ import annotations

import copy

import pytest
from lxml import etree

from signing.errors import SignatureInvalid, SignatureMissing, SignatureProfileViolation
from signing.xmldsig_profile import DS_NS

SIGNATURE = f"{{{DS_NS}}}Signature"


def _child(root: etree._Element, local_name: str) -> etree._Element:
    return next(element for element in root if etree.QName(element).localname == local_name)


def _forged_copy(root: etree._Element) -> etree._Element:
    """A copy of the application without its signature, with a different amount."""
    forged = copy.deepcopy(root)
    forged.remove(forged.find(SIGNATURE))
    _child(forged, "SecuredClaimAmount").text = "9999999.00"
    return forged


def test_a_forged_application_inside_an_extension_element_is_invalid(signed_application, verify, edit):
    def smuggle(root: etree._Element) -> None:
        _child(root, "Extensions").append(_forged_copy(root))

    with pytest.raises(SignatureInvalid):
        verify(edit(signed_application, smuggle))


def test_a_forged_application_as_a_sibling_inside_an_extension_is_invalid(signed_application, verify, edit):
    def smuggle(root: etree._Element) -> None:
        extension = etree.SubElement(_child(root, "Extensions"), f"{{{etree.QName(root).namespace}}}Extension")
        extension.append(_forged_copy(root))
        extension.append(etree.Element(f"{{{etree.QName(root).namespace}}}Note"))

    with pytest.raises(SignatureInvalid):
        verify(edit(signed_application, smuggle))


def test_the_signed_document_wrapped_inside_a_forged_root_is_refused(signed_application, verify):
    signed_root = etree.fromstring(signed_application)
    forged = _forged_copy(signed_root)
    forged.append(signed_root)  # the genuine signed document hides inside the forgery
    wrapped = etree.tostring(forged, xml_declaration=True, encoding="UTF-8")

    with pytest.raises(SignatureProfileViolation, match="direct child"):
        verify(wrapped)


def test_the_signature_moved_into_a_child_element_is_refused(signed_application, verify, edit):
    def move(root: etree._Element) -> None:
        _child(root, "Extensions").append(root.find(SIGNATURE))

    with pytest.raises(SignatureProfileViolation, match="direct child"):
        verify(edit(signed_application, move))


def test_two_signatures_are_refused(signed_application, verify, edit):
    def duplicate(root: etree._Element) -> None:
        root.append(copy.deepcopy(root.find(SIGNATURE)))

    with pytest.raises(SignatureProfileViolation, match="2 ds:Signature"):
        verify(edit(signed_application, duplicate))


def test_a_second_signature_hidden_in_an_extension_is_refused(signed_application, verify, edit):
    def hide(root: etree._Element) -> None:
        _child(root, "Extensions").append(copy.deepcopy(root.find(SIGNATURE)))

    with pytest.raises(SignatureProfileViolation):
        verify(edit(signed_application, hide))


def test_a_reference_to_an_id_instead_of_the_whole_document_is_refused(
    application_xml, rsa_signer, signxml_sign, verify, edit
):
    with_id = edit(application_xml, lambda root: _child(root, "Mortgagors").set("Id", "parties"))
    signed = signxml_sign(with_id, rsa_signer, reference_uri="#parties")

    with pytest.raises(SignatureProfileViolation, match='URI=""'):
        verify(signed)


def test_a_root_id_reference_made_by_signxml_is_refused(application_xml, rsa_signer, signxml_sign, verify, edit):
    # signxml signs URI="#<Id>" whenever the root has an Id attribute.
    signed = signxml_sign(edit(application_xml, lambda root: root.set("Id", "application")), rsa_signer)

    with pytest.raises(SignatureProfileViolation):
        verify(signed)


def test_a_reference_uri_edited_to_point_elsewhere_is_refused(signed_application, verify, edit):
    def repoint(root: etree._Element) -> None:
        root.find(f"{SIGNATURE}/{{{DS_NS}}}SignedInfo/{{{DS_NS}}}Reference").set("URI", "#x")
        _child(root, "Mortgagors").set("Id", "x")

    with pytest.raises(SignatureProfileViolation):
        verify(edit(signed_application, repoint))


def test_a_forged_payload_inside_the_signature_element_is_refused(signed_application, verify, edit):
    def stow(root: etree._Element) -> None:
        holder = etree.SubElement(root.find(SIGNATURE), f"{{{DS_NS}}}Object")
        holder.append(_forged_copy(root))

    with pytest.raises(SignatureProfileViolation):
        verify(edit(signed_application, stow))


def test_a_forged_payload_inside_key_info_is_refused(signed_application, verify, edit):
    def stow(root: etree._Element) -> None:
        root.find(f"{SIGNATURE}/{{{DS_NS}}}KeyInfo").append(_forged_copy(root))

    with pytest.raises(SignatureProfileViolation, match="KeyInfo"):
        verify(edit(signed_application, stow))


def test_an_unsigned_document_is_reported_as_missing_its_signature(application_xml, verify):
    with pytest.raises(SignatureMissing):
        verify(application_xml)


def test_a_document_whose_signature_was_removed_is_missing_its_signature(signed_application, verify, edit):
    with pytest.raises(SignatureMissing):
        verify(edit(signed_application, lambda root: root.remove(root.find(SIGNATURE))))


def test_a_bare_signature_as_the_root_element_is_refused(signed_application, verify):
    signature = etree.fromstring(signed_application).find(SIGNATURE)

    with pytest.raises(SignatureProfileViolation):
        verify(etree.tostring(signature))
