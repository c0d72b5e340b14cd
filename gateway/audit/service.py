"""The access report as the API, the web page and the CLI ask for it: query, record, render."""
from __future__ import annotations

from dataclasses import dataclass

from gateway.audit.accesses import Access, Query, accesses, as_csv, report_entry
from gateway.audit.chain import Pending
from gateway.persistence.db import read_only
from gateway.persistence.types import utcnow

FORMS = ("json", "csv", "pdf")


@dataclass(frozen=True)
class AccessReport:
    query: Query
    rows: list[Access]
    entry: Pending  # the report's own audit entry, recorded by the caller before answering


def run_report(runtime, query: Query, *, actor: str, actor_role: str, form: str) -> AccessReport:
    """The accesses, read in a read-only unit of work (closed before anything is rendered or sealed)."""
    with read_only(runtime.read_sessions) as session:
        rows = accesses(session, query)
    return AccessReport(query, rows, report_entry(query, actor=actor, actor_role=actor_role, rows=len(rows), form=form))


def csv_of(report: AccessReport) -> bytes:
    return as_csv(report.rows)


def pdf_of(runtime, report: AccessReport) -> bytes:
    """The signed PDF; the seal's time-stamp request (if any) goes out with no transaction open."""
    from gateway.audit.report_pdf import sealed_report

    return sealed_report(runtime.settings, report.query, report.rows, made_at=utcnow())


def file_name(report: AccessReport, form: str) -> str:
    subject = report.query.unit_code or "person"
    return f"accesses-{subject}.{form}"
