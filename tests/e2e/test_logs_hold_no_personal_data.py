"""The log of a real `gateway serve` holds no personal data and no secrets, and an operator can
read it: every line has a time, a level and the request's id, and a refusal is found by the
``X-Request-ID`` the client was given.

The run is the bank's whole flow (tests/e2e/test_bank_flow.py), plus what puts personal data and
secrets in front of the gateway without being part of it: every example request of
docs/interface/examples checked by dry run, an unsigned application, a query string with an ID
number, a wrong password, a web sign-in and a request with a bad HTTP signature.
"""
from __future__ import annotations

import json
import re
import subprocess
import time
import uuid
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest
from lxml import etree

from bank_adapters import Mortgagee
from bank_adapters.xml_v1 import XmlApplicationAdapter
from signing.httpsig import HttpSignatureAuth, sign_headers
from tests.e2e.test_bank_flow import PASSWORD, drive_the_whole_flow, onboard, receiver  # noqa: F401 (fixture)
from tests.support import factories
from tests.support.processes import BIN, Process, free_port, gateway_env

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "interface" / "examples"
NS = {"g": "urn:pingluo-bdc:mortgage-gateway:v1"}
TIMESTAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
TEXT_LINE = re.compile(rf"^{TIMESTAMP} (DEBUG|INFO|WARNING|ERROR|CRITICAL) \S+ request_id=\S+ actor=\S+ ")


def people_in_the_examples() -> set[str]:
    """Names and ID numbers of every natural person in the example requests and the test factories."""
    values: set[str] = set()
    for path in sorted(EXAMPLES.glob("*.xml")):
        for party in etree.parse(str(path)).iterfind(".//g:Party", NS):
            if party.findtext("g:IdType", namespaces=NS) != "USCC":
                values.update(filter(None, (party.findtext("g:Name", namespaces=NS),
                                            party.findtext("g:IdNumber", namespaces=NS))))
    for person in factories.application().mortgagors:
        values.update((person.name, person.id_number))
    return values


def example_applications(pki) -> list[bytes]:
    """Each example request, as the test bank would send it (its code, a registered unit, our materials)."""
    requests = []
    for path in sorted(EXAMPLES.glob("*-request.xml")):
        application = XmlApplicationAdapter().to_canonical(etree.parse(str(path)).getroot())
        application = replace(
            application, request_id=f"LOG-{uuid.uuid4().hex[:12]}", created_at=datetime.now(timezone.utc).replace(
                microsecond=0), mortgagee=Mortgagee(factories.BANK_CODE, "平罗县测试商业银行"),
            unit_code=factories.UNIT_CODE, materials=factories.material_refs())
        requests.append(factories.signed_request(application, pki.bank))
    return requests


def start_server(env: dict[str, str], log_dir: Path) -> tuple[Process, str, Path]:
    """`gateway serve` as tests/support/processes.py starts it, with its log (standard error) in a
    file of its own, apart from what it prints (the banner)."""
    port = free_port()
    log_path = log_dir / "serve-log.txt"
    server = Process(["sh", "-c", f'exec "{BIN / "gateway"}" serve --port {port} 2>"{log_path}"'], env,
                     log_dir / "serve-output.txt")
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.process.poll() is None, f"gateway serve exited: {log_path.read_text()}"
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return server, base_url, log_path
        except httpx.HTTPError:
            time.sleep(0.2)
    server.stop()
    raise AssertionError(f"gateway serve did not start: {log_path.read_text()}")


def gateway_cli(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run([str(BIN / "gateway"), *args], env=env, input=stdin, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return result


def staff_token(base_url: str, username: str) -> str:
    response = httpx.post(f"{base_url}/v1/staff/sessions", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return response.json()["token"]


def web_sign_in(base_url: str) -> httpx.Client:
    browser = httpx.Client(base_url=base_url, timeout=30)
    form = browser.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    signed_in = browser.post("/login", data={"username": "reviewer", "password": PASSWORD, "csrf_token": csrf})
    assert signed_in.status_code in (200, 303), signed_in.text
    assert browser.get("/review/queue").status_code == 200
    return browser


def put_personal_data_and_secrets_in_front_of_the_gateway(base_url: str, pki) -> dict[str, str]:
    """Requests carrying personal data and secrets; returns the secrets they used, by name."""
    bank = httpx.Client(base_url=base_url, timeout=30,
                        auth=HttpSignatureAuth(key_id=pki.bank.fingerprint, private_key=pki.bank.key))
    for request in example_applications(pki):
        checked = bank.post("/v1/applications/dry-run", content=request, headers={"Content-Type": "application/xml"})
        assert checked.status_code in (200, 422), checked.text
    unsigned = etree.tostring(factories.unsigned_xml(factories.application()))
    assert httpx.post(f"{base_url}/v1/applications", content=unsigned,
                      headers={"Content-Type": "application/xml"}).status_code == 422
    wrong = httpx.post(f"{base_url}/v1/staff/sessions", json={"username": "reviewer", "password": "wrong-" + PASSWORD})
    assert wrong.status_code == 401
    reviewer, admin = staff_token(base_url, "reviewer"), staff_token(base_url, "admin")
    queue = httpx.get(f"{base_url}/v1/review/queue", params={"after": "640221198503150018"},
                      headers={"Authorization": f"Bearer {reviewer}"})
    assert queue.status_code in (200, 422)
    assert httpx.get(f"{base_url}/v1/admin/deliveries", headers={"Authorization": f"Bearer {admin}"}).status_code == 200
    browser = web_sign_in(base_url)
    return {"reviewer token": reviewer, "admin token": admin,
            **{f"web cookie {name}": value for name, value in browser.cookies.items()}}


def refused_with_a_bad_signature(base_url: str, pki) -> httpx.Response:
    """A material upload whose body is not the one that was signed."""
    data = factories.MATERIALS["LOAN_CONTRACT"]
    url = f"{base_url}/v1/materials/{factories.sha256(data)}"
    headers = {"Content-Type": "application/pdf"}
    headers.update(sign_headers(method="PUT", url=url, headers=headers, body=data, key_id=pki.bank.fingerprint,
                                private_key=pki.bank.key))
    tampered = httpx.put(url, content=data + b"tampered", headers=headers)
    assert tampered.status_code == 401, tampered.text
    assert tampered.json()["code"] == "http_signature.invalid"
    return tampered


@pytest.mark.parametrize(("log_format", "level"), [("text", "DEBUG"), ("json", "INFO")])
def test_the_servers_log_holds_no_personal_data_or_secrets_and_names_each_request(
        tmp_path, pki, receiver, log_format, level):  # noqa: F811 (the fixture)
    env = gateway_env(tmp_path / "var", pki, GATEWAY_LOG_FORMAT=log_format, GATEWAY_LOG_LEVEL=level)
    cli_stderr = [gateway_cli(env, "db", "upgrade").stderr]
    onboard(env, pki, receiver, tmp_path)
    cli_stderr.append(gateway_cli(env, "institution", "list").stderr)
    server, base_url, log_path = start_server(env, tmp_path)
    try:
        drive_the_whole_flow(base_url, pki, receiver, tmp_path)
        secrets = put_personal_data_and_secrets_in_front_of_the_gateway(base_url, pki)
        refused = refused_with_a_bad_signature(base_url, pki)
        quoted = httpx.get(f"{base_url}/v1/catalogue", headers={"X-Request-ID": "bank-ticket-42"})
    finally:
        server.stop()
    log, output = log_path.read_text(), server.log()

    secrets.update({
        "staff password": PASSWORD,
        "token signing secret": (tmp_path / "var" / "keys" / "staff-token-secret").read_text().strip(),
        "private key": "PRIVATE KEY",
    })
    people = people_in_the_examples()
    assert len(people) > 20  # the scan below is not vacuous
    found = [value for value in people if value in log + output]
    assert not found, f"personal data in the log: {found}"
    leaked = [name for name, value in secrets.items() if value and value in log + output]
    assert not leaked, f"secrets in the log: {leaked}"
    assert "Bearer" not in log and "Warning" not in "".join(cli_stderr)

    entries = parsed(log, log_format)
    rid = refused.headers["X-Request-ID"]
    assert any(e["level"] == "INFO" and e["request_id"] == rid and e["actor"] is None
               and e["message"].startswith("refused PUT /v1/materials/") and e["message"].endswith(": http_signature.invalid")
               for e in entries), f"no refusal line with request id {rid}"
    assert quoted.headers["X-Request-ID"] == "bank-ticket-42"
    assert any(e["request_id"] == "bank-ticket-42" and e["message"].startswith("GET /v1/catalogue 200 ")
               for e in entries)
    assert any(e["actor"] == factories.BANK_CODE for e in entries)
    assert any(e["actor"] == "staff:reviewer" for e in entries)
    assert any(e["logger"].startswith("uvicorn") for e in entries)  # the server's own lines, same format


def parsed(log: str, log_format: str) -> list[dict]:
    """Every line of the log as its fields; each line must have the format's shape."""
    entries = []
    for line in log.splitlines():
        if log_format == "json":
            entry = json.loads(line)
            assert re.fullmatch(TIMESTAMP, entry["time"]), line
        else:
            match = TEXT_LINE.match(line)
            assert match, f"not a log line: {line!r}"
            time, level, logger, request_id, actor, message = line.split(" ", 5)
            entry = {"time": time, "level": level, "logger": logger, "request_id": _value(request_id),
                     "actor": _value(actor), "message": message}
        assert entry["level"] in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"} and entry["logger"], line
        entries.append(entry)
    return entries


def _value(field: str) -> str | None:
    value = field.split("=", 1)[1]
    return None if value == "-" else value
