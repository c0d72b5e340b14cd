"""The kept corpus of hostile XML, and hostile variants of a correctly signed request, submitted
to ``POST /v1/applications`` and ``POST /v1/applications/dry-run``.

Each is refused with its documented code and HTTP status (docs/interface/errors.md) and leaves
nothing stored, or — a harmless re-encoding of correctly signed content — is accepted and stored
exactly as sent: the stored request bytes equal the bytes received. The files in corpus/ are
written by ``python -m tests.hostile.make_corpus``; the signed variants are built at test time by
``tests/hostile/signed_variants.py``. Both tables are below; corpus/README.md describes each entry.
"""
from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import func, select

from gateway.persistence.models import Application, SignedDocument
from tests.hostile.make_corpus import documents
from tests.hostile.signed_variants import STORED, VARIANTS, Signer, Variant

CORPUS = Path(__file__).parent / "corpus"
ERRORS_DOC = Path(__file__).parents[2] / "docs" / "interface" / "errors.md"
RECEIPT_NS = {"g": "urn:pingluo-bdc:mortgage-gateway:v1"}
SLOWEST_ANSWER_S = 10.0  # a hostile document must not hold a worker thread for long

# File in corpus/ -> the code it is refused with. None of them reaches the signature check.
CORPUS_TABLE = {
    "attribute_duplicate.xml": "xml.malformed",
    "attribute_many_on_root.xml": "xml.schema_invalid",
    "children_many_unknown.xml": "xml.schema_invalid",
    "dtd_attlist_default_attribute.xml": "xml.forbidden",
    "dtd_external_system.xml": "xml.forbidden",
    "dtd_lower_case_doctype.xml": "xml.forbidden",
    "encoding_gb18030_declared_utf8.xml": "xml.malformed",
    "encoding_invalid_utf8_bytes.xml": "xml.malformed",
    "encoding_unknown_declared.xml": "xml.malformed",
    "encoding_utf16_be_bom.xml": "xml.forbidden",
    "encoding_utf16_doctype_hidden.xml": "xml.forbidden",
    "encoding_utf16_le_bom.xml": "xml.forbidden",
    "encoding_utf16_le_no_bom.xml": "xml.forbidden",
    "encoding_utf32_be_bom.xml": "xml.forbidden",
    "entity_billion_laughs.xml": "xml.forbidden",
    "entity_external_file.xml": "xml.forbidden",
    "entity_external_parameter_http.xml": "xml.forbidden",
    "entity_parameter_out_of_band.xml": "xml.forbidden",
    "entity_quadratic_blowup.xml": "xml.forbidden",
    "entity_undeclared_reference.xml": "xml.malformed",
    "malformed_empty.xml": "xml.malformed",
    "malformed_json_body.xml": "xml.malformed",
    "malformed_nul_byte.xml": "xml.malformed",
    "malformed_truncated.xml": "xml.malformed",
    "malformed_two_roots.xml": "xml.malformed",
    "namespace_child_redefines_default.xml": "xml.schema_invalid",
    "namespace_undeclared_prefix.xml": "xml.malformed",
    "namespace_wrong_root_namespace.xml": "xml.unsupported_document",
    "namespace_xinclude.xml": "xml.schema_invalid",
    "nesting_deep_10000.xml": "xml.malformed",
    "nesting_deep_200_in_value.xml": "xml.schema_invalid",
    "root_soap_envelope_wrapper.xml": "xml.unsupported_document",
}


def documented_statuses() -> dict[str, int]:
    """Code -> HTTP status, from the rows of errors.md's tables."""
    rows = re.findall(r"^\| `([a-z_.]+)` \| (\d{3}) \|", ERRORS_DOC.read_text(encoding="utf-8"), re.MULTILINE)
    return {code: int(status) for code, status in rows}


STATUSES = documented_statuses()


def stored_counts(runtime) -> tuple[int, int]:
    with runtime.sessions() as session:
        return (session.scalar(select(func.count()).select_from(Application)),
                session.scalar(select(func.count()).select_from(SignedDocument)))


def post(client, path: str, body: bytes):
    started = time.monotonic()
    response = client.post(path, content=body, headers={"Content-Type": "application/xml"})
    assert time.monotonic() - started < SLOWEST_ANSWER_S, f"{path} took {time.monotonic() - started:.1f} s"
    return response


def assert_refused(embedded, body: bytes, code: str) -> None:
    before = stored_counts(embedded.runtime)
    for path in ("/v1/applications/dry-run", "/v1/applications"):
        response = post(embedded.client, path, body)

        assert (response.status_code, response.headers["content-type"]) == (STATUSES[code], "application/problem+json")
        assert response.json()["code"] == code
    assert stored_counts(embedded.runtime) == before


def assert_stored_as_signed(embedded, body: bytes) -> None:
    dry_run = post(embedded.client, "/v1/applications/dry-run", body)
    assert dry_run.status_code == 200, dry_run.text

    response = post(embedded.client, "/v1/applications", body)

    assert response.status_code == 202, response.text
    application_no = etree.fromstring(response.content).findtext("g:ApplicationNo", namespaces=RECEIPT_NS)
    with embedded.runtime.sessions() as session:
        stored = session.scalar(
            select(SignedDocument.content).join(Application, SignedDocument.application_id == Application.id)
            .where(Application.application_no == application_no, SignedDocument.kind == "request"))
    assert stored == body


def test_the_corpus_files_are_the_ones_the_script_writes():
    """The kept files and make_corpus.py agree, and every file has a row in the table."""
    on_disk = {path.name: path.read_bytes() for path in CORPUS.glob("*.xml")}

    assert on_disk == documents()
    assert set(on_disk) == set(CORPUS_TABLE)


def test_every_expected_code_is_documented():
    expected = set(CORPUS_TABLE.values()) | {variant.expected for variant in VARIANTS} - {STORED}

    assert expected <= set(STATUSES)


@pytest.mark.parametrize("file_name", sorted(CORPUS_TABLE))
def test_a_corpus_file_is_refused_with_its_documented_code(embedded, file_name):
    assert_refused(embedded, (CORPUS / file_name).read_bytes(), CORPUS_TABLE[file_name])


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda variant: variant.name)
def test_a_signed_variant_is_refused_with_its_code_or_stored_exactly_as_signed(embedded, pki, variant: Variant):
    body = variant.build(Signer(pki))

    if variant.expected == STORED:
        assert_stored_as_signed(embedded, body)
    else:
        assert_refused(embedded, body, variant.expected)
