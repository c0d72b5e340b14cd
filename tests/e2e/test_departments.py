"""信息互联 against real processes: the tax bureau, the housing bureau and the housing-fund centre, each a
`department-client` process of its own signing with its own key, work with a served gateway as issue 12's
"Done when" says —

* each queries what its purposes allow, gets a signed answer holding only its purpose's fields, and
  is refused anything else;
* the tax bureau (callback) and the housing bureau (pull) receive every registration event, the same
  signed bytes each, verified against the pinned gateway certificate; the fund centre, having
  unsubscribed, none;
* the housing bureau's filed contract takes `contract.not_filed` off a pre-notice, and the tax bureau's
  deed-tax record turns a refused ownership transfer into an accepted one;
* a combined second-hand purchase with a carried-over mortgage (带押过户) goes through: the buyer's bank
  files both with `gateway-client`, the reviewer approves, the register changes, the signed results
  come back, the tax bureau receives the transfer event;
* every answered query is in "who looked at my file".

Once on the embedded SQLite gateway (tasks in the serving process), once on PostgreSQL with a Celery
worker signing and publishing the events.
"""
from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx
import pytest

from gateway.departments.purposes import PURPOSES
from tests.e2e.test_bank_client import client, write_config
from tests.support import factories
from tests.support import departments as d
from tests.support.onboarding import celery_env, drop_queue, staff_http
from tests.support.processes import free_port, gateway_env, start_server, start_worker

PURPOSE_QUERIES = {  # department -> (allowed family-housing purpose, allowed unit-extract purpose)
    "tax_bureau": ("DEED_TAX_RELIEF", "TRANSFER_TAX_CHECK"),
    "fund_centre": ("FUND_LOAN_ELIGIBILITY", "FUND_LOAN_COLLATERAL"),
    "housing_bureau": ("FIRST_HOME_LOAN_CHECK", "SALE_CONTRACT_FILING"),
}


def test_three_departments_query_receive_events_and_change_pre_review_on_the_embedded_gateway(tmp_path, pki):
    tax_port = free_port()
    env = gateway_env(tmp_path / "var", pki)
    d.onboard(env, pki, tmp_path, tax_callback_port=tax_port)
    server, base_url = start_server(env, tmp_path)
    try:
        world = World(tmp_path, pki, base_url, tax_port)
        world.run()
        world.listen_de_duplicates_a_redelivered_event()
    finally:
        server.stop()
    assert_no_personal_data(server.log())


@pytest.mark.services
def test_three_departments_work_with_a_gateway_on_postgresql_whose_worker_publishes_the_events(
        tmp_path, pki, postgres_url, redis_server):
    tax_port = free_port()
    env, queue = celery_env(tmp_path, pki, postgres_url, redis_server)
    # Here the housing-fund centre is an applicant institution (kind housing_fund) with the department role.
    d.onboard(env, pki, tmp_path, tax_callback_port=tax_port, fund_centre_kind="housing_fund")
    worker = start_worker(env, tmp_path)
    server, base_url = start_server(env, tmp_path)
    try:
        World(tmp_path, pki, base_url, tax_port).run()
        assert "registration_events.publish" in worker.log()  # the worker signed and published the events
    finally:
        server.stop()
        worker.stop()
        drop_queue(redis_server, queue)
    assert_no_personal_data(server.log() + worker.log())


def assert_no_personal_data(log: str) -> None:
    """Queries, refusals (a malformed ID number among them), records and events name people: the logs never."""
    assert "refused POST /v1/departments/queries/family-housing: query.id_number_invalid" in log  # logged, by code
    for person in (*d.SELLERS, *d.BUYERS):
        assert person.id_number not in log and person.name not in log
    assert "640221198503150019" not in log


class World:
    """The three departments' client configurations, the bank's, and what the scenario learns on the way."""

    def __init__(self, tmp_path: Path, pki, base_url: str, tax_port: int):
        self.tmp_path, self.pki, self.base_url = tmp_path, pki, base_url
        # The tax bureau listens where its callback URL points.
        self.departments = {name: d.write_department_config(tmp_path, pki, name, code, base_url,
                                                            listen_port=tax_port if name == "tax_bureau" else None)
                            for name, code in d.DEPARTMENTS}
        self.bank = write_config(tmp_path, pki, base_url, free_port())
        self.answered: list[dict] = []  # every answered query: department, subject, signed payload
        self.registered: dict[str, str] = {}  # application_no -> certificate_no of its registration

    def run(self) -> None:
        for department in self.departments.values():
            pinned = self.dept(department, "gateway-certificate", "--save")
            assert pinned["certificates"][0]["sha256"] == self.pki.gateway.fingerprint
        client(self.bank, "gateway-certificate", "--save")
        listener = d.start_department_listener(self.departments["tax_bureau"], self.tmp_path)
        try:
            self.subscriptions_as_each_department_chose()
            self.each_department_queries_what_its_purposes_allow()
            self.each_department_is_refused_what_its_purposes_do_not_allow()
            self.a_filed_contract_takes_contract_not_filed_off_a_pre_notice()
            self.a_combined_purchase_with_a_carried_over_mortgage_goes_through()
            self.every_registration_event_reached_the_subscribers_as_signed(listener)
            self.every_answered_query_is_in_who_looked_at_my_file()
        finally:
            listener.stop()

    # --- helpers -----------------------------------------------------------------------------------------------------

    def dept(self, department: d.Department | str, *args: str, expect: int = 0) -> dict:
        department = self.departments[department] if isinstance(department, str) else department
        return d.department_client(department.config, *args, expect=expect)

    def query(self, name: str, kind: str, purpose: str, case: str, *args: str, subject: dict) -> dict:
        """Ask; check the signed answer; remember it with the subject "who looked at my file" finds it by
        (``{"unit_code": …}`` or ``{"id_number": …}``)."""
        answer = self.dept(name, "query", kind, "--purpose", purpose, "--case", case, *args)
        payload = answer["payload"]
        assert answer["http_status"] == 200 and answer["signed_by"] == self.pki.gateway.fingerprint
        assert (payload["document"], payload["query"], payload["purpose"], payload["case_reference"],
                payload["department"]) == ("DepartmentAnswer", kind, purpose, case, self.departments[name].code)
        assert answer["query_id"] == payload["query_id"] and payload["answered_at"].endswith("Z")
        # Data minimisation: the answer declares its purpose's documented fields and holds no other.
        assert payload["fields"] == list(PURPOSES[purpose].fields)
        assert d.leaf_paths(payload["result"]) <= set(payload["fields"]), payload
        self.answered.append({"department": self.departments[name].code, "subject": subject, "payload": payload})
        return payload

    def refused(self, name: str, *args: str, status: int, code: str) -> dict:
        refusal = self.dept(name, *args, expect=1)
        assert refusal["refused"]["code"] == code and refusal["http_status"] == status, refusal
        return refusal

    # --- the steps ---------------------------------------------------------------------------------------------------

    def subscriptions_as_each_department_chose(self) -> None:
        # The tax bureau is subscribed from its registration on; the housing bureau subscribes itself
        # (twice: idempotent); the fund centre is not subscribed.
        [tax] = self.dept("tax_bureau", "subscriptions")["subscriptions"]
        assert (tax["topic"], tax["active"], tax["origin"]) == ("registration-events", True, "default")
        assert self.dept("housing_bureau", "subscribe")["http_status"] == 201
        again = self.dept("housing_bureau", "subscribe")
        assert again["http_status"] == 200 and again["active"] and again["origin"] == "department"
        assert not any(s["active"] for s in self.dept("fund_centre", "subscriptions")["subscriptions"])
        # The fund centre tries it and stops again: it gets no event after that.
        assert self.dept("fund_centre", "subscribe")["http_status"] == 201
        stopped = self.dept("fund_centre", "unsubscribe")
        assert stopped["http_status"] == 200 and stopped["active"] is False and stopped["ended_at"]
        # A bank is no department: the same client with the bank's key is refused, nothing stored.
        bank_as_department = d.write_department_config(self.tmp_path / "bank-as-department", self.pki, "bank",
                                                       factories.BANK_CODE, self.base_url)
        self.dept(bank_as_department, "gateway-certificate", "--save")
        refusal = self.dept(bank_as_department, "subscribe", expect=1)
        assert refusal["refused"]["code"] == "subscription.not_department"
        refusal = self.dept(bank_as_department, "query", "unit-extract", "--purpose", "TRANSFER_TAX_CHECK",
                            "--case", "BANK-1", "--unit", d.UNIT, expect=1)
        assert refusal["refused"]["code"] == "department.not_a_department"

    def each_department_queries_what_its_purposes_allow(self) -> None:
        sellers = [d.member("APPLICANT", d.SELLERS[0]), d.member("SPOUSE", d.SELLERS[1])]
        for name, (family_purpose, extract_purpose) in PURPOSE_QUERIES.items():
            family = self.query(name, "family-housing", family_purpose, f"{name}-F-1", *sellers,
                                subject={"id_number": d.SELLERS[0].id_number})
            assert family["result"]["unit_count"] == 1  # the off-plan flat is the developer's, not theirs
            [unit] = family["result"]["units"]
            assert unit["unit_code"] == d.UNIT
            assert sorted((o["position"], o["role"]) for o in unit["owners"]) == [(1, "APPLICANT"), (2, "SPOUSE")]
            extract = self.query(name, "unit-extract", extract_purpose, f"{name}-U-1", "--unit", d.UNIT,
                                 subject={"unit_code": d.UNIT})
            assert extract["result"]["unit"]["unit_code"] == d.UNIT
            assert sorted(o["id_number"] for o in extract["result"]["owners"]) == \
                sorted(p.id_number for p in d.SELLERS)
        # What each purpose adds, and what it leaves out.
        by = {(a["department"], a["payload"]["purpose"]): a["payload"]["result"] for a in self.answered}
        tax_family = by[(factories.TAX_BUREAU_CODE, "DEED_TAX_RELIEF")]["units"][0]
        assert tax_family["location"] and {o["share"] for o in tax_family["owners"]} == {"1/2"}
        assert "in_force_mortgages" not in tax_family
        fund_family = by[(factories.FUND_CENTRE_CODE, "FUND_LOAN_ELIGIBILITY")]["units"][0]
        assert fund_family["in_force_mortgages"] == 1 and "location" not in fund_family
        housing_family = by[(factories.HOUSING_BUREAU_CODE, "FIRST_HOME_LOAN_CHECK")]["units"][0]
        assert set(housing_family) == {"unit_code", "owners"}
        assert "mortgages" not in by[(factories.TAX_BUREAU_CODE, "TRANSFER_TAX_CHECK")]
        fund_extract = by[(factories.FUND_CENTRE_CODE, "FUND_LOAN_COLLATERAL")]
        assert [(m["certificate_no"], m["mortgagee_code"]) for m in fund_extract["mortgages"]] == \
            [(d.CARRIED_OVER_NO, d.SELLERS_BANK)]
        housing_extract = by[(factories.HOUSING_BUREAU_CODE, "SALE_CONTRACT_FILING")]
        assert "secured_amount" not in housing_extract["mortgages"][0]

        # The signed answer as saved verifies on its own, and is what the store kept.
        saved = self.tmp_path / "answer.jws"
        answer = self.dept("tax_bureau", "query", "unit-extract", "--purpose", "TRANSFER_TAX_CHECK",
                           "--case", "tax_bureau-U-2", "--unit", d.UNIT, "--save", str(saved))
        self.answered.append({"department": factories.TAX_BUREAU_CODE, "subject": {"unit_code": d.UNIT},
                              "payload": answer["payload"]})
        assert saved.read_bytes() == Path(answer["path"]).read_bytes()
        verified = self.dept("tax_bureau", "verify", str(saved))
        assert verified["signed_by"] == self.pki.gateway.fingerprint
        assert verified["fields"]["query_id"] == answer["query_id"]
        assert len({a["payload"]["query_id"] for a in self.answered}) == len(self.answered)  # unique ids

    def each_department_is_refused_what_its_purposes_do_not_allow(self) -> None:
        applicant = d.member("APPLICANT", d.SELLERS[0])
        # Another department's purpose: refused, nothing returned.
        for name, purpose in (("tax_bureau", "FUND_LOAN_COLLATERAL"), ("fund_centre", "SALE_CONTRACT_FILING"),
                              ("housing_bureau", "TRANSFER_TAX_CHECK")):
            self.refused(name, "query", "unit-extract", "--purpose", purpose, "--case", f"{name}-X",
                         "--unit", d.UNIT, status=403, code="query.purpose_not_allowed")
        for name, purpose in (("tax_bureau", "FIRST_HOME_LOAN_CHECK"), ("housing_bureau", "DEED_TAX_RELIEF"),
                              ("fund_centre", "DEED_TAX_RELIEF")):
            self.refused(name, "query", "family-housing", "--purpose", purpose, "--case", f"{name}-X", applicant,
                         status=403, code="query.purpose_not_allowed")
        self.refused("tax_bureau", "query", "family-housing", "--case", "tax-X", applicant, status=422,
                     code="query.purpose_missing")
        self.refused("tax_bureau", "query", "family-housing", "--purpose", "TRANSFER_TAX_CHECK", "--case", "tax-X",
                     applicant, status=422, code="query.purpose_not_for_query")
        self.refused("fund_centre", "query", "family-housing", "--purpose", "FUND_LOAN_ELIGIBILITY", applicant,
                     status=422, code="query.case_reference_missing")
        self.refused("fund_centre", "query", "family-housing", "--purpose", "FUND_LOAN_ELIGIBILITY", "--case",
                     "fund-X", applicant, d.member("APPLICANT", d.SELLERS[1]), status=422,
                     code="query.too_many_members")
        malformed = self.refused("housing_bureau", "query", "family-housing", "--purpose", "FIRST_HOME_LOAN_CHECK",
                                 "--case", "housing-X", "--member=APPLICANT:RESIDENT_ID:640221198503150019",
                                 status=422, code="query.id_number_invalid")
        assert "640221198503150019" not in json.dumps(malformed, ensure_ascii=False)  # named by position only
        # A department signing as another.
        self.refused("tax_bureau", "query", "unit-extract", "--purpose", "TRANSFER_TAX_CHECK", "--case", "tax-X",
                     "--unit", d.UNIT, "--as", factories.HOUSING_BUREAU_CODE, status=403,
                     code="department.signer_mismatch")

    def a_filed_contract_takes_contract_not_filed_off_a_pre_notice(self) -> None:
        submitted = client(self.bank, "submit", str(d.write_application(self.tmp_path / "pre-notice", d.pre_notice())))
        number = submitted["application_no"]
        assert "contract.not_filed" in d.finding_codes(submitted["fields"])
        staff = staff_http(self.base_url, "reviewer", d.PASSWORD)
        assert "contract.not_filed" in {f["code"] for f in d.review_view(staff, number)["findings"]}

        contract = d.write_json(self.tmp_path / "contract.json", d.filed_contract())
        pushed = self.dept("housing_bureau", "contract", str(contract))
        receipt = pushed["receipt"]
        assert pushed["http_status"] == 201 and pushed["signed_by"] == self.pki.gateway.fingerprint
        assert (receipt["document"], receipt["kind"], receipt["record_no"], receipt["flags"]) == \
            ("DepartmentRecordReceipt", "contract", d.OFF_PLAN_CONTRACT_NO, [])
        again = self.dept("housing_bureau", "contract", str(contract))  # the same bytes again: the same record
        assert again["http_status"] == 200 and again["receipt"]["record_id"] == receipt["record_id"]
        assert again["receipt"]["replayed"] is True

        view = d.review_view(staff, number)
        assert "contract.not_filed" not in {f["code"] for f in view["findings"]}
        # The reviewer sees the contract verbatim, with its department; the bank sees when it came.
        [shown] = view["department_records"]
        assert (shown["record_id"], shown["department_code"], shown["flags"]) == \
            (receipt["record_id"], factories.HOUSING_BUREAU_CODE, [])
        assert shown["body"].encode("utf-8") == contract.read_bytes()
        assert "department_record" in [h["action"] for h in client(self.bank, "status", number)["history"]]
        self.approve(staff, number)
        self.registered[number] = self.result(number)

        # The tax bureau cannot file contracts, nor the housing bureau tax records.
        refusal = self.dept("tax_bureau", "contract", str(contract), expect=1)
        assert refusal["refused"]["code"] == "record.role_not_allowed"

    def a_combined_purchase_with_a_carried_over_mortgage_goes_through(self) -> None:
        group = f"DYGH-{uuid.uuid4().hex[:12]}"
        transfer = d.write_application(self.tmp_path / "transfer", d.ownership_transfer(group))
        # Before the tax bureau's record: the transfer is refused at intake, with the finding, nothing stored.
        refused = client(self.bank, "submit", str(transfer), expect=1)
        assert refused["refused"]["code"] == "prereview.refused"
        # The only blocking finding is the missing deed-tax record: the record is what turns it around.
        assert {f["code"] for f in refused["refused"]["findings"] if f["severity"] == "REFUSE"} == \
            {"tax.record_missing"}

        # Records the tax bureau gets wrong are refused or flagged, never stored silently.
        unknown_unit = d.write_json(self.tmp_path / "tax-unknown.json",
                                    d.tax_record("PL-TAX-2026-000999", unit_code="640221001009GB00099F00990099"))
        assert self.dept("tax_bureau", "tax-record", str(unknown_unit), expect=1)["refused"]["code"] == \
            "record.unit_unknown"
        assert self.dept("housing_bureau", "tax-record", str(unknown_unit), expect=1)["refused"]["code"] == \
            "record.role_not_allowed"

        record = d.write_json(self.tmp_path / "tax.json", d.tax_record())
        pushed = self.dept("tax_bureau", "tax-record", str(record))
        assert pushed["http_status"] == 201 and pushed["receipt"]["flags"] == []
        assert pushed["receipt"]["unit_code"] == d.UNIT

        # The same transfer now goes in; the buyer's mortgage joins the group.
        accepted = client(self.bank, "submit", str(transfer))
        assert accepted["http_status"] == 202
        assert not {c for c in d.finding_codes(accepted["fields"]) if c.startswith("tax.")}
        mortgage = client(self.bank, "submit", str(d.write_application(self.tmp_path / "mortgage",
                                                                         d.buyers_mortgage(group))))
        assert mortgage["http_status"] == 202
        transfer_no, mortgage_no = accepted["application_no"], mortgage["application_no"]

        # The housing bureau files the sale contract twice with different prices: both kept, both flagged.
        first = self.dept("housing_bureau", "contract", str(d.write_json(
            self.tmp_path / "sale-1.json", d.filed_contract(contract_no=d.SALE_CONTRACT_NO, unit_code=d.UNIT,
                                                            buyers=d.parties(d.BUYERS), sellers=d.parties(d.SELLERS),
                                                            price=d.SALE_PRICE))))
        second = self.dept("housing_bureau", "contract", str(d.write_json(
            self.tmp_path / "sale-2.json", d.filed_contract(contract_no=d.SALE_CONTRACT_NO, unit_code=d.UNIT,
                                                            buyers=d.parties(d.BUYERS), sellers=d.parties(d.SELLERS),
                                                            price="1250000.00"))))
        assert (first["http_status"], first["receipt"]["flags"]) == (201, [])
        assert (second["http_status"], second["receipt"]["flags"]) == (201, ["record.duplicate_conflict"])
        assert second["receipt"]["conflicts_with"] == [first["receipt"]["record_id"]]
        staff = staff_http(self.base_url, "reviewer", d.PASSWORD)
        shown = {r["record_id"]: r for r in d.review_view(staff, transfer_no)["department_records"]}
        assert shown[pushed["receipt"]["record_id"]]["kind"] == "tax"
        assert [shown[r["receipt"]["record_id"]]["flags"] for r in (first, second)] == \
            [["record.duplicate_conflict"]] * 2
        assert json.loads(shown[first["receipt"]["record_id"]]["body"])["price"] == d.SALE_PRICE  # not overwritten

        self.approve(staff, transfer_no)
        assert client(self.bank, "status", transfer_no)["status"] == "APPROVED"  # waits for its group
        self.approve(staff, mortgage_no)
        for number in (transfer_no, mortgage_no):
            assert client(self.bank, "status", number)["status"] == "REGISTERED"
            self.registered[number] = self.result(number)
        self.transfer_certificate = self.registered[transfer_no]
        assert "不动产权第" in self.transfer_certificate

        # The register changed: the buyers own the flat now, the sellers nothing; the seller's mortgage
        # is carried over and the buyer's bank's mortgage ranks after it.
        buyers = [d.member("APPLICANT", d.BUYERS[0]), d.member("SPOUSE", d.BUYERS[1])]
        sellers = [d.member("APPLICANT", d.SELLERS[0]), d.member("SPOUSE", d.SELLERS[1])]
        after = self.query("housing_bureau", "family-housing", "FIRST_HOME_LOAN_CHECK", "housing-F-2", *buyers,
                           subject={"id_number": d.BUYERS[0].id_number})
        assert [u["unit_code"] for u in after["result"]["units"]] == [d.UNIT]
        assert self.query("housing_bureau", "family-housing", "FIRST_HOME_LOAN_CHECK", "housing-F-3", *sellers,
                          subject={"id_number": d.SELLERS[0].id_number})["result"]["unit_count"] == 0
        extract = self.query("fund_centre", "unit-extract", "FUND_LOAN_COLLATERAL", "fund-U-2", "--unit", d.UNIT,
                             subject={"unit_code": d.UNIT})
        assert sorted(o["id_number"] for o in extract["result"]["owners"]) == sorted(p.id_number for p in d.BUYERS)
        assert [(m["certificate_no"], m["mortgagee_code"]) for m in extract["result"]["mortgages"]] == [
            (d.CARRIED_OVER_NO, d.SELLERS_BANK), (self.registered[mortgage_no], factories.BANK_CODE)]

    def every_registration_event_reached_the_subscribers_as_signed(self, listener) -> None:
        expected = set(self.registered.values())
        pushed = d.wait_for_events(listener, len(expected))
        tax_events = {}
        for event in pushed:
            verified = self.dept("tax_bureau", "verify", event["path"])
            assert verified["signed_by"] == self.pki.gateway.fingerprint
            tax_events[verified["fields"]["certificate_no"]] = (event, verified["fields"])
        assert set(tax_events) == expected
        pulled = self.dept("housing_bureau", "events")
        housing = {e["payload"]["certificate_no"]: e for e in pulled["events"]}
        assert set(housing) == expected and pulled["acknowledged"]
        for certificate_no, (event, fields) in tax_events.items():
            # One event, one id, the same signed bytes for every subscriber.
            assert housing[certificate_no]["event_id"] == event["event_id"] == fields["event_id"]
            assert housing[certificate_no]["sha256"] == event["sha256"]
            assert Path(housing[certificate_no]["path"]).read_bytes() == Path(event["path"]).read_bytes()
        assert len({e["event_id"] for e, _ in tax_events.values()}) == len(expected)
        types = {fields["certificate_no"]: fields["event_type"] for _, fields in tax_events.values()}
        assert sorted(types.values()) == ["MORTGAGE_FIRST", "OWNERSHIP_TRANSFER", "PRE_NOTICE_MORTGAGE"]

        transfer = tax_events[self.transfer_certificate][1]
        assert (transfer["unit_code"], transfer["details"]["sale_contract_no"], transfer["details"]["sale_price"],
                transfer["details"]["carried_over"]) == (d.UNIT, d.SALE_CONTRACT_NO, d.SALE_PRICE, [d.CARRIED_OVER_NO])
        assert [p["id_number"] for p in transfer["details"]["buyers"]] == [p.id_number for p in d.BUYERS]
        assert [p["id_number"] for p in transfer["details"]["sellers"]] == [p.id_number for p in d.SELLERS]
        mortgage_events = [f for _, f in tax_events.values() if f["event_type"] != "OWNERSHIP_TRANSFER"]
        for fields in mortgage_events:  # mortgage events carry no personal data
            text = json.dumps(fields, ensure_ascii=False)
            assert not any(p.id_number in text or p.name in text for p in (*d.SELLERS, *d.BUYERS))

        assert self.dept("housing_bureau", "events")["received"] == []  # nothing twice
        assert self.dept("fund_centre", "events")["events"] == []  # unsubscribed before: no events

    def every_answered_query_is_in_who_looked_at_my_file(self) -> None:
        supervisor = staff_http(self.base_url, "supervisor", d.PASSWORD)
        looks = {}
        for answered in self.answered:
            payload, key = answered["payload"], json.dumps(answered["subject"])
            looks.setdefault(key, d.accesses(supervisor, **answered["subject"]))
            # The department, its purpose and its case reference, on a row of the search.
            rows = [r for r in looks[key] if r["actor"] == answered["department"]
                    and payload["case_reference"] in json.dumps(r, ensure_ascii=False)]
            assert rows, (payload["case_reference"], looks[key])
            assert payload["purpose"] in json.dumps(rows, ensure_ascii=False)
        # A refused query returned nothing: it is no look at anyone's file.
        refused_cases = ("tax_bureau-X", "fund_centre-X", "housing_bureau-X", "tax-X", "fund-X", "housing-X", "BANK-1")
        assert not [r for rows in looks.values() for r in rows
                    if any(case in json.dumps(r, ensure_ascii=False) for case in refused_cases)]

    def listen_de_duplicates_a_redelivered_event(self) -> None:
        """The gateway delivers at least once: the same delivery again (signed afresh) is answered 2xx and
        not stored twice; a delivery not signed by the gateway's key is refused."""
        from signing.httpsig import sign_headers

        (self.tmp_path / "again").mkdir()
        listener = d.start_department_listener(self.departments["tax_bureau"], self.tmp_path / "again")
        try:
            first = d.listened(listener)
            assert first[0]["event"] == "listening"
            stored = sorted((self.tmp_path / "tax_bureau" / "store" / "documents").rglob("*.jws"))
            event = next(p for p in stored if p.name.startswith("registration_event"))
            body = event.read_bytes()
            url = f"http://127.0.0.1:{self.departments['tax_bureau'].listen_port}/callbacks/gateway"
            headers = {"Content-Type": "application/jose", "X-Gateway-Delivery-Id": "redelivered-1",
                       "X-Gateway-Document-Kind": "registration_event"}
            signed = {**headers, **sign_headers(method="POST", url=url, headers=headers, body=body,
                                                key_id=self.pki.gateway.fingerprint, private_key=self.pki.gateway.key)}
            assert httpx.post(url, content=body, headers=signed).status_code == 204
            assert httpx.post(url, content=body, headers=signed).status_code == 204
            forged = {**headers, **sign_headers(method="POST", url=url, headers=headers, body=body,
                                                key_id=self.pki.tax_bureau.fingerprint,
                                                private_key=self.pki.tax_bureau.key)}
            assert httpx.post(url, content=body, headers=forged).status_code == 401
            events = [e["event"] for e in d.listened(listener) if e.get("delivery_id") == "redelivered-1"]
            assert events == ["received", "duplicate"]
            assert sorted((self.tmp_path / "tax_bureau" / "store" / "documents").rglob("*.jws")) == stored
        finally:
            listener.stop()

    # --- the centre's side -------------------------------------------------------------------------------------------

    def approve(self, staff: httpx.Client, number: str) -> None:
        assert staff.post(f"/v1/review/applications/{number}/claim").status_code == 200
        decided = staff.post(f"/v1/review/applications/{number}/decision", json={"decision": "approve"})
        assert decided.status_code == 200, decided.text

    def result(self, number: str) -> str:
        """The bank fetches the signed result; returns the registration's certificate number."""
        result = client(self.bank, "result", number, "--wait", "90")
        assert result["signed_by"] == self.pki.gateway.fingerprint and result["fields"]["decision"] == "APPROVED"
        return result["fields"]["registration"]["certificate_no"]

