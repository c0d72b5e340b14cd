"""Demo data for ``make run``: keys, a bank, a housing-fund centre, staff — created on first run."""
from __future__ import annotations

import json
import secrets
from datetime import timedelta
from pathlib import Path
from typing import TextIO

from gateway.persistence.db import make_engine, make_session_factory, transaction
from gateway.persistence.migrate import upgrade
from gateway.persistence.types import utcnow
from gateway.settings import Settings
from signing.pki import certificate_to_pem, generate_private_key, issue_certificate, make_ca, private_key_to_pem

# Fictitious institutions; the codes carry valid GB 32100 check characters.
DEMO_BANK = {"code": "91640221MA76B3KX56", "name": "平罗县演示商业银行", "kind": "bank"}
DEMO_FUND = {"code": "12640221MB12345676", "name": "石嘴山市住房公积金管理中心平罗分中心（演示）", "kind": "housing_fund"}


def initialise_demo(settings: Settings, *, out: TextIO) -> dict:
    """Create the demo PKI, institutions and users once; print how to use them every time."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    credentials_path = settings.data_dir / "demo" / "credentials.json"
    upgrade(make_engine(settings.effective_database_url))
    if not credentials_path.exists():
        _create(settings, credentials_path)
    credentials = json.loads(credentials_path.read_text())
    _print(settings, credentials, out)
    return credentials


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
        key = generate_private_key("rsa")
        cert = issue_certificate(ca_key=ca_key, ca_cert=ca_cert, common_name=cn, organization=org,
                                 public_key=key.public_key(), not_before=now - timedelta(days=1),
                                 not_after=now + timedelta(days=730))
        _write(demo / f"{name}-key.pem" if name != "gateway" else keys / "gateway-key.pem",
               private_key_to_pem(key), private=True)
        cert_pem = certificate_to_pem(cert)
        _write(demo / f"{name}-cert.pem" if name != "gateway" else keys / "gateway-cert.pem", cert_pem)
        return cert_pem

    leaf("gateway", "Pingluo Registration Gateway", "平罗县不动产登记中心")
    bank_cert = leaf("bank", "Demo Bank Core System", DEMO_BANK["name"])
    fund_cert = leaf("housing-fund", "Demo Housing Fund Centre", DEMO_FUND["name"])
    credentials = _seed_database(settings, bank_cert, fund_cert)
    _write(credentials_path, json.dumps(credentials, ensure_ascii=False, indent=2).encode(), private=True)


def _seed_database(settings: Settings, bank_cert: bytes, fund_cert: bytes) -> dict:
    from gateway.institutions.service import add_institution
    from gateway.staff.service import add_user

    users = {
        "reviewer": {"role": "reviewer", "password": secrets.token_urlsafe(9)},
        "admin": {"role": "admin", "password": secrets.token_urlsafe(9)},
        "clerk": {"role": "clerk", "password": secrets.token_urlsafe(9), "institution": DEMO_FUND["code"]},
        "supervisor": {"role": "supervisor", "password": secrets.token_urlsafe(9)},
    }
    sessions = make_session_factory(make_engine(settings.effective_database_url))
    with transaction(sessions) as session:
        add_institution(session, cert_pem=bank_cert, **DEMO_BANK)
        add_institution(session, cert_pem=fund_cert, **DEMO_FUND)
        for username, user in users.items():
            add_user(session, username=username, role=user["role"], password=user["password"],
                     institution_code=user.get("institution"))
    return {"users": users, "bank": DEMO_BANK, "housing_fund": DEMO_FUND}


def _print(settings: Settings, credentials: dict, out: TextIO) -> None:
    demo = (settings.data_dir / "demo").resolve()
    print(f"\nMortgage registration gateway — demo data in {settings.data_dir.resolve()}", file=out)
    print(f"  URL:            {settings.public_base_url}  (API docs: {settings.public_base_url}/docs)", file=out)
    for username, user in credentials["users"].items():
        print(f"  {user['role']:<10} login: {username} / {user['password']}", file=out)
    bank = credentials["bank"]
    print(f"  demo bank:      {bank['name']} ({bank['code']}), key {demo}/bank-key.pem, "
          f"certificate {demo}/bank-cert.pem", file=out)
    print("", file=out)
