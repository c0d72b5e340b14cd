"""The department client's own pieces without a gateway (a stand-in HTTP transport): its configuration,
its signed queries and record pushes (checked with the gateway's own verifier), and its refusal of any
answer, receipt or event the gateway did not sign for exactly what was asked."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import httpx
import pytest

from gateway_client.config import load_config
from gateway_client.department import DEFAULT_FILE, ENV_FILE, ENV_KEYS, EventReceiver, main
from gateway_client.department_api import DepartmentApi, member
from gateway_client.documents import DocumentVerifier
from gateway_client.errors import ConfigError, VerificationFailed
from gateway_client.keys import load_identity
from gateway_client.store import Store
from signing import jws as gateway_jws
from signing.httpsig import sign_headers, verify_request
from tests.support import factories

TAX = factories.TAX_BUREAU_CODE
ID_NUMBER = "640221198503150018"


def write_config(tmp_path: Path, pki, *, code: str = TAX) -> Path:
    path = tmp_path / DEFAULT_FILE
    path.write_text(f'gateway_url = "http://gw.test/"\ndepartment = "{code}"\nkey = "{pki.tax_bureau.key_path}"\n'
                    f'certificate = "{pki.tax_bureau.cert_path}"\ngateway_certificate = "{pki.gateway.cert_path}"\n'
                    'store = "store"\n[listen]\nport = 9000\n', encoding="utf-8")
    return path


def load(path: Path, environ: dict | None = None):
    return load_config(path, environ=environ or {}, default_file=DEFAULT_FILE, env_file=ENV_FILE, env_keys=ENV_KEYS)


def signed(pki, payload: dict, *, by=None) -> bytes:
    identity = by or pki.gateway
    return gateway_jws.sign_compact(json.dumps(payload).encode(), key=identity.key, certificate=identity.certificate)


class StandInGateway:
    """Answers every request with ``answer(request) -> (status, body, headers)``; keeps the requests and
    checks each is HTTP-signed by the tax bureau's key (with the gateway's own verifier)."""

    def __init__(self, pki, answer):
        self.pki, self.answer, self.requests = pki, answer, []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        verified = verify_request(method=request.method, url=str(request.url), headers=request.headers.items(),
                                  body=request.content, resolve_key=lambda key_id: self.pki.tax_bureau.certificate
                                  .public_key() if key_id == self.pki.tax_bureau.fingerprint else None)
        self.requests.append((request, verified))
        status, body, headers = self.answer(request)
        return httpx.Response(status, content=body, headers={"Content-Type": "application/jose", **headers})


def api_for(tmp_path, pki, answer, **options) -> tuple[DepartmentApi, StandInGateway]:
    config = load(write_config(tmp_path, pki))
    gateway = StandInGateway(pki, answer)
    verifier = DocumentVerifier([pki.gateway.certificate])
    return DepartmentApi(config, load_identity(config), verifier, transport=httpx.MockTransport(gateway),
                         **options), gateway


def query_answer(pki, *, case: str = "QS-1", query_id: str = "DQ-1", by=None, header_id: str | None = None):
    def answer(request: httpx.Request):
        asked = json.loads(request.content)
        payload = {"document": "DepartmentAnswer", "query": "unit-extract", "query_id": query_id,
                   "purpose": asked["purpose"], "case_reference": case, "department": TAX,
                   "answered_at": "2026-12-07T02:30:00Z", "fields": ["unit.unit_code"],
                   "result": {"unit": {"unit_code": factories.UNIT_CODE}}}
        return 200, signed(pki, payload, by=by), {"X-Query-Id": header_id or query_id}
    return answer


def test_a_department_configuration_names_its_code_and_reads_its_own_environment(tmp_path, pki):
    config = load(write_config(tmp_path, pki), {"DEPARTMENT_CLIENT_URL": "http://other.test",
                                                "BANK_CLIENT_URL": "http://bank.test"})
    assert config.institution == TAX and config.gateway_url == "http://other.test"
    assert config.store == (tmp_path / "store").resolve()


def test_a_family_member_is_role_type_and_number_and_a_malformed_one_is_refused_without_its_number():
    assert member(f"applicant:resident_id:{ID_NUMBER}") == {"role": "APPLICANT", "id_type": "RESIDENT_ID",
                                                            "id_number": ID_NUMBER}
    with pytest.raises(ConfigError) as refused:
        member(f"APPLICANT:{ID_NUMBER}")
    assert ID_NUMBER not in str(refused.value) and "ROLE:ID_TYPE:ID_NUMBER" in str(refused.value)


def test_a_query_is_signed_by_the_department_covering_its_body_and_the_verified_answer_is_returned(tmp_path, pki):
    api, gateway = api_for(tmp_path, pki, query_answer(pki))
    answer = api.unit_extract(purpose="TRANSFER_TAX_CHECK", case_reference="QS-1", unit_code=factories.UNIT_CODE)
    [(request, verified)] = gateway.requests
    assert request.url.path == "/v1/departments/queries/unit-extract"
    assert verified.key_id == pki.tax_bureau.fingerprint and "content-digest" in verified.covered_components
    assert json.loads(request.content) == {"purpose": "TRANSFER_TAX_CHECK", "case_reference": "QS-1",
                                           "unit_code": factories.UNIT_CODE}  # no "department": it signs as itself
    assert answer.payload["query_id"] == "DQ-1" and answer.document.signer == pki.gateway.fingerprint


def test_signing_as_another_department_sends_that_code_for_the_gateway_to_refuse(tmp_path, pki):
    api, gateway = api_for(tmp_path, pki, query_answer(pki), on_behalf_of=factories.HOUSING_BUREAU_CODE)
    api.family_housing(purpose="DEED_TAX_RELIEF", case_reference="QS-1",
                       members=[member(f"APPLICANT:RESIDENT_ID:{ID_NUMBER}")])
    assert json.loads(gateway.requests[0][0].content)["department"] == factories.HOUSING_BUREAU_CODE


@pytest.mark.parametrize("case", ["another case", "another signer", "another query id"])
def test_an_answer_not_signed_by_the_gateway_for_exactly_this_question_is_refused(tmp_path, pki, case):
    answer = {"another case": query_answer(pki, case="QS-2"),
              "another signer": query_answer(pki, by=pki.other_bank),
              "another query id": query_answer(pki, header_id="DQ-2")}[case]
    api, _ = api_for(tmp_path, pki, answer)
    with pytest.raises(VerificationFailed):
        api.unit_extract(purpose="TRANSFER_TAX_CHECK", case_reference="QS-1", unit_code=factories.UNIT_CODE)


def test_a_record_is_pushed_byte_for_byte_and_its_receipt_must_name_it(tmp_path, pki):
    body = json.dumps({"record_no": "PL-TAX-1", "status": "PAID"}, ensure_ascii=False, indent=1).encode()

    def receipt(record_no):
        return lambda request: (201, signed(pki, {"document": "DepartmentRecordReceipt", "record_no": record_no,
                                                  "flags": []}), {})

    api, gateway = api_for(tmp_path, pki, receipt("PL-TAX-1"))
    assert api.push_record("tax-record", body).http_status == 201
    request, verified = gateway.requests[0]
    assert request.url.path == "/v1/departments/tax-records" and request.content == body
    assert "content-digest" in verified.covered_components

    other, _ = api_for(tmp_path, pki, receipt("PL-TAX-2"))
    with pytest.raises(VerificationFailed):
        other.push_record("tax-record", body)
    with pytest.raises(ConfigError):
        other.push_record("tax-record", b"not json")


def test_the_event_receiver_stores_a_signed_event_once_and_prints_its_event_id(tmp_path, pki):
    store = Store(tmp_path / "store")
    receiver = EventReceiver(host="127.0.0.1", port=0, path="/callbacks/gateway",
                             verifier=DocumentVerifier([pki.gateway.certificate]), store=store)
    try:
        body = signed(pki, {"document": "RegistrationEvent", "event_id": "RE" + "0" * 30,
                            "event_type": "MORTGAGE_FIRST"})
        url = "http://receiver/callbacks/gateway"
        headers = {"Content-Type": "application/jose", "X-Gateway-Delivery-Id": "7",
                   "X-Gateway-Document-Kind": "registration_event"}
        headers.update(sign_headers(method="POST", url=url, headers=headers, body=body,
                                    key_id=pki.gateway.fingerprint, private_key=pki.gateway.key))
        outcomes = [receiver.receive(method="POST", target="/callbacks/gateway", headers=list(headers.items()),
                                     body=body) for _ in range(2)]
        assert [(status, event["event"], event["event_id"]) for status, event in outcomes] == [
            (204, "received", "RE" + "0" * 30), (204, "duplicate", "RE" + "0" * 30)]
        assert [d["sha256"] for d in store.documents()] == [hashlib.sha256(body).hexdigest()]
    finally:
        receiver.server.server_close()


def test_the_command_reports_a_missing_configuration_with_status_2(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for variable in (ENV_FILE, *ENV_KEYS):
        monkeypatch.delenv(variable, raising=False)
    assert main(["subscriptions"]) == 2
    assert DEFAULT_FILE in capsys.readouterr().err
