"""Tampering with signed requests, and checking that a refusal left nothing behind.

* a seeded runtime that is quick to make (``runtime`` / ``runtime_from_template``);
* ``assert_problem`` (status, problem+json, code, no personal data) and ``assert_nothing_stored``;
* edits of signed bytes: through lxml (parse, change, serialize) or plain byte replacement,
  never through the gateway's own code.
"""
from __future__ import annotations

import copy
import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from lxml import etree
from signxml import XMLSigner
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureConstructionMethod, SignatureMethod
from sqlalchemy import func, select

from gateway.persistence.models import Base, Counter
from gateway.runtime import Runtime
from gateway.protection.keyring import copy_keys
from signing.xmldsig import sign_enveloped
from tests.conftest import make_settings, seed, start_runtime
from tests.support import factories

NS = "urn:pingluo-bdc:mortgage-gateway:v1"
DS = "http://www.w3.org/2000/09/xmldsig#"
PROBLEM_JSON = "application/problem+json"

# --- a fast seeded runtime ---------------------------------------------------------------------------
# conftest's ``runtime`` migrates and seeds a fresh database per test; seeding hashes three staff
# passwords (most of a second). These fixtures seed once per session with the very same
# ``start_runtime`` + ``seed`` and give each test its own copy of that database file.

_TEMPLATES: dict[Path, Path] = {}  # one per session PKI, shared by every module importing the fixture


@pytest.fixture(scope="session")
def seeded_database(tmp_path_factory, pki) -> Path:
    if pki.ca_path not in _TEMPLATES:
        data_dir = tmp_path_factory.mktemp("seeded-template")
        template = start_runtime(make_settings(data_dir, pki))
        seed(template, pki)
        template.close()
        _TEMPLATES[pki.ca_path] = data_dir / "gateway.db"
    return _TEMPLATES[pki.ca_path]


def seeded_runtime_on(database: str, request, data_dir: Path, pki) -> Runtime:
    """The seeded gateway on ``database`` — ``sqlite`` (a copy of the template) or ``postgresql`` (a new
    database, seeded) — for fixtures parametrised over both."""
    if database == "sqlite":
        return runtime_from_template(request.getfixturevalue("seeded_database"), data_dir, pki)
    runtime = start_runtime(make_settings(data_dir, pki, database_url=request.getfixturevalue("postgres_url")))
    seed(runtime, pki)
    return runtime


def runtime_from_template(seeded_database: Path, data_dir: Path, pki, **overrides) -> Runtime:
    """A runtime on a private copy of the seeded database (``overrides`` go to ``make_settings``)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(seeded_database) as source, sqlite3.connect(data_dir / "gateway.db") as target:
        source.backup(target)
    source.close()
    target.close()
    copy_keys(seeded_database.parent, data_dir)  # the copy is encrypted under the template's keys
    return start_runtime(make_settings(data_dir, pki, **overrides))


@pytest.fixture
def runtime(seeded_database, tmp_path, pki) -> Iterator[Runtime]:
    """Same as conftest's ``runtime`` (embedded SQLite, in-process tasks, seeded), only faster."""
    runtime = runtime_from_template(seeded_database, tmp_path / "var", pki)
    yield runtime
    runtime.close()


# --- what a refusal must leave behind: nothing ---------------------------------------------------

SEEDED_TABLES = frozenset({"institutions", "institution_certificates", "staff_users", "materials", "counters",
                           "property_units", "unit_owners"})
REQUEST_TABLES = frozenset({
    "applications", "application_events", "application_materials", "signed_documents",
    "registered_mortgages", "outbox", "deliveries",
})
# What a refusal does leave: its own count for the quality figures (institution or none, code, channel,
# time; no personal data — gateway/quality/refusals.py, docs/interface/quality.md).
REFUSAL_TABLES = frozenset({"intake_refusals"})
# Personal data in every factory application: it must never come back in a refusal.
PERSONAL_DATA = ("王建国", "李秀梅", "640221198503150018", "640221198707220022")
_SQLITE_FILES = ("gateway.db", "gateway.db-journal", "gateway.db-wal", "gateway.db-shm")


def row_counts(runtime) -> dict[str, int]:
    """Rows in every table the models declare."""
    with runtime.sessions() as session:
        return {
            name: session.scalar(select(func.count()).select_from(table))
            for name, table in Base.metadata.tables.items()
        }


def counters(runtime) -> dict[str, int]:
    with runtime.sessions() as session:
        return {row.name: row.value for row in session.scalars(select(Counter))}


def data_files(runtime) -> set[Path]:
    """Files under the data directory other than the embedded database itself."""
    root = runtime.settings.data_dir
    return {p.relative_to(root) for p in root.rglob("*") if p.is_file() and p.name not in _SQLITE_FILES}


class Snapshot:
    """What the seeded tables, the counters and the data directory held before a request."""

    def __init__(self, runtime) -> None:
        runtime.wait_idle(10)
        self.counts = row_counts(runtime)
        self.counters = counters(runtime)
        self.files = data_files(runtime)


def assert_nothing_stored(runtime, before: Snapshot | None = None) -> None:
    """No application-related row, no task, no counter step and no new file after a refusal.

    Every table of the metadata is counted: all but the seeded ones (institutions, certificates,
    staff, materials, counters) must be empty — applications, application_events,
    application_materials, signed_documents, registered_mortgages, outbox, deliveries and any
    newer table; the seeded ones and the counter values must be unchanged from ``before``.
    """
    assert runtime.wait_idle(10), "background work still running after a refusal"
    counts = row_counts(runtime)
    assert REQUEST_TABLES <= set(counts), f"tables missing from the models: {sorted(REQUEST_TABLES - set(counts))}"
    # Every table but the seeded ones, including any added after this helper was written.
    stored = {name: count for name, count in counts.items()
              if name not in SEEDED_TABLES | REFUSAL_TABLES and count}
    assert not stored, f"a refused request left rows behind: {stored}"
    if before is not None:
        changed = {name: (before.counts[name], counts[name])
                   for name in SEEDED_TABLES if before.counts[name] != counts[name]}
        assert not changed, f"seeded tables changed (before, after): {changed}"
        assert counters(runtime) == before.counters, "a refused request moved a counter"
        assert data_files(runtime) == before.files, "a refused request left a file behind"


def assert_nothing_changed(runtime, before: Snapshot) -> None:
    """Every table holds as many rows as before, counters and data files are unchanged.

    For refusals that come after something was legitimately stored (a reused request id).
    """
    assert runtime.wait_idle(10), "background work still running after a refusal"
    counts = row_counts(runtime)
    assert all(counts[name] - before.counts[name] <= 1 for name in REFUSAL_TABLES), "more than the refusal's count"
    assert ({name: n for name, n in counts.items() if name not in REFUSAL_TABLES}
            == {name: n for name, n in before.counts.items() if name not in REFUSAL_TABLES}), \
        "a refused request changed the stored rows"
    assert counters(runtime) == before.counters, "a refused request moved a counter"
    assert data_files(runtime) == before.files, "a refused request left a file behind"


def assert_problem(response, status: int, code: str, *, secrets: tuple[str, ...] = ()) -> dict:
    """The response is RFC 9457 problem+json with this status and code, and echoes no personal data."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].split(";")[0].strip() == PROBLEM_JSON, response.headers
    body = response.json()
    assert body["code"] == code, body
    assert body["status"] == status, body
    assert body["type"].endswith(code), body
    assert_no_personal_data(response, secrets=secrets)
    return body


def assert_no_personal_data(response, *, secrets: tuple[str, ...] = ()) -> None:
    # Both the bytes as sent and the decoded JSON (which may have \u-escaped the names).
    texts = [response.content.decode("utf-8", "replace")]
    try:
        texts.append(json.dumps(response.json(), ensure_ascii=False))
    except ValueError:
        pass
    for value in (*PERSONAL_DATA, *secrets):
        for text in texts:
            assert value not in text, f"the response echoes {value!r}"
        for header in response.headers.values():
            assert value not in header


# --- editing signed bytes -------------------------------------------------------------------------

def q(local: str) -> str:
    return f"{{{NS}}}{local}"


def ds(local: str) -> str:
    return f"{{{DS}}}{local}"


def parse(data: bytes) -> etree._Element:
    # A plain lxml parser is fine here: these are the tests' own documents.
    return etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False, remove_blank_text=False))


def serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def edit(data: bytes, change: Callable[[etree._Element], None]) -> bytes:
    root = parse(data)
    change(root)
    return serialize(root)


def replace_once(data: bytes, old: str | bytes, new: str | bytes) -> bytes:
    old_b = old.encode() if isinstance(old, str) else old
    new_b = new.encode() if isinstance(new, str) else new
    assert data.count(old_b) == 1, f"{old_b!r} occurs {data.count(old_b)} times"
    return data.replace(old_b, new_b)


def sign(root: etree._Element, identity) -> bytes:
    """Sign an (unsigned, possibly schema-invalid) application element as the gateway's profile does."""
    return sign_enveloped(root, key=identity.key, certificate=identity.certificate)


def signature_of(root: etree._Element) -> etree._Element:
    return root.find(ds("Signature"))


def forged_copy(root: etree._Element, *, amount: str = "9999999.00") -> etree._Element:
    """A copy of the application without its signature and with a different secured amount."""
    forged = copy.deepcopy(root)
    signature = signature_of(forged)
    if signature is not None:
        forged.remove(signature)
    forged.find(q("SecuredClaim")).text = amount
    return forged


def with_doctype(data: bytes, doctype: str) -> bytes:
    """Insert a DOCTYPE (with any internal subset) right after the XML declaration."""
    declaration_end = data.index(b"?>") + 2
    return data[:declaration_end] + b"\n" + doctype.encode() + data[declaration_end:]


def enveloping_signature(content: etree._Element, identity, *, object_id: str = "object") -> etree._Element:
    """A genuine signature by ``identity`` whose Reference is ``#object_id``: a ds:Object holding ``content``."""
    signer = XMLSigner(
        method=SignatureConstructionMethod.enveloping,
        signature_algorithm=SignatureMethod.RSA_SHA256,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
    )
    signature = signer.sign(copy.deepcopy(content), key=identity.key, cert=[identity.certificate])
    found = signature.find(f".//{ds('Object')}")
    assert found is not None and found.get("Id") == object_id, "signxml no longer names the ds:Object 'object'"
    return signature


def unsigned_root(app=None) -> etree._Element:
    return factories.unsigned_xml(app or factories.application())
