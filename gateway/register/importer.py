"""``gateway register import FILE.csv``: units, owners, mortgages and encumbrances from one CSV.

Every row is checked first; every bad row is reported with its line number and reason, and
nothing is imported from a file with errors unless the operator asks to skip bad rows.
The format is documented in docs/operations.md (register import).
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.register import import_rows
from gateway.register.models import Encumbrance, PropertyUnit, RegisteredMortgage, RegistrationEntry
from gateway.watch import events as watch_events, service as watch

COLUMNS = (
    "record_type", "unit_code", "location", "use", "state", "needs_survey", "name", "id_type", "id_number",
    "share", "certificate_no", "mortgagee_code", "mortgagee_name", "kind", "priority", "secured_amount",
    "maximum_claim_amount", "debt_start", "debt_end", "claim_period_start", "claim_period_end",
    "mortgagor_id_numbers", "received_at", "reference", "registered_on",
)


@dataclass
class ImportReport:
    rows: int = 0
    imported: dict[str, int] = field(default_factory=dict)
    errors: list[tuple[int, str]] = field(default_factory=list)
    skipped: int = 0
    notices: int = 0  # watch notices written for institutions watching the units changed


@dataclass(frozen=True)
class Row:
    line: int  # the header is line 1
    values: dict[str, str]
    columns: int  # in the header
    surplus: int  # fields beyond the header's columns


def read_rows(path: Path) -> tuple[list[Row], list[tuple[int, str]]]:
    """Rows with their line numbers, or a header error.

    A row may have fewer fields than the header (the missing ones are empty), never more: a
    surplus value belongs to no column, and dropping it would import something else than the file says.
    """
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in ("record_type", "unit_code") if c not in (reader.fieldnames or [])]
        if missing:
            return [], [(1, f"header lacks the column(s) {', '.join(missing)}")]
        unknown = [c for c in reader.fieldnames if c not in COLUMNS]
        if unknown:
            return [], [(1, f"unknown column(s) {', '.join(unknown)}")]
        columns = len(reader.fieldnames)
        return [Row(reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}, columns,
                    len(row.get(None) or ())) for row in reader], []


def _check(row: Row, context: import_rows.Context) -> Any:
    if row.surplus:
        raise import_rows.BadRow(f"the row has {row.columns + row.surplus} fields but the header names {row.columns}"
                                 " columns (an unquoted comma?)")
    return import_rows.check_row(row.values, context)


def import_register(
    session: Session, path: Path, *, skip_bad_rows: bool = False,
    progress: Callable[[Iterable], Iterable] = lambda rows: rows,
) -> ImportReport:
    """Check every row, then import (all, or only the good ones with ``skip_bad_rows``)."""
    rows, header_errors = read_rows(path)
    report = ImportReport(rows=len(rows), errors=list(header_errors))
    if header_errors:
        return report
    in_force = list(session.scalars(select(RegisteredMortgage).where(RegisteredMortgage.status == "IN_FORCE")))
    context = import_rows.Context(
        existing_units={c for c in session.scalars(select(PropertyUnit.unit_code))},
        existing_certificates={c for c in session.scalars(select(RegistrationEntry.certificate_no))},
        existing_priorities={(m.unit_code, m.priority) for m in in_force},
        in_force={m.certificate_no: (m.unit_code, m.priority) for m in in_force},
        active_encumbrances={tuple(row) for row in session.execute(
            select(Encumbrance.unit_code, Encumbrance.kind, Encumbrance.reference).where(Encumbrance.active.is_(True)))},
    )
    checked: list[tuple[int, Any]] = []
    for row in progress(rows):
        try:
            checked.append((row.line, _check(row, context)))
        except import_rows.BadRow as exc:
            report.errors.append((row.line, str(exc)))
    if report.errors and not skip_bad_rows:
        return report
    report.skipped = len(report.errors)
    for _, record in checked:
        stored = import_rows.store(session, record)
        report.imported[record.kind] = report.imported.get(record.kind, 0) + 1
        # Institutions watching the unit are told, in the order of the file (title watch).
        event = watch_events.from_import(record.kind, record.data, mortgage=stored)
        if event is not None:
            session.flush()
            report.notices += len(watch.record_event(session, event))
    session.flush()
    return report
