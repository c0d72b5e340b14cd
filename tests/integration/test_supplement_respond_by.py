"""A supplement request names the missing items and the day by which the supplement is to arrive
(api.md §4.2 Supplement/RespondBy): in the signed document, in the status, and in the inbox entry."""
from __future__ import annotations

import base64
import hashlib
from datetime import date

from lxml import etree

from gateway.applications.deadline import load_calendar
from gateway.persistence.db import read_only
from gateway.persistence.models import Application, ApplicationEvent
from gateway.timezone import LOCAL_TZ
from tests.integration.helpers import NS, submit_new
from tests.integration.test_defects_reason import MISSING, decide
from tests.integration.test_outputs_schema import assert_valid, fetch
from tests.support.report import checked


def expected_respond_by(runtime, number: str) -> date:
    """Independently: the setting's working days after the local day of the request event."""
    with read_only(runtime.read_sessions) as session:
        application = session.query(Application).filter_by(application_no=number).one()
        event = (session.query(ApplicationEvent).filter_by(application_id=application.id, action="request_supplement")
                 .one())
        calendar = load_calendar(session)
        day = event.at.astimezone(LOCAL_TZ).date()
    working_days_counted = calendar.count_working_days(day, calendar.add_working_days(
        day, runtime.settings.supplement_response_working_days).due)
    assert working_days_counted == runtime.settings.supplement_response_working_days
    return calendar.add_working_days(day, runtime.settings.supplement_response_working_days).due


def test_the_signed_supplement_request_and_the_status_name_the_day_to_answer_by(client, pki, bank_auth, reviewer):
    number = submit_new(client, pki, bank_auth)
    decide(client, number, reviewer, {"decision": "request_supplement", "missing": MISSING})

    notice = fetch(client, bank_auth, number, "supplement_request")
    respond_by = date.fromisoformat(notice.findtext("g:Supplement/g:RespondBy", namespaces=NS))
    assert respond_by == expected_respond_by(client.app.state.runtime, number)
    assert notice.findtext("g:Supplement/g:Item/g:TypeCode", namespaces=NS) == MISSING[0]["type_code"]
    assert_valid(notice)
    status = client.get(f"/v1/applications/{number}", auth=bank_auth).json()
    assert status["status"] == "SUPPLEMENT_REQUESTED"
    assert status["supplement_respond_by"] == respond_by.isoformat()
    checked(f"[supplement] requested today, to be answered by {respond_by} "
            f"({client.app.state.runtime.settings.supplement_response_working_days} working days)")

    inbox = client.get("/v1/inbox", auth=bank_auth).json()
    [entry] = [e for e in inbox["entries"] if e["kind"] == "supplement_request"]
    pulled = etree.fromstring(base64.b64decode(entry["document"]))
    assert pulled.findtext("g:Supplement/g:RespondBy", namespaces=NS) == respond_by.isoformat()


def test_the_day_is_gone_from_the_status_once_the_supplement_is_answered(client, pki, bank_auth, reviewer):
    number = submit_new(client, pki, bank_auth)
    decide(client, number, reviewer, {"decision": "request_supplement", "missing": MISSING})
    material = b"marriage certificate scan"
    sha256 = hashlib.sha256(material).hexdigest()
    assert client.put(f"/v1/materials/{sha256}", content=material, auth=bank_auth,
                      headers={"Content-Type": "application/pdf"}).status_code in (200, 201)
    answered = client.post(f"/v1/applications/{number}/supplement", auth=bank_auth, json={
        "materials": [{"type_code": MISSING[0]["type_code"], "file_name": "marriage.pdf", "sha256": sha256}]})

    assert answered.status_code == 200, answered.text
    assert answered.json()["status"] == "QUEUED"
    assert answered.json()["supplement_respond_by"] is None
