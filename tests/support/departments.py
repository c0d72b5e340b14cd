"""The departments' end-to-end world (信息互联): the register they look at, the three departments and the
buyer's bank onboarded through the CLI, each department's `department-client` configuration, and
the applications the bank files (a pre-sale mortgage pre-notice, a combined second-hand purchase with
a carried-over mortgage).

Every department step is the `department-client` command run as a subprocess of its own, signing with
the department's key; every bank step is `gateway-client`."""
from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

import httpx
from lxml import etree

from bank_adapters import CanonicalApplication, LinkRef, Party, RegistrationType
from tests.support import factories, scenarios as s
from tests.support.department_records import (  # noqa: F401 (re-exported for the end-to-end tests)
    BUYERS, OFF_PLAN, OFF_PLAN_CONTRACT_NO, SALE_CONTRACT_NO, SELLERS, UNIT, filed_contract, parties, tax_record,
)
from tests.support.onboarding import add_bank, add_department
from tests.support.processes import BIN, Process, cli, free_port
from tests.support.watch import row, write_csv

PASSWORD = "departments-e2e-password"
CARRIED_OVER_NO = s.EXISTING_NO  # the seller's mortgage at the seller's bank, carried over (带押过户)
SELLERS_BANK = factories.OTHER_BANK_CODE
SALE_PRICE = "1200000.00"


@dataclass(frozen=True)
class Department:
    name: str  # tax_bureau | housing_bureau | fund_centre (the role, and the pki identity's name)
    code: str
    config: Path
    listen_port: int


DEPARTMENTS = (("tax_bureau", factories.TAX_BUREAU_CODE), ("housing_bureau", factories.HOUSING_BUREAU_CODE),
               ("fund_centre", factories.FUND_CENTRE_CODE))


def register_rows() -> list[dict]:
    """The sellers' flat (residential, titled) with the seller's bank's mortgage in force, and an
    off-plan flat owned by the developer on which the two test buyers hold purchase pre-notices."""
    owner = {"id_type": "RESIDENT_ID", "share": "1/2"}
    return [
        {"record_type": "UNIT", "unit_code": UNIT, "location": "平罗县城关镇测试路1号1单元101室",
         "use": "RESIDENTIAL", "state": "TITLED"},
        *[{"record_type": "OWNER", "unit_code": UNIT, "name": p.name, "id_number": p.id_number, **owner}
          for p in SELLERS],
        row("MORTGAGE", certificate_no=CARRIED_OVER_NO, mortgagee_code=SELLERS_BANK, mortgagee_name="另一家银行",
            kind="GENERAL", priority="1", secured_amount="500000.00",
            mortgagor_id_numbers=";".join(p.id_number for p in SELLERS), registered_on="2025-03-03"),
        {"record_type": "UNIT", "unit_code": OFF_PLAN, "location": "平罗县城关镇新区5号楼502室",
         "use": "RESIDENTIAL", "state": "OFF_PLAN"},
        {"record_type": "OWNER", "unit_code": OFF_PLAN, "name": s.DEVELOPER.name, "id_type": "USCC",
         "id_number": s.DEVELOPER.id_number, "share": "单独所有"},
        *[row("PURCHASE_PRE_NOTICE", OFF_PLAN, name=p.name, id_type="RESIDENT_ID", id_number=p.id_number,
              reference=f"宁(2026)平罗县不动产证明第000339{i}号") for i, p in enumerate(SELLERS, start=1)],
    ]


def onboard(env: dict[str, str], pki, tmp_path: Path, *, tax_callback_port: int,
            fund_centre_kind: str = "department") -> None:
    """The operator's work: the database, the register, the buyer's bank (pull only), the three
    departments with their default purposes (the tax bureau with its callback URL), the staff.
    ``fund_centre_kind="housing_fund"``: the fund centre is an applicant institution that is a department too."""
    cli(env, "db", "upgrade")
    out = cli(env, "register", "import", str(write_csv(tmp_path / "register.csv", register_rows())))
    assert "1 mortgage" in out, out
    add_bank(env, pki)
    for name, code in DEPARTMENTS:
        callback = f"http://127.0.0.1:{tax_callback_port}/callbacks/gateway" if name == "tax_bureau" else None
        add_department(env, getattr(pki, name), code, name, callback_url=callback,
                       kind=fund_centre_kind if name == "fund_centre" else "department")
    for username in ("reviewer", "supervisor"):
        cli(env, "user", "add", "--username", username, "--role", username, "--password-stdin", stdin=PASSWORD + "\n")


def write_department_config(tmp_path: Path, pki, name: str, code: str, gateway_url: str, *,
                            listen_port: int | None = None) -> Department:
    """``tmp_path/<name>/department-client.toml`` with the key of ``pki.<name>`` (the store beside it)."""
    directory = tmp_path / name
    directory.mkdir(parents=True, exist_ok=True)
    identity = getattr(pki, name)
    port = listen_port or free_port()
    config = directory / "department-client.toml"
    config.write_text(f"""
gateway_url = "{gateway_url}"
department = "{code}"
key = "{identity.key_path}"
certificate = "{identity.cert_path}"
gateway_certificate = "pinned/gateway-cert.pem"
store = "store"

[listen]
port = {port}
""", encoding="utf-8")
    return Department(name, code, config, port)


def department_client(config: Path, *args: str, expect: int = 0) -> dict:
    """Run `department-client`; check its exit status; return its JSON output (with stderr on failure)."""
    done = subprocess.run([str(BIN / "department-client"), "--config", str(config), *args], capture_output=True,
                          text=True, timeout=180)
    assert done.returncode == expect, f"exit {done.returncode}: {done.stderr}{done.stdout}"
    if expect == 0:
        return json.loads(done.stdout)
    return {"stderr": done.stderr, **(json.loads(done.stdout) if done.stdout.strip() else {})}


def member(role: str, party: Party) -> str:
    return f"--member={role}:{party.id_type.value}:{party.id_number}"


def start_department_listener(department: Department, tmp_path: Path) -> Process:
    listener = Process([str(BIN / "department-client"), "--config", str(department.config), "listen"],
                       {**__import__("os").environ}, tmp_path / f"{department.name}-listen.log")
    deadline = time.monotonic() + 30
    while '"listening"' not in listener.log():
        assert listener.process.poll() is None, listener.log()
        assert time.monotonic() < deadline, "department-client listen did not start"
        time.sleep(0.1)
    return listener


def listened(listener: Process) -> list[dict]:
    return [json.loads(line) for line in listener.log().splitlines() if line.startswith("{")]


def wait_for_events(listener: Process, count: int, timeout: float = 90) -> list[dict]:
    """The first ``count`` registration events the listener received (first deliveries only)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        received = [e for e in listened(listener) if e.get("event") == "received" and e.get("kind") == "registration_event"]
        if len(received) >= count:
            return received
        time.sleep(0.3)
    raise AssertionError(f"the listener did not receive {count} registration events: {listener.log()}")


# --- the bank's applications ----------------------------------------------------------------------------------------

def write_application(directory: Path, application: CanonicalApplication) -> Path:
    """An unsigned application as the bank's core system writes it, its material files beside it."""
    (directory / "materials").mkdir(parents=True, exist_ok=True)
    for ref in application.materials:
        (directory / "materials" / ref.file_name).write_bytes(s.material_bytes(ref.type_code))
    path = directory / f"{application.request_id}.xml"
    path.write_bytes(etree.tostring(factories.unsigned_xml(application), xml_declaration=True, encoding="UTF-8"))
    return path


def pre_notice() -> CanonicalApplication:
    """预购商品房抵押预告登记 of the off-plan flat by its two buyers (the test mortgagors)."""
    return s.pre_notice()


def ownership_transfer(group_id: str) -> CanonicalApplication:
    """转移登记 of the sellers' flat to the buyers, filed by the buyer's bank (the test bank), first of the
    group; the seller's mortgage is carried over, with the seller's bank's consent."""
    return replace(factories.application(
        registration_type=RegistrationType.OWNERSHIP_TRANSFER, mortgagors=BUYERS, sellers=SELLERS, buyers=BUYERS,
        sale_contract_no=SALE_CONTRACT_NO, sale_price=Decimal(SALE_PRICE),
        materials=s.refs("SALE_CONTRACT", "MORTGAGEE_CONSENT", "ID_DOCUMENT"),
        secured_amount=None, debt_start=None, debt_end=None, loan_contract_no=None, mortgage_contract_no=None,
        debtor=None), link=LinkRef(group_id, 1, 2))


def buyers_mortgage(group_id: str) -> CanonicalApplication:
    """The buyer's bank's first mortgage on the flat, the buyers as mortgagors, second of the group."""
    return replace(factories.application(mortgagors=BUYERS, debtor=BUYERS[0],
                                         loan_contract_no="PLB-LOAN-2026-0456",
                                         mortgage_contract_no="PLB-MTG-2026-0456"),
                   link=LinkRef(group_id, 2, 2))


# --- the departments' records ---------------------------------------------------------------------------------------

# The records' bodies, the parties and the units are the integration tests' (tests/support/department_records.py).


def write_json(path: Path, value: dict) -> Path:
    path.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    return path


def leaf_paths(value, prefix: str = "") -> set[str]:
    """Every leaf of a query's ``result`` as a path (``units[].owners[].share``), to compare with the
    answer's declared field set (data minimisation)."""
    if isinstance(value, dict):
        paths: set[str] = set()
        for key, item in value.items():
            paths |= leaf_paths(item, f"{prefix}.{key}" if prefix else key)
        return paths
    if isinstance(value, list):
        return set().union(*(leaf_paths(item, f"{prefix}[]") for item in value)) if value else set()
    return {prefix}


# --- reading what the centre's side shows ---------------------------------------------------------------------------

def finding_codes(receipt_fields: dict) -> set[str]:
    """The finding codes of a receipt, as gateway-client prints its signed fields."""
    findings = (receipt_fields.get("findings") or {}).get("finding") or []
    return {f["code"] if isinstance(f, dict) else f for f in findings}


def review_view(staff: httpx.Client, number: str) -> dict:
    """The review API's view of an application: findings, the departments' records."""
    view = staff.get(f"/v1/review/applications/{number}")
    assert view.status_code == 200, view.text
    return view.json()


def accesses(supervisor: httpx.Client, **subject: str) -> list[dict]:
    """Who looked at my file: the supervision search by unit code or ID number."""
    answer = supervisor.post("/v1/supervision/accesses", json=subject)
    assert answer.status_code == 200, answer.text
    return answer.json()["accesses"]
