"""``gateway register import FILE.csv``: the register's units, owners and encumbrances from a CSV file.

The command runs in-process (``gateway.cli.main`` with the operator's environment) against a seeded
embedded database, except the demo file, which goes through the installed ``gateway`` executable.
A file with a bad row imports nothing unless the operator asks to skip bad rows; every bad row is
reported with its line number and a reason that never repeats the row's personal data.
"""
from __future__ import annotations

import csv
import subprocess
import time
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gateway.persistence.db import make_engine, transaction
from gateway.persistence.types import utcnow
from gateway.register.importer import COLUMNS
from gateway.register.models import Encumbrance, PropertyUnit, RegisteredMortgage, RegistrationEntry, UnitOwner
from gateway.timezone import LOCAL_TZ
from tests.support import factories, scenarios as s
from tests.conftest import make_settings, start_runtime
from tests.support.processes import BIN, gateway_env
from tests.support.tamper import runtime, seeded_database  # noqa: F401 (fixtures: a fast seeded runtime)
from tests.unit.prereview.factories import resident_id, wrong_check_digit

DEMO = Path(__file__).resolve().parents[2] / "gateway" / "register" / "demo_register.csv"
REGISTER_TABLES = (PropertyUnit, UnitOwner, RegisteredMortgage, RegistrationEntry, Encumbrance)

HOME = "640221001004GB00021F00030101"
SHOP = "640221001004GB00021F00030102"
ZHANG = ("张志强", resident_id("64022119790614003"))
MA = ("马秀英", resident_id("64022119820321004"))
BANK_CODE = "91640221MA76R3PK3Q"


def unit(code: str = HOME, **values) -> dict:
    return {"record_type": "UNIT", "unit_code": code, "location": "平罗县城关镇新华路21号3号楼1单元101室",
            "use": "RESIDENTIAL", "state": "TITLED", **values}


def owner(code: str = HOME, person=ZHANG, **values) -> dict:
    return {"record_type": "OWNER", "unit_code": code, "name": person[0], "id_type": "RESIDENT_ID",
            "id_number": person[1], "share": "1/2", **values}


def mortgage(code: str = HOME, **values) -> dict:
    return {"record_type": "MORTGAGE", "unit_code": code, "certificate_no": "宁(2024)平罗县不动产证明第0001562号",
            "mortgagee_code": BANK_CODE, "mortgagee_name": "宁夏示例银行股份有限公司平罗支行", "kind": "GENERAL",
            "priority": "1", "secured_amount": "350000.00", "debt_start": "2024-05-20", "debt_end": "2044-05-19",
            "mortgagor_id_numbers": f"{ZHANG[1]};{MA[1]}", "received_at": "2024-05-20", "registered_on": "2024-05-22",
            **values}


def encumbrance(kind: str, code: str = HOME, **values) -> dict:
    return {"record_type": kind, "unit_code": code, "reference": "(2026)宁0221执保88号", "registered_on": "2026-08-03",
            **values}


GOOD_HOME = [unit(), owner(), owner(person=MA), mortgage()]


def write_csv(path: Path, rows: list[dict]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def register_counts(runtime) -> dict[str, int]:
    with transaction(runtime.sessions) as session:
        return {table.__tablename__: session.scalar(select(func.count()).select_from(table)) for table in REGISTER_TABLES}


@pytest.fixture
def run_import(runtime, tmp_path, monkeypatch, capsys):
    """Write ``rows`` to a CSV file and import it; returns (exit code, stdout, stderr, file path)."""
    def run(rows: list[dict], *options: str):
        path = write_csv(tmp_path / "register.csv", rows)
        code = s.run_cli(monkeypatch, runtime, "register", "import", str(path), *options)
        captured = capsys.readouterr()
        return code, captured.out, captured.err, path
    return run


def bad_rows(err: str, path: Path) -> list[tuple[int, str]]:
    prefix = f"{path}:"
    found = []
    for line in err.splitlines():
        if line.startswith(prefix):
            number, reason = line[len(prefix):].split(": ", 1)
            found.append((int(number), reason))
    return found


def refused(run_import, runtime, rows: list[dict]) -> tuple[int, str]:
    """Import a file with exactly one bad row: nothing is imported, the row is reported."""
    before = register_counts(runtime)
    code, out, err, path = run_import(rows)
    assert code == 1, (out, err)
    assert "1 bad row(s); nothing imported" in err
    assert register_counts(runtime) == before
    [(line, reason)] = bad_rows(err, path)
    for row in rows:
        for column in ("name", "id_number"):
            if row.get(column):
                assert row[column] not in err, f"the report repeats the {column} of a row"
    return line, reason


# --- good files ------------------------------------------------------------------------------------------------

def test_the_demo_register_imports_cleanly_through_the_gateway_command(tmp_path, pki):
    start_runtime(make_settings(tmp_path / "var", pki)).close()  # a migrated, empty database
    env = gateway_env(tmp_path / "var", pki)
    result = subprocess.run([str(BIN / "gateway"), "register", "import", str(DEMO)], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    with DEMO.open(encoding="utf-8-sig", newline="") as handle:
        kinds = [row["record_type"] for row in csv.DictReader(handle)]
    for kind in set(kinds):
        assert f"{kinds.count(kind)} {kind.lower()}" in result.stdout
    engine = make_engine(f"sqlite:///{tmp_path / 'var' / 'gateway.db'}")
    with engine.connect() as connection:
        units = connection.exec_driver_sql("SELECT count(*) FROM property_units").scalar()
        mortgages = connection.exec_driver_sql("SELECT count(*) FROM registered_mortgages").scalar()
    engine.dispose()
    assert (units, mortgages) == (kinds.count("UNIT"), kinds.count("MORTGAGE"))


def test_a_good_file_imports_units_owners_mortgages_seizures_objections_and_pre_notices(run_import, runtime):
    rows = [*GOOD_HOME, encumbrance("OBJECTION", reference="宁(2026)平罗县不动产证明第0000777号"),
            unit(SHOP, use="NON_RESIDENTIAL", state="OFF_PLAN"), owner(SHOP, share="单独所有"),
            encumbrance("SEIZURE", SHOP),
            encumbrance("PURCHASE_PRE_NOTICE", SHOP, name=MA[0], id_type="RESIDENT_ID", id_number=MA[1])]
    before = register_counts(runtime)

    code, out, err, _ = run_import(rows)

    assert code == 0, err
    assert out.strip() == ("imported 1 mortgage, 1 objection, 3 owner, 1 purchase_pre_notice, 1 seizure, 2 unit")
    after = register_counts(runtime)
    assert {k: after[k] - before[k] for k in after} == {
        "property_units": 2, "unit_owners": 3, "registered_mortgages": 1, "registration_entries": 1, "encumbrances": 3}
    [imported] = s.mortgages(runtime, HOME)
    assert (imported.kind, imported.priority, imported.status, imported.secured_amount) == (
        "GENERAL", 1, "IN_FORCE", Decimal("350000.00"))
    assert imported.mortgagor_id_numbers == (ZHANG[1], MA[1])
    with transaction(runtime.sessions) as session:
        holders = session.scalars(select(Encumbrance.holder_id_number)
                                  .where(Encumbrance.kind == "PURCHASE_PRE_NOTICE")).all()
    assert holders == [MA[1]]


def test_an_imported_seizure_stops_a_new_mortgage_at_intake(run_import, client, pki):
    rows = [unit(), owner(person=(s.WANG.name, s.WANG.id_number)), owner(person=(s.LI.name, s.LI.id_number)),
            encumbrance("SEIZURE")]
    assert run_import(rows)[0] == 0
    response = s.submit(client, s.first(unit_code=HOME), s.main_bank(pki))
    assert response.status_code == 422, response.text
    assert "unit.seized" in [f["code"] for f in response.json()["findings"]]


def test_registrations_continue_the_certificate_series_after_imported_numbers_of_the_year(
        run_import, runtime, client, pki, reviewer):
    year = utcnow().astimezone(LOCAL_TZ).year
    imported = [mortgage(factories.UNIT_CODE, certificate_no=f"宁({year})平罗县不动产证明第{serial:07d}号",
                         priority=str(priority), mortgagor_id_numbers=f"{s.WANG.id_number};{s.LI.id_number}")
                for priority, serial in ((1, 1), (2, 7))]
    assert run_import(imported)[0] == 0

    number = s.submit_ok(client, s.first(), s.main_bank(pki))
    s.approve(client, number, reviewer)

    [new] = [m for m in s.in_force(runtime) if m.application_no == number]
    assert (new.priority, new.certificate_no) == (3, f"宁({year})平罗县不动产证明第0000008号")


def test_a_certificate_number_imported_with_full_width_brackets_is_found_by_its_ascii_form(
        run_import, runtime, client, pki):
    rows = [mortgage(factories.UNIT_CODE, certificate_no="宁（2024）平罗县不动产证明第0001562号",
                     mortgagee_code=factories.BANK_CODE,
                     mortgagor_id_numbers=f"{s.WANG.id_number};{s.LI.id_number}")]
    assert run_import(rows)[0] == 0

    response = s.submit(client, s.discharge("宁(2024)平罗县不动产证明第0001562号"), s.main_bank(pki))

    assert response.status_code == 202, response.text
    assert runtime.wait_idle(30)
    assert [m.status for m in s.mortgages(runtime)] == ["DISCHARGED"]


# --- files with bad rows ----------------------------------------------------------------------------------------

MIXED = [
    unit(),  # line 2
    owner(person=(ZHANG[0], wrong_check_digit(ZHANG[1]))),  # line 3: bad
    owner(person=MA),  # line 4
    {"record_type": "BUILDING", "unit_code": HOME},  # line 5: bad
    owner(SHOP),  # line 6: bad, no such unit
    mortgage(kind="MAXIMUM", secured_amount="", maximum_claim_amount=""),  # line 7: bad
]


def test_a_file_with_bad_rows_reports_every_bad_row_and_imports_nothing(run_import, runtime):
    before = register_counts(runtime)

    code, out, err, path = run_import(MIXED)

    assert code == 1
    assert [line for line, _ in bad_rows(err, path)] == [3, 5, 6, 7]
    assert "4 bad row(s); nothing imported (use --skip-bad-rows to import the rest)" in err
    assert out == ""
    assert register_counts(runtime) == before


def test_skipping_bad_rows_imports_the_good_ones_and_says_how_many_were_skipped(run_import, runtime):
    before = register_counts(runtime)

    code, out, err, path = run_import(MIXED, "--skip-bad-rows")

    assert code == 0, err
    assert out.strip() == "imported 1 owner, 1 unit; skipped 4 bad row(s)"
    assert [line for line, _ in bad_rows(err, path)] == [3, 5, 6, 7]
    after = register_counts(runtime)
    assert (after["property_units"] - before["property_units"], after["unit_owners"] - before["unit_owners"]) == (1, 1)
    assert after["registered_mortgages"] == before["registered_mortgages"]


def test_a_unit_code_with_a_bad_segment_is_reported_naming_the_segment(run_import, runtime):
    line, reason = refused(run_import, runtime, [unit("640221001004G100021F00030101")])
    assert line == 2
    assert reason.startswith("unit_code: ")
    assert "第13–14位" in reason and "宗地（宗海）特征码" in reason


def test_a_unit_code_of_the_wrong_length_is_reported(run_import, runtime):
    line, reason = refused(run_import, runtime, [unit(HOME[:-1])])
    assert (line, reason) == (2, "unit_code must be 28 characters, not 27")


def test_an_id_number_with_a_wrong_check_digit_is_reported(run_import, runtime):
    line, reason = refused(run_import, runtime, [unit(), owner(person=(ZHANG[0], wrong_check_digit(ZHANG[1])))])
    assert line == 3
    assert reason == "id_number is not a valid resident ID number (check digit or structure)"


def test_an_unknown_record_type_is_reported(run_import, runtime):
    line, reason = refused(run_import, runtime, [unit(), {"record_type": "LEASE", "unit_code": HOME}])
    assert line == 3
    assert reason.startswith("record_type must be one of UNIT, OWNER, MORTGAGE")


def test_an_owner_of_an_unknown_unit_is_reported(run_import, runtime):
    line, reason = refused(run_import, runtime, [owner(SHOP), unit(SHOP)])
    assert (line, reason) == (2, "unit_code is neither in the register nor in an earlier UNIT row")


def test_a_certificate_number_given_twice_in_the_file_is_reported(run_import, runtime):
    # The same number, once printed with full-width brackets.
    rows = [*GOOD_HOME, unit(SHOP), mortgage(SHOP, certificate_no="宁（2024）平罗县不动产证明第0001562号")]
    line, reason = refused(run_import, runtime, rows)
    assert (line, reason) == (7, "certificate_no is already in the register or earlier in the file")


def test_a_certificate_number_already_in_the_register_is_reported(run_import, runtime):
    assert run_import(GOOD_HOME)[0] == 0
    line, reason = refused(run_import, runtime, [unit(SHOP), mortgage(SHOP)])
    assert (line, reason) == (3, "certificate_no is already in the register or earlier in the file")


def test_a_priority_already_taken_on_the_unit_is_reported(run_import, runtime):
    rows = [*GOOD_HOME, mortgage(certificate_no="宁(2025)平罗县不动产证明第0002817号")]
    line, reason = refused(run_import, runtime, rows)
    assert (line, reason) == (6, "priority is already taken on this unit")


def test_a_maximum_mortgage_without_a_maximum_claim_amount_is_reported(run_import, runtime):
    rows = [unit(), mortgage(kind="MAXIMUM", secured_amount="", claim_period_start="2024-05-20",
                             claim_period_end="2029-05-19")]
    line, reason = refused(run_import, runtime, rows)
    assert (line, reason) == (3, "a MAXIMUM mortgage needs maximum_claim_amount")


def test_reversed_dates_are_reported(run_import, runtime):
    rows = [unit(), mortgage(debt_start="2044-05-19", debt_end="2024-05-20")]
    line, reason = refused(run_import, runtime, rows)
    assert (line, reason) == (3, "debt_end is before debt_start")


def test_a_row_with_more_fields_than_the_header_is_reported_not_cut_short(runtime, tmp_path, monkeypatch, capsys):
    """The sixth value (meant for a needs_survey column the header forgot) would otherwise be dropped."""
    path = tmp_path / "register.csv"
    path.write_text("record_type,unit_code,location,use,state\n"
                    f"UNIT,{HOME},平罗县城关镇新华路21号3号楼1单元101室,RESIDENTIAL,TITLED,true\n", encoding="utf-8")
    before = register_counts(runtime)

    code = s.run_cli(monkeypatch, runtime, "register", "import", str(path))

    err = capsys.readouterr().err
    assert code == 1
    assert bad_rows(err, path) == [(2, "the row has 6 fields but the header names 5 columns (an unquoted comma?)")]
    assert register_counts(runtime) == before


def test_a_row_with_fewer_fields_than_the_header_is_read_with_the_missing_ones_empty(runtime, tmp_path, monkeypatch,
                                                                                     capsys):
    path = tmp_path / "register.csv"
    path.write_text(f"record_type,unit_code,location,use,state,needs_survey\nUNIT,{HOME},平罗县城关镇新华路21号,"
                    "RESIDENTIAL,TITLED\n", encoding="utf-8")

    code = s.run_cli(monkeypatch, runtime, "register", "import", str(path))

    assert code == 0, capsys.readouterr().err
    assert register_counts(runtime)["property_units"] == 2  # and the seeded home


def test_the_reasons_never_repeat_the_personal_data_of_the_rows(run_import, runtime):
    wang = (s.WANG.name, wrong_check_digit(s.WANG.id_number))
    rows = [owner(person=wang), unit(), owner(person=wang), owner(person=(s.LI.name, "64022119870722002"))]
    code, _, err, path = run_import(rows)
    assert code == 1
    assert [line for line, _ in bad_rows(err, path)] == [2, 4, 5]
    for value in (*wang, s.LI.name, "64022119870722002"):
        assert value not in err


# --- a large file -------------------------------------------------------------------------------------------------

def test_a_large_file_imports_with_a_progress_bar(run_import, runtime):
    rows = []
    for index in range(2500):
        code = f"640221009001GB{index:05d}F00010001"
        rows += [unit(code), owner(code, share="单独所有")]

    started = time.monotonic()
    code, out, err, _ = run_import(rows)
    elapsed = time.monotonic() - started

    assert code == 0, err[-2000:]
    assert out.strip() == "imported 2500 owner, 2500 unit"
    assert "checking rows" in err and "5000/5000" in err
    assert register_counts(runtime)["property_units"] == 2500 + 1  # and the seeded home
    assert elapsed < 30, f"importing 5,000 rows took {elapsed:.1f} s"
