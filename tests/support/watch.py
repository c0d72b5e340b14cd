"""Title-watch test helpers: register facts, the operator's register import, and the notices a bank finds.

Notices are read from the inbox table as the inbox serves them, and checked as a bank would check
them: the XML signature against the gateway's certificate, the document against the published schema.
"""
from __future__ import annotations

import csv
import functools
from pathlib import Path

import pytest
import xmlschema
from lxml import etree
from signxml import XMLVerifier
from sqlalchemy import select

from gateway.inbox.models import InboxEntry
from gateway.persistence.db import transaction
from gateway.persistence.models import Institution
from gateway.register.importer import COLUMNS
from gateway.watch.models import WatchNotice
from tests.support import factories, scenarios as s
from tests.support.register import add_mortgage

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "interface" / "schemas" / "gateway-output-v1.xsd"
G = {"g": "urn:pingluo-bdc:mortgage-gateway:v1"}
UNIT = factories.UNIT_CODE
BANK, OTHER = factories.BANK_CODE, factories.OTHER_BANK_CODE
RULING = "(2026)宁0221执保88号"


def give_mortgage(runtime, certificate_no: str = s.EXISTING_NO, *, mortgagee: str = BANK, unit_code: str = UNIT,
                  priority: int = 1) -> None:
    """A mortgage in force in the register, as an import or an earlier registration left it."""
    with transaction(runtime.sessions) as session:
        add_mortgage(session, certificate_no=certificate_no, mortgagee_code=mortgagee, unit_code=unit_code,
                     priority=priority)


def row(record_type: str, unit_code: str = UNIT, **values) -> dict:
    """A register import row."""
    return {"record_type": record_type, "unit_code": unit_code, "registered_on": "2026-08-03", **values}


def seizure(unit_code: str = UNIT, reference: str = RULING, **values) -> dict:
    return row("SEIZURE", unit_code, reference=reference, **values)


def write_csv(path: Path, rows: list[dict]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def run_import(tmp_path, monkeypatch, capsys):
    """``gateway register import FILE`` in-process against ``gateway``'s database; returns (exit code, stderr)."""
    def run(gateway, rows: list[dict], name: str = "register.csv"):
        path = write_csv(tmp_path / name, rows)
        code = s.run_cli(monkeypatch, gateway, "register", "import", str(path))
        return code, capsys.readouterr().err
    return run


@functools.cache
def output_schema() -> xmlschema.XMLSchema10:
    return xmlschema.XMLSchema10(SCHEMA.read_text(encoding="utf-8"), allow="none", defuse="always")


def verified(content: bytes, gateway_cert_pem: bytes) -> etree._Element:
    """What the gateway signed, if its signature verifies against its certificate and the XSD holds."""
    signed = XMLVerifier().verify(content, x509_cert=gateway_cert_pem).signed_xml
    output_schema().validate(signed)
    assert etree.QName(signed).localname == "WatchNotice"
    return signed


def inbox_documents(runtime, code: str) -> list[tuple[bytes, str]]:
    """(signed bytes, media type) of the institution's watch notices in inbox order."""
    assert runtime.wait_idle(60)
    with transaction(runtime.sessions) as session:
        institution = session.scalar(select(Institution).where(Institution.code == code))
        entries = session.scalars(select(InboxEntry).where(InboxEntry.institution_id == institution.id,
                                                           InboxEntry.kind == "watch_notice")
                                  .order_by(InboxEntry.sequence)).all()
        return [(entry.content, entry.media_type) for entry in entries]


def inbox_notices(runtime, code: str) -> list[etree._Element]:
    """The institution's watch notices in inbox order, each verified (XML)."""
    documents = inbox_documents(runtime, code)
    assert all(media_type == "application/xml" for _, media_type in documents)
    return [verified(content, runtime.settings.signing_cert_path.read_bytes()) for content, _ in documents]


def text(notice: etree._Element, path: str) -> str | None:
    return notice.findtext(path, namespaces=G)


def notice_rows(runtime) -> list[WatchNotice]:
    with transaction(runtime.sessions) as session:
        return list(session.scalars(select(WatchNotice).order_by(WatchNotice.id)))
