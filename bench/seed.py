"""What a benchmark gateway starts from: a PKI, a register, the bank and staff — made the operator's way.

The PKI is a CA, the gateway's key and one bank's key (RSA 2048, as the interface examples use).
The register holds two kinds of units, all owned by the two test mortgagors of
``tests.support.factories``: *intake units* that first-mortgage applications are filed on (one
unit per application until they run out, so no unit piles up open applications), and *discharge
units*, each carrying a mortgage in force held by the bench bank, discharged at most once
(the automatic-result path). Discharge units, the bank and the staff are loaded with the
``gateway`` CLI. The tens of thousands of intake units are inserted in bulk into the same
tables instead: ``gateway register import`` checks and stores each row on its own (~3 ms a row,
minutes for 30,000 units), which would dominate the benchmark's running time.
"""
from __future__ import annotations

import csv
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path


from signing.pki import certificate_to_pem, generate_private_key, issue_certificate, make_ca, private_key_to_pem
from tests.support import factories
from tests.support.pki import Identity

GATEWAY_BIN = Path(sys.executable).parent / "gateway"
BANK_NAME = "平罗县测试商业银行"
STAFF_PASSWORD = "bench-staff-password-1"


@dataclass(frozen=True)
class BenchPki:
    ca_path: Path
    gateway: Identity
    bank: Identity


def build_pki(directory: Path) -> BenchPki:
    """A CA trusted by the gateway, the gateway's own key and the bench bank's key."""
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.now(timezone.utc)
    ca_key, ca_cert = make_ca(common_name="Bench CA", organization="Bench", not_before=now - timedelta(days=1),
                              not_after=now + timedelta(days=365))
    ca_path = directory / "ca.pem"
    ca_path.write_bytes(certificate_to_pem(ca_cert))

    def identity(name: str) -> Identity:
        key = generate_private_key("rsa")
        cert = issue_certificate(ca_key=ca_key, ca_cert=ca_cert, common_name=name, organization=name,
                                 public_key=key.public_key(), not_before=now - timedelta(days=1),
                                 not_after=now + timedelta(days=365))
        key_path, cert_path = directory / f"{name}-key.pem", directory / f"{name}-cert.pem"
        key_path.write_bytes(private_key_to_pem(key))
        cert_path.write_bytes(certificate_to_pem(cert))
        return Identity(key, cert, key_path, cert_path)

    return BenchPki(ca_path=ca_path, gateway=identity("gateway"), bank=identity("bank"))


def intake_unit_code(index: int) -> str:
    """The ``index``-th intake unit (cadastral zone 009); 28 characters, GB/T 37346 structure."""
    return f"640221009001GB{index // 10**8:05d}F{index % 10**8:08d}"


def discharge_unit_code(index: int) -> str:
    """The ``index``-th discharge unit (cadastral zone 008)."""
    return f"640221008001GB00001F{index:08d}"


def discharge_certificate_no(index: int) -> str:
    """The certificate of the bench bank's mortgage on discharge unit ``index`` (an imported 2025 number)."""
    return f"宁(2025)平罗县不动产证明第{index + 1:07d}号"


def write_register_csv(path: Path, *, discharge_units: int) -> None:
    """Discharge units for ``gateway register import``: owned 1/2 each by the factory's two
    mortgagors, each with the bench bank's mortgage in force."""
    from gateway.register.importer import COLUMNS

    owners = factories.application().mortgagors
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, restval="")
        writer.writeheader()
        for index in range(discharge_units):
            code = discharge_unit_code(index)
            writer.writerow(dict(record_type="UNIT", unit_code=code, location=f"平罗县城关镇压测路{index + 1}号",
                                 use="RESIDENTIAL", state="TITLED"))
            for owner in owners:
                writer.writerow(dict(record_type="OWNER", unit_code=code, name=owner.name, id_type="RESIDENT_ID",
                                     id_number=owner.id_number, share="1/2"))
            writer.writerow(dict(
                record_type="MORTGAGE", unit_code=code, certificate_no=discharge_certificate_no(index),
                mortgagee_code=factories.BANK_CODE, mortgagee_name=BANK_NAME, kind="GENERAL", priority="1",
                secured_amount="500000.00", debt_start="2025-03-01", debt_end="2035-02-28",
                mortgagor_id_numbers=";".join(o.id_number for o in owners), received_at="2025-03-03",
                registered_on="2025-03-05",
            ))


def add_intake_units(database_url: str, count: int, *, data_dir: Path) -> None:
    """``count`` titled homes owned 1/2 each by the factory's two mortgagors, in bulk (encrypted with the
    keys of the gateway at ``data_dir``, like the rows the gateway writes)."""
    from sqlalchemy import insert, select

    from gateway.persistence.db import make_engine
    from gateway.protection import blind_index, install_for
    from gateway.register.models import PropertyUnit, UnitOwner
    from gateway.settings import Settings

    install_for(Settings(data_dir=data_dir))
    owners = factories.application().mortgagors
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(insert(PropertyUnit), [
                dict(unit_code=intake_unit_code(i), location=f"平罗县城关镇压测北路{i + 1}号", use="RESIDENTIAL",
                     state="TITLED", needs_survey=False) for i in range(count)
            ])
            unit_ids = connection.scalars(
                select(PropertyUnit.id).where(PropertyUnit.unit_code.like(intake_unit_code(0)[:12] + "%"))
            ).all()
            connection.execute(insert(UnitOwner), [
                dict(unit_id=unit_id, name=o.name, id_type="RESIDENT_ID", id_number=o.id_number,
                     id_number_index=blind_index(o.id_number), share="1/2")
                for unit_id in unit_ids for o in owners
            ])
    finally:
        engine.dispose()


def gateway_env(data_dir: Path, pki: BenchPki, **extra: str) -> dict[str, str]:
    """The environment of every gateway process of one benchmark mode (nothing inherited from GATEWAY_*)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env.update(
        GATEWAY_DATA_DIR=str(data_dir),
        GATEWAY_SIGNING_KEY_PATH=str(pki.gateway.key_path),
        GATEWAY_SIGNING_CERT_PATH=str(pki.gateway.cert_path),
        GATEWAY_TRUST_ANCHORS_PATH=str(pki.ca_path),
        GATEWAY_STAFF_TOKEN_SECRETS='["bench-token-secret"]',
    )
    env.update(extra)
    return env


def cli(env: dict[str, str], *args: str, stdin: str | None = None, timeout: float = 600) -> str:
    """Run ``gateway ARGS``; a failure stops the benchmark with the command's own message."""
    result = subprocess.run([str(GATEWAY_BIN), *args], env=env, input=stdin, capture_output=True, text=True,
                            timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"gateway {' '.join(args[:2])} failed: {result.stderr.strip()[-2000:]}")
    return result.stdout


def onboard(env: dict[str, str], pki: BenchPki, *, database_url: str, intake_units: int,
            discharge_units: int, work_dir: Path) -> None:
    """What an operator does (migrate, load the register, register the bank, add staff), plus the intake units."""
    cli(env, "db", "upgrade")
    register_csv = work_dir / "register.csv"
    write_register_csv(register_csv, discharge_units=discharge_units)
    cli(env, "register", "import", str(register_csv))
    add_intake_units(database_url, intake_units, data_dir=Path(env["GATEWAY_DATA_DIR"]))
    cli(env, "institution", "add", "--code", factories.BANK_CODE, "--name", BANK_NAME, "--kind", "bank",
        "--cert", str(pki.bank.cert_path))
    for username, role in (("reviewer", "reviewer"), ("admin", "admin")):
        cli(env, "user", "add", "--username", username, "--role", role, "--password-stdin",
            stdin=STAFF_PASSWORD + "\n")
