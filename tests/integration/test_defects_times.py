"""Every time in a JSON answer is ISO 8601 in UTC with a ``Z``, to the microsecond (api.md §1).

Acceptance testing found ``/v1/verify/{code}`` answering ``status_changed_at`` in Beijing time
(``+08:00``), and the review API's history and signature facts with ``+00:00``. The check is made
on the answers themselves: a scenario gives every kind of time a value (history, documents,
extensions, postal requests, a revocation, a sealed PDF's signing time), then every JSON endpoint of
the API description is called, and every time-like string in any answer must have the one format.
"""
from __future__ import annotations

import re
from collections.abc import Iterator

from gateway.api.times import EXAMPLE, utc_text
from tests.conftest import ADMIN_PASSWORD, staff_headers
from tests.integration.helpers import NS, claim, submit_new
from tests.integration.test_outputs_schema import fetch

LOOKS_LIKE_A_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d")
UTC_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
PARAMETER = re.compile(r"{([^}:]+)(?::[^}]+)?}")


def times_in(value, where: str = "") -> Iterator[tuple[str, str]]:
    """(JSON path, text) of every time-like string anywhere in a JSON value."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from times_in(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from times_in(item, f"{where}[{index}]")
    elif isinstance(value, str) and LOOKS_LIKE_A_TIME.match(value):
        yield where, value


def assert_utc_z(answers: dict[str, object]) -> dict[str, str]:
    found = {f"{url}{path}": text for url, body in answers.items() for path, text in times_in(body)}
    wrong = {where: text for where, text in found.items() if not UTC_Z.match(text)}
    assert not wrong, wrong
    return found


def test_the_shared_serialiser_writes_utc_with_z_to_the_microsecond():
    from datetime import datetime, timedelta, timezone

    from gateway.timezone import LOCAL_TZ

    assert utc_text(datetime(2026, 11, 27, 8, 2, 35, tzinfo=LOCAL_TZ)) == "2026-11-27T00:02:35.000000Z"
    assert utc_text(datetime(2026, 11, 27, 0, 2, 35, 55316, tzinfo=timezone(timedelta(0)))) == EXAMPLE
    assert UTC_Z.match(EXAMPLE)


def test_every_time_property_of_the_api_description_is_a_utc_time(client):
    """Structural: each ``date-time`` property of a model the API describes uses ``UtcTime``."""
    schemas = client.app.openapi()["components"]["schemas"]
    plain = [f"{name}.{prop}" for name, schema in schemas.items()
             for prop, spec in schema.get("properties", {}).items()
             for option in [spec, spec.get("items", {}), *spec.get("anyOf", [])]
             if option.get("format") == "date-time" and EXAMPLE not in option.get("examples", [])]
    assert not plain, f"declare these as gateway.api.times.UtcTime: {plain}"


def scenario(client, runtime, pki, bank_auth, reviewer) -> dict[str, str]:
    """An application registered with a certificate, extended, posted, then its certificate revoked;
    another waiting in the queue. Returns the path parameters that name them."""
    number = submit_new(client, pki, bank_auth)
    claim(client, number, reviewer)
    assert client.post(f"/v1/review/applications/{number}/extension", headers=reviewer,
                       json={"working_days": 1, "reason": "需调取档案"}).status_code == 200
    assert client.post(f"/v1/review/applications/{number}/decision", json={"decision": "approve"},
                       headers=reviewer).status_code == 200
    assert runtime.wait_idle(60)
    code = fetch(client, bank_auth, number, "result").findtext("g:Certificate/g:VerificationCode", namespaces=NS)
    posted = client.post(f"/v1/applications/{number}/postal-requests", auth=bank_auth, json={
        "recipient": "收件部门", "phone": "0952-1234567", "address": "平罗县城关镇测试路1号", "postcode": "753400"})
    assert posted.status_code == 201, posted.text
    submit_new(client, pki, bank_auth)  # one in the queue
    return {"application_no": number, "code": code, "request_id": str(posted.json()["id"])}


def test_every_json_answer_gives_its_times_in_utc_with_z(client, runtime, pki, bank_auth, reviewer):
    names = scenario(client, runtime, pki, bank_auth, reviewer)
    admin = staff_headers(client, "admin", ADMIN_PASSWORD)
    supervisor = staff_headers(client, "supervisor", ADMIN_PASSWORD)
    answers: dict[str, object] = {}

    pdf = client.get(f"/v1/applications/{names['application_no']}/certificate.pdf", auth=bank_auth).content
    updated = client.post(f"/v1/admin/postal-requests/{names['request_id']}", json={"status": "PRINTED"}, headers=admin)
    revoked = client.post(f"/v1/admin/certificates/{_certificate_no(client, bank_auth, names)}/revoke",
                          json={"reason": "登记错误，予以更正"}, headers=admin)
    checked = client.post(f"/v1/verify/{names['code']}/pdf", content=pdf, headers={"Content-Type": "application/pdf"})
    for response in (updated, revoked, checked):
        assert response.status_code == 200, response.text
        answers[str(response.request.url)] = response.json()

    for path, operations in client.app.openapi()["paths"].items():
        if "get" not in operations:
            continue
        url = PARAMETER.sub(lambda m: names.get(m.group(1), "NOSUCHTHING"), path)
        for auth, headers in ((bank_auth, None), (None, reviewer), (None, admin), (None, supervisor)):
            response = client.get(url, auth=auth, headers=headers)
            if response.status_code == 200 and response.headers["content-type"].startswith("application/json"):
                answers[f"{url} as {'bank' if auth else headers['Authorization'][-6:]}"] = response.json()

    found = assert_utc_z(answers)
    for expected in ("received_at", "decided_at", "history[0].at", "documents[0].created_at", "extensions[0].at",
                     "status_changed_at", "signed_at", "requested_at", "updated_at", "signature.not_before",
                     "application.created_at"):
        assert any(where.endswith(expected) for where in found), (expected, sorted(found))


def _certificate_no(client, bank_auth, names) -> str:
    result = fetch(client, bank_auth, names["application_no"], "result")
    return result.findtext("g:Registration/g:CertificateNo", namespaces=NS)


def test_the_verify_json_gives_a_revocations_time_in_utc(client, runtime, pki, bank_auth, reviewer, admin):
    names = scenario(client, runtime, pki, bank_auth, reviewer)
    revoked = client.post(f"/v1/admin/certificates/{_certificate_no(client, bank_auth, names)}/revoke",
                          json={"reason": "登记错误，予以更正"}, headers=admin)
    assert revoked.status_code == 200, revoked.text

    shown = client.get(f"/v1/verify/{names['code']}").json()

    assert shown["status"] == "REVOKED"
    assert UTC_Z.match(shown["status_changed_at"]), shown["status_changed_at"]

