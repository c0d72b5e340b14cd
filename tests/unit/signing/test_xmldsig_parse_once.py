"""Verifying a document that was parsed once already: the same checks, the same result, no second parse."""

from __future__ import annotations

import pytest
from lxml import etree

from signing import xml_parser, xmldsig
from signing.errors import DocumentTooLarge, ForbiddenXML, SignatureInvalid
from signing.xml_parser import ParsedXml, parse_document
from signing.xmldsig import verify_enveloped


def test_a_parsed_document_verifies_exactly_like_its_bytes(signed_application, verify, trust, now, application_tag):
    from_bytes = verify(signed_application)

    from_parsed = verify_enveloped(parse_document(signed_application, max_bytes=len(signed_application)),
                                   trust=trust, at=now, expected_root=application_tag)

    assert etree.tostring(from_parsed.signed_root) == etree.tostring(from_bytes.signed_root)
    assert (from_parsed.certificate, from_parsed.chain) == (from_bytes.certificate, from_bytes.chain)


def test_a_parsed_document_is_not_parsed_again(signed_application, trust, now, monkeypatch):
    document = parse_document(signed_application, max_bytes=len(signed_application))

    def parse_again(*args, **kwargs):
        raise AssertionError("the document was parsed a second time by the gateway")

    for module, name in ((xml_parser, "parse_xml"), (xmldsig, "parse_xml"), (xmldsig, "parse_document")):
        monkeypatch.setattr(module, name, parse_again)

    assert verify_enveloped(document, trust=trust, at=now).signed_root is not None


def test_a_changed_document_still_fails_when_passed_parsed(signed_application, trust, now):
    tampered = signed_application.replace(b">1500000.00<", b">9500000.00<", 1)
    assert tampered != signed_application

    with pytest.raises(SignatureInvalid):
        verify_enveloped(parse_document(tampered, max_bytes=len(tampered)), trust=trust, at=now)


def test_parse_document_refuses_what_parse_xml_refuses():
    with pytest.raises(ForbiddenXML):
        parse_document(b"<!DOCTYPE a []><a/>", max_bytes=1000)


def test_a_parsed_document_over_a_given_limit_is_refused(signed_application, trust, now):
    document = parse_document(signed_application, max_bytes=len(signed_application))

    with pytest.raises(DocumentTooLarge):
        verify_enveloped(document, trust=trust, at=now, max_bytes=len(signed_application) - 1)


def test_bytes_are_verified_only_with_a_size_limit(signed_application, trust, now):
    with pytest.raises(TypeError):
        verify_enveloped(signed_application, trust=trust, at=now)


def test_a_parsed_document_cannot_be_put_together_from_a_tree_of_other_bytes(signed_application):
    other_tree = etree.fromstring(b"<a/>")

    with pytest.raises(TypeError):
        ParsedXml(signed_application, other_tree)
