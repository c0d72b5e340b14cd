"""The per-type field requirement matrix of application-format.md section 8, read for the tests."""
from __future__ import annotations

from pathlib import Path

from bank_adapters import RegistrationType

DOCUMENT = Path(__file__).resolve().parents[3] / "docs" / "interface" / "application-format.md"

#: The matrix's column headings (the document explains each abbreviation).
COLUMNS: dict[RegistrationType, str] = {
    RegistrationType.MORTGAGE_FIRST: "FIRST",
    RegistrationType.MORTGAGE_FIRST_MAXIMUM: "MAXIMUM",
    RegistrationType.MORTGAGE_CHANGE: "CHANGE",
    RegistrationType.MORTGAGE_TRANSFER: "TRANSFER",
    RegistrationType.MORTGAGE_DISCHARGE: "DISCHARGE",
    RegistrationType.CONSTRUCTION_MORTGAGE: "CONSTRUCTION",
    RegistrationType.PRE_NOTICE_MORTGAGE: "PRE_NOTICE",
    RegistrationType.PRE_NOTICE_CONVERSION: "CONVERSION",
    RegistrationType.OWNERSHIP_TRANSFER: "OWNERSHIP",
}
REQUIRED, OPTIONAL, NOT_USED = "R", "O", "—"


def matrix_lines() -> list[str]:
    """The table lines between the field-requirements markers: the heading, then one per element."""
    text = DOCUMENT.read_text(encoding="utf-8")
    block = text.split("<!-- field-requirements:start -->")[1].split("<!-- field-requirements:end -->")[0]
    return [line for line in block.splitlines() if line.startswith("| ")]


def cells(line: str) -> list[str]:
    return [cell.strip().strip("`") for cell in line.strip().strip("|").split("|")]


def field_requirements() -> dict[RegistrationType, dict[str, str]]:
    """For each type, each optional element's requirement: R, O or —."""
    heading, *rows = matrix_lines()
    types = {column: registration_type for registration_type, column in COLUMNS.items()}
    column_types = [types[column] for column in cells(heading)[1:]]
    table: dict[RegistrationType, dict[str, str]] = {registration_type: {} for registration_type in column_types}
    for row in rows:
        element, *needs = cells(row)
        for registration_type, need in zip(column_types, needs, strict=True):
            table[registration_type][element] = need
    return table
