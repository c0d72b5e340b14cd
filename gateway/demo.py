"""Demo data for ``make run``: keys, banks, a housing-fund centre, the tax and housing bureaus, staff —
created on first run (the departments also added to a demo made before they existed)."""
from __future__ import annotations

import json
import secrets
from datetime import timedelta
from pathlib import Path
from typing import TextIO

from gateway.keys import key_paths
from gateway.persistence.db import make_engine, make_session_factory, transaction
from gateway.persistence.migrate import upgrade
from gateway.persistence.types import utcnow
from gateway.protection import install_for
from gateway.settings import Settings
from signing.pki import certificate_to_pem, generate_private_key, issue_certificate, make_ca, private_key_to_pem
from signing.trust import TrustStore

# Fictitious institutions (the ones docs/interface/examples use); valid check characters (GB 32100, GB 11714).
DEMO_BANK = {"code": "91640221MA76R3PK3Q", "name": "宁夏示例银行股份有限公司平罗支行", "kind": "bank"}
DEMO_FUND = {"code": "12640200455762132G", "name": "石嘴山市住房公积金管理中心平罗管理部", "kind": "housing_fund"}
FUND_ROLE = "fund_centre"  # the demo housing-fund centre is also a department (docs/interface/departments.md §1)
DEMO_RURAL_BANK = {"code": "91640221MA75XQ2D4J", "name": "宁夏示例农村商业银行股份有限公司平罗支行", "kind": "bank"}
# The departments of docs/interface/departments.md (the codes its examples use).
DEMO_TAX_BUREAU = {"code": "11640221MB1234562R", "name": "国家税务总局平罗县税务局", "kind": "department",
                   "department_role": "tax_bureau"}
DEMO_HOUSING_BUREAU = {"code": "11640221MB76543229", "name": "平罗县住房和城乡建设局", "kind": "department",
                       "department_role": "housing_bureau"}
# credentials.json key -> (institution, key file stem in the demo folder, certificate's common name)
DEMO_DEPARTMENTS = {"tax_bureau": (DEMO_TAX_BUREAU, "tax-bureau", "Demo Tax Bureau"),
                    "housing_bureau": (DEMO_HOUSING_BUREAU, "housing-bureau", "Demo Housing Bureau")}
DEMO_REGISTER = Path(__file__).parent / "register" / "demo_register.csv"


def initialise_demo(settings: Settings, *, out: TextIO) -> dict:
    """Create the demo PKI, institutions and users once; print how to use them every time."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    credentials_path = settings.data_dir / "demo" / "credentials.json"
    install_for(settings)  # the register and institutions it adds are encrypted with these settings' keys
    upgrade(make_engine(settings.effective_database_url))
    if not credentials_path.exists():
        _create(settings, credentials_path)
    _hold_fund_key(settings)
    credentials = json.loads(credentials_path.read_text())
    if any(name not in credentials for name in DEMO_DEPARTMENTS):
        credentials = _add_departments(settings, credentials_path, credentials)
    _write_client_configs(settings, credentials)
    _print(settings, credentials, out)
    return credentials


def _write_client_configs(settings: Settings, credentials: dict) -> None:
    """``demo/<department>.toml`` for ``department-client --config`` (docs/interface/departments.md §10),
    rewritten at every run so that it follows the gateway's URL."""
    demo = settings.data_dir / "demo"
    gateway_certificate = key_paths(settings)[1].resolve()
    stems = {name: stem for name, (_, stem, _) in DEMO_DEPARTMENTS.items()} | {"housing_fund": "housing-fund"}
    for name, stem in stems.items():
        if not credentials.get(name, {}).get("department_role") or not (demo / f"{stem}-key.pem").exists():
            continue
        text = (f"# written by `gateway demo init` (rewritten at every run): the demo {name.replace('_', ' ')}\n"
                f"gateway_url = {json.dumps(settings.public_base_url)}\n"
                f"department = {json.dumps(credentials[name]['code'])}\n"
                f'key = "{stem}-key.pem"\ncertificate = "{stem}-cert.pem"\n'
                f"gateway_certificate = {json.dumps(str(gateway_certificate))}\n"
                f'store = "{stem}-store"\n')
        _write(demo / f"{stem}.toml", text.encode())


def _write(path: Path, data: bytes, *, private: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if private:
        path.chmod(0o600)


def _create(settings: Settings, credentials_path: Path) -> None:
    now = utcnow()
    keys, demo = settings.data_dir / "keys", settings.data_dir / "demo"
    ca_key, ca_cert = make_ca(common_name="Pingluo Demo CA", organization="演示证书机构",
                              not_before=now - timedelta(days=1), not_after=now + timedelta(days=3650))
    _write(keys / "trust-anchors.pem", certificate_to_pem(ca_cert))
    _write(demo / "ca-key.pem", private_key_to_pem(ca_key), private=True)

    def leaf(name: str, cn: str, org: str) -> bytes:
        return _leaf(ca_key, ca_cert, keys if name in ("gateway", "seal") else demo, name, cn, org)

    leaf("gateway", "Pingluo Registration Gateway", "平罗县不动产登记中心")
    leaf("seal", "平罗县不动产登记中心电子印章（演示）", "平罗县不动产登记中心")
    certificates = {
        "bank": leaf("bank", "Demo Bank Core System", DEMO_BANK["name"]),
        "housing_fund": leaf("housing-fund", "Demo Housing Fund Centre", DEMO_FUND["name"]),
        "rural_bank": leaf("rural-bank", "Demo Rural Bank Core System", DEMO_RURAL_BANK["name"]),
    }
    # The demo's institutions are checked against the demo CA, the anchor just written for them.
    credentials = _seed_database(settings, certificates, TrustStore(anchors=(ca_cert,)))
    _write(credentials_path, json.dumps(credentials, ensure_ascii=False, indent=2).encode(), private=True)


def _leaf(ca_key, ca_cert, folder: Path, name: str, cn: str, org: str) -> bytes:
    """A signing key and certificate from the demo CA, as ``folder/NAME-key.pem`` and ``NAME-cert.pem``."""
    now = utcnow()
    key = generate_private_key("rsa")
    cert = issue_certificate(ca_key=ca_key, ca_cert=ca_cert, common_name=cn, organization=org,
                             public_key=key.public_key(), not_before=now - timedelta(days=1),
                             not_after=now + timedelta(days=730))
    _write(folder / f"{name}-key.pem", private_key_to_pem(key), private=True)
    cert_pem = certificate_to_pem(cert)
    _write(folder / f"{name}-cert.pem", cert_pem)
    return cert_pem


def _add_departments(settings: Settings, credentials_path: Path, credentials: dict) -> dict:
    """The demo tax bureau and housing bureau (keys from the demo CA), and the housing-fund centre's
    role: each given its role's default purposes and subscriptions. Also run on a demo made before
    the departments existed; a department already registered under its code is kept as it is."""
    from gateway.departments.grants import start_department
    from gateway.institutions.service import add_institution, find_by_code
    from signing.pki import load_private_key_pem
    from signing.trust import load_pem_certificates

    keys, demo = settings.data_dir / "keys", settings.data_dir / "demo"
    ca_key = load_private_key_pem((demo / "ca-key.pem").read_bytes())
    [ca_cert] = load_pem_certificates((keys / "trust-anchors.pem").read_bytes())[:1]
    trust = TrustStore(anchors=(ca_cert,))
    sessions = make_session_factory(make_engine(settings.effective_database_url))
    with transaction(sessions) as session:
        for name, (institution, stem, cn) in DEMO_DEPARTMENTS.items():
            if find_by_code(session, institution["code"]) is None:
                cert_pem = _leaf(ca_key, ca_cert, demo, stem, cn, institution["name"])
                start_department(session, add_institution(session, cert_pem=cert_pem, trust=trust, **institution),
                                 actor="demo")
            credentials[name] = {key: institution[key] for key in ("code", "name", "kind", "department_role")}
        fund = find_by_code(session, DEMO_FUND["code"])
        if fund is not None and fund.department_role is None:
            fund.department_role = FUND_ROLE
            session.flush()
            start_department(session, fund, actor="demo")
        if fund is not None:
            credentials["housing_fund"] = {**credentials["housing_fund"], "department_role": fund.department_role}
    _write(credentials_path, json.dumps(credentials, ensure_ascii=False, indent=2).encode(), private=True)
    return credentials


def _hold_fund_key(settings: Settings) -> None:
    """The demo housing fund applies through the staff web: the gateway holds its key (custody)."""
    from gateway.institutions.custody import has_custody_key, install_custody_key

    demo = settings.data_dir / "demo"
    if not has_custody_key(settings, DEMO_FUND["code"]) and (demo / "housing-fund-key.pem").exists():
        install_custody_key(settings, DEMO_FUND["code"], key_pem=(demo / "housing-fund-key.pem").read_bytes(),
                            cert_pem=(demo / "housing-fund-cert.pem").read_bytes())


def _seed_database(settings: Settings, certificates: dict[str, bytes], trust: TrustStore) -> dict:
    from gateway.institutions.service import add_institution
    from gateway.register.importer import import_register
    from gateway.staff.service import add_user

    users = {
        "reviewer": {"role": "reviewer", "password": secrets.token_urlsafe(9)},
        "admin": {"role": "admin", "password": secrets.token_urlsafe(9)},
        "clerk": {"role": "clerk", "password": secrets.token_urlsafe(9), "institution": DEMO_FUND["code"]},
        "supervisor": {"role": "supervisor", "password": secrets.token_urlsafe(9)},
    }
    sessions = make_session_factory(make_engine(settings.effective_database_url))
    with transaction(sessions) as session:
        add_institution(session, cert_pem=certificates["bank"], trust=trust, **DEMO_BANK)
        add_institution(session, cert_pem=certificates["housing_fund"], trust=trust, **DEMO_FUND)  # role: below
        add_institution(session, cert_pem=certificates["rural_bank"], trust=trust, **DEMO_RURAL_BANK)
        report = import_register(session, DEMO_REGISTER)
        if report.errors:
            raise RuntimeError(f"the demo register does not import: {report.errors}")
        for username, user in users.items():
            add_user(session, username=username, role=user["role"], password=user["password"],
                     institution_code=user.get("institution"))
    return {"users": users, "bank": DEMO_BANK, "housing_fund": DEMO_FUND, "rural_bank": DEMO_RURAL_BANK}


def _print(settings: Settings, credentials: dict, out: TextIO) -> None:
    demo = (settings.data_dir / "demo").resolve()
    print(f"\nMortgage registration gateway — demo data in {settings.data_dir.resolve()}", file=out)
    print(f"  URL:            {settings.public_base_url}  (API docs: {settings.public_base_url}/docs)", file=out)
    print(f"  staff web:      {settings.public_base_url}/login  (clerk, reviewer, supervisor: see docs/web.md)",
          file=out)
    for username, user in credentials["users"].items():
        print(f"  {user['role']:<10} login: {username} / {user['password']}", file=out)
    bank = credentials["bank"]
    print(f"  demo bank:      {bank['name']} ({bank['code']}), key {demo}/bank-key.pem, "
          f"certificate {demo}/bank-cert.pem", file=out)
    for name, (_, stem, _) in DEMO_DEPARTMENTS.items():
        if name in credentials:
            department = credentials[name]
            label = f"demo {department['department_role'].replace('_', ' ')}:"
            print(f"  {label:<15} {department['name']} ({department['code']}), key {demo}/{stem}-key.pem, "
                  f"certificate {demo}/{stem}-cert.pem", file=out)
    fund = credentials["housing_fund"]
    if fund.get("department_role"):
        print(f"  demo fund centre: {fund['name']} ({fund['code']}), also a department "
              f"(role {fund['department_role']}), key {demo}/housing-fund-key.pem", file=out)
    print(f"  gateway certificate (to pin): {key_paths(settings)[1].resolve()}", file=out)
    print(f"  department-client --config {demo}/tax-bureau.toml (also housing-bureau.toml, housing-fund.toml): "
          "docs/interface/departments.md §10", file=out)
    print("", file=out)
