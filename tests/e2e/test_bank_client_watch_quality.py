"""The reference bank client's other bank tasks against a real `gateway serve`: answering a
supplementation request, watching its collateral (a seizure imported on the unit reaches it as a
signed watch notice), and reading its monthly quality figures and signed statement."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.e2e.test_bank_client import (  # noqa: F401 - gateway is the fixture
    PASSWORD, client, gateway, write_application, write_config)
from tests.support import factories
from tests.support.onboarding import staff_http
from tests.support.processes import cli

BEIJING = timezone(timedelta(hours=8))


def test_a_bank_answers_a_supplementation_request_with_the_client(tmp_path, pki, gateway):
    config = write_config(tmp_path, pki, gateway["url"], gateway["listen_port"])
    client(config, "gateway-certificate", "--save")
    number = client(config, "submit", str(write_application(tmp_path / "outbox")))["application_no"]
    staff = staff_http(gateway["url"], "reviewer", PASSWORD)
    assert staff.post(f"/v1/review/applications/{number}/claim").status_code == 200
    asked = staff.post(f"/v1/review/applications/{number}/decision", json={
        "decision": "request_supplement", "missing": [{"type_code": "MARRIAGE_CERTIFICATE", "reason": "缺少婚姻关系证明"}]})
    assert asked.status_code == 200, asked.text

    request = client(config, "document", number, "supplement_request")
    assert request["fields"]["decision"] == "SUPPLEMENT_REQUESTED"
    assert request["fields"]["supplement"]["item"][0]["type_code"] == "MARRIAGE_CERTIFICATE"
    (tmp_path / "marriage.pdf").write_bytes(b"%PDF-1.4 marriage certificate (test)\n")
    answered = client(config, "supplement", number, "--material", f"MARRIAGE_CERTIFICATE={tmp_path / 'marriage.pdf'}",
                      "--note", "已补充")
    assert answered["status"] == "QUEUED"
    assert client(config, "status", number)["history"][-1]["action"] == "supplement"


def test_a_seizure_imported_on_a_watched_unit_reaches_the_bank_as_a_verified_watch_notice(tmp_path, pki, gateway):
    config = write_config(tmp_path, pki, gateway["url"], gateway["listen_port"])
    client(config, "gateway-certificate", "--save")
    number = client(config, "submit", str(write_application(tmp_path / "outbox")))["application_no"]
    subscription = client(config, "watch", "subscribe", factories.UNIT_CODE, number)
    assert subscription["active"] and subscription["application_no"] == number
    assert [s["id"] for s in client(config, "watch", "list")["subscriptions"]] == [subscription["id"]]
    client(config, "--store", str(tmp_path / "inbox-store"), "inbox")  # up to date: the receipt

    seizure = tmp_path / "seizure.csv"
    seizure.write_text("record_type,unit_code,reference,registered_on\n"
                       f"SEIZURE,{factories.UNIT_CODE},(2026)宁0221执保88号,{datetime.now(BEIJING):%Y-%m-%d}\n",
                       encoding="utf-8")
    cli(gateway["env"], "register", "import", str(seizure))

    pulled = client(config, "--store", str(tmp_path / "inbox-store"), "inbox")
    notices = [entry for entry in pulled["received"] if entry["kind"] == "watch_notice"]
    assert len(notices) == 1, pulled
    notice = client(config, "verify", notices[0]["path"])
    assert notice["document"] == "WatchNotice" and notice["signed_by"] == pki.gateway.fingerprint
    assert notice["fields"]["unit_code"] == factories.UNIT_CODE
    assert notice["fields"]["event"]["kind"] == "SEIZURE"

    ended = client(config, "watch", "end", str(subscription["id"]))
    assert ended["active"] is False and ended["end_reason"] == "cancelled"


def test_a_bank_reads_its_quality_figures_and_a_verified_signed_statement(tmp_path, pki, gateway):
    config = write_config(tmp_path, pki, gateway["url"], gateway["listen_port"])
    client(config, "gateway-certificate", "--save")
    client(config, "submit", str(write_application(tmp_path / "outbox")))
    month = f"{datetime.now(BEIJING):%Y-%m}"
    figures = client(config, "quality", month)
    assert figures["month"] == month
    statement = client(config, "quality", month, "--statement")
    assert statement["document"] == "Statement" and statement["signed_by"] == pki.gateway.fingerprint
    assert statement["fields"]["month"] == month and statement["fields"]["applications"]["received"] == "1"
