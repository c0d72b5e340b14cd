"""What an operator does before a bank can use a real `gateway` process, through the CLI: upgrade the
database, import the register (the test unit owned by the two test mortgagors), register the test bank
with its certificate, add staff. The environment of a PostgreSQL + Celery deployment, and the bank's
callback receiver. And the HTTP clients the end-to-end tests act with: the bank's (HTTP Message
Signatures with its key) and a signed-in member of staff's."""
from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from signing.httpsig import HttpSignatureAuth
from tests.support import factories
from tests.support.callbacks import CallbackReceiver
from tests.support.processes import cli, gateway_env

PASSWORD = "e2e-reviewer-password"
BANK_NAME = "平罗县测试商业银行"
REGISTER_CSV = """record_type,unit_code,location,use,state,name,id_type,id_number,share
UNIT,{unit},平罗县城关镇测试路1号1单元101室,RESIDENTIAL,TITLED,,,,
OWNER,{unit},,,,{m0.name},RESIDENT_ID,{m0.id_number},1/2
OWNER,{unit},,,,{m1.name},RESIDENT_ID,{m1.id_number},1/2
"""


def onboard(env: dict[str, str], pki, tmp_path: Path, *, callback_url: str | None = None,
            staff: tuple[str, ...] = ("reviewer",), password: str = PASSWORD) -> str:
    """Upgrade the database, import the register from ``tmp_path/register.csv``, add the bank (pull only
    unless ``callback_url``), and add each of ``staff`` (username and role alike) with ``password``.
    Returns what `gateway register import` printed."""
    cli(env, "db", "upgrade")
    mortgagors = factories.application().mortgagors
    register = tmp_path / "register.csv"
    register.write_text(REGISTER_CSV.format(unit=factories.UNIT_CODE, m0=mortgagors[0], m1=mortgagors[1]),
                        encoding="utf-8")
    imported = cli(env, "register", "import", str(register))
    add_bank(env, pki, callback_url=callback_url)
    for username in staff:
        cli(env, "user", "add", "--username", username, "--role", username, "--password-stdin", stdin=password + "\n")
    return imported


def add_bank(env: dict[str, str], pki, *, callback_url: str | None = None) -> None:
    """The test bank with its certificate, and its callback URL if it has one."""
    callback = ["--callback-url", callback_url] if callback_url else []
    cli(env, "institution", "add", "--code", factories.BANK_CODE, "--name", BANK_NAME, "--kind", "bank",
        "--cert", str(pki.bank.cert_path), *callback)


def celery_env(tmp_path: Path, pki, postgres_url: str, redis_server: str, **extra: str) -> tuple[dict[str, str], str]:
    """The environment of a gateway on PostgreSQL whose tasks go through Celery, on a queue of its own (parallel
    runs on the shared Redis take only their own tasks); and that queue, for :func:`drop_queue`."""
    queue = f"gateway-test-{uuid.uuid4().hex[:12]}"
    return gateway_env(tmp_path / "var", pki, GATEWAY_DATABASE_URL=postgres_url, GATEWAY_TASK_MODE="celery",
                       GATEWAY_BROKER_URL=redis_server, GATEWAY_TASK_QUEUE=queue, **extra), queue


def drop_queue(redis_server: str, queue: str) -> None:
    import redis

    redis.Redis.from_url(redis_server).delete(queue, f"_kombu.binding.{queue}")


@pytest.fixture
def receiver():
    """The bank's callback receiver: the first POST fails (500) and must be retried."""
    receiver = CallbackReceiver(fail_first=1).start()
    yield receiver
    receiver.stop()


def bank_auth(pki) -> HttpSignatureAuth:
    return HttpSignatureAuth(key_id=pki.bank.fingerprint, private_key=pki.bank.key)


def bank_http(base_url: str, pki, *, timeout: float = 30) -> httpx.Client:
    """The bank's client: every request signed with its key."""
    return httpx.Client(base_url=base_url, timeout=timeout, auth=bank_auth(pki))


def staff_http(base_url: str, username: str = "reviewer", password: str = PASSWORD) -> httpx.Client:
    """A member of staff's client, signed in: every request carries the session's bearer token."""
    client = httpx.Client(base_url=base_url, timeout=30)
    token = client.post("/v1/staff/sessions", json={"username": username, "password": password}).json()["token"]
    client.headers["Authorization"] = f"Bearer {token}"
    return client


DEPARTMENT_NAMES = {"tax_bureau": "国家税务总局平罗县税务局", "housing_bureau": "平罗县住房和城乡建设局",
                    "fund_centre": "石嘴山市住房公积金管理中心平罗管理部"}


def add_department(env: dict[str, str], pki_identity, code: str, role: str, purposes=None,
                   callback_url: str | None = None, *, kind: str = "department") -> str:
    """A department (税务局, 住建局, 公积金中心) registered through the CLI with its certificate and role; its
    role's default purposes unless ``purposes`` names exactly the ones it gets. Returns the purposes printed."""
    callback = ["--callback-url", callback_url] if callback_url else []
    cli(env, "institution", "add", "--code", code, "--name", DEPARTMENT_NAMES[role], "--kind", kind, "--role", role,
        "--cert", str(pki_identity.cert_path), *callback)
    if purposes is None:
        return cli(env, "institution", "purposes", "--code", code)
    from gateway.departments.purposes import default_purposes

    current, wanted = set(default_purposes(role)), set(purposes)
    change = (["--grant", *sorted(wanted - current)] if wanted - current else []) + \
             (["--revoke", *sorted(current - wanted)] if current - wanted else [])
    return cli(env, "institution", "purposes", "--code", code, *change)


def department_auth(pki_identity) -> HttpSignatureAuth:
    """A department's HTTP signature with its registered key (like a bank's)."""
    return HttpSignatureAuth(key_id=pki_identity.fingerprint, private_key=pki_identity.key)


def department_http(base_url: str, pki_identity, *, timeout: float = 30) -> httpx.Client:
    """A department's client: every request signed with its key."""
    return httpx.Client(base_url=base_url, timeout=timeout, auth=department_auth(pki_identity))
