"""Title watch on an ownership transfer: when a combined purchase (转移 + 抵押, 带押过户) registers, the
unit's other watchers — the seller's bank whose mortgage is carried over above all — get one signed
WatchNotice that the owners changed, without the sellers or buyers; the buyers' bank that filed the
transfer is not told. Notices are read from the inbox as a bank reads them and verified (signature, XSD).
"""
from __future__ import annotations

import json

import jsonschema_rs
import pytest
from sqlalchemy import select, update

from gateway.persistence.db import transaction
from gateway.persistence.models import Institution
from gateway.tasks import registry
from gateway.watch.models import WatchNotice
from tests.integration.test_json_channel import output_payload
from tests.integration.test_watch_notices import JSON_SCHEMA
from tests.support import combined as c
from tests.support import department_records as d
from tests.support import factories, scenarios as s
from tests.support.combined import bank, sellers_bank, sellers_mortgage, tax  # noqa: F401 (fixtures)
from tests.support.tamper import runtime, seeded_database  # noqa: F401 (fixtures)
from tests.support.watch import inbox_documents, inbox_notices, notice_rows, text

GROUP = "ZYDY-2026-0401"
SELLERS_BANK, BUYERS_BANK = factories.OTHER_BANK_CODE, factories.BANK_CODE
PEOPLE = [p for p in (*c.SELLERS, *c.BUYERS)]


def file_carried_over_group(client, bank, reviewer) -> tuple[str, str]:
    transfer = s.submit_ok(client, c.transfer(GROUP, consent=True), bank)
    mortgage = s.submit_ok(client, c.buyers_mortgage(GROUP), bank)
    s.approve(client, transfer, reviewer)
    s.approve(client, mortgage, reviewer)
    return transfer, mortgage


def transfer_notices(runtime, code: str):
    return [n for n in inbox_notices(runtime, code) if text(n, "g:Event/g:Kind") == "OWNERSHIP_TRANSFER"]


def test_the_carried_over_mortgagee_gets_one_signed_notice_that_the_owners_changed(
        client, runtime, bank, tax, sellers_mortgage, reviewer):
    transfer, _mortgage = file_carried_over_group(client, bank, reviewer)
    assert s.statuses(runtime, transfer) == ["REGISTERED"]
    [row] = c.transfers(runtime)

    [notice] = transfer_notices(runtime, SELLERS_BANK)  # verified: gateway signature and output XSD

    assert (text(notice, "g:MortgageeCode"), text(notice, "g:UnitCode")) == (SELLERS_BANK, factories.UNIT_CODE)
    assert (text(notice, "g:Event/g:Reference"), text(notice, "g:Event/g:Source")) == (row.certificate_no, "gateway")
    assert text(notice, "g:Event/g:RegisteredAt") is not None
    assert text(notice, "g:Event/g:Transfer/g:OwnerCount") == "2"
    assert (text(notice, "g:Event/g:Transfer/g:CarriedOver/g:CertificateNo"),
            text(notice, "g:Event/g:Transfer/g:CarriedOver/g:Priority")) == (s.EXISTING_NO, "1")
    assert notice.find("g:Event/g:Mortgage", {"g": "urn:pingluo-bdc:mortgage-gateway:v1"}) is None
    assert text(notice, "g:WatchedBy/g:Mortgage/g:CertificateNo") == s.EXISTING_NO
    # The buyers' new mortgage is news to it as well (a MORTGAGE notice), after the transfer's.
    kinds = [text(n, "g:Event/g:Kind") for n in inbox_notices(runtime, SELLERS_BANK)]
    assert kinds == ["OWNERSHIP_TRANSFER", "MORTGAGE"]


def test_the_notice_names_no_seller_or_buyer(client, runtime, bank, tax, sellers_mortgage, reviewer):
    file_carried_over_group(client, bank, reviewer)

    [(content, _media_type)] = [doc for doc in inbox_documents(runtime, SELLERS_BANK) if b"OWNERSHIP_TRANSFER" in doc[0]]
    stored = [r for r in notice_rows(runtime) if r.event_kind == "OWNERSHIP_TRANSFER"]
    assert len(stored) == 1
    stored_text = json.dumps([stored[0].facts, stored[0].watched_by], ensure_ascii=False)
    for person in PEOPLE:
        assert person.name.encode() not in content and person.id_number.encode() not in content
        assert person.name not in stored_text and person.id_number not in stored_text
    assert c.SALE_CONTRACT_NO.encode() not in content and b"1200000" not in content


def test_running_the_publish_task_again_gives_no_second_notice(client, runtime, bank, tax, sellers_mortgage, reviewer):
    file_carried_over_group(client, bank, reviewer)
    [first] = transfer_notices(runtime, SELLERS_BANK)
    ids = [r.id for r in notice_rows(runtime)]

    for notice_id in ids:  # a re-delivered message, a sweep racing the first run
        registry.run(runtime, "watch.publish", [notice_id])

    [again] = transfer_notices(runtime, SELLERS_BANK)
    assert text(again, "g:NoticeId") == text(first, "g:NoticeId")
    assert len(inbox_documents(runtime, SELLERS_BANK)) == len(ids)


def test_the_buyers_bank_that_filed_the_transfer_is_not_told_even_with_a_subscription(
        client, runtime, bank, tax, sellers_mortgage, reviewer):
    transfer = s.submit_ok(client, c.transfer(GROUP, consent=True), bank)
    mortgage = s.submit_ok(client, c.buyers_mortgage(GROUP), bank)
    response = client.post("/v1/watch/subscriptions", json={"unit_code": factories.UNIT_CODE,
                                                             "application_no": mortgage}, auth=bank.auth)
    assert response.status_code == 201, response.text
    s.approve(client, transfer, reviewer)
    s.approve(client, mortgage, reviewer)

    assert s.statuses(runtime, transfer, mortgage) == ["REGISTERED", "REGISTERED"]
    assert inbox_notices(runtime, BUYERS_BANK) == []
    assert {(r.event_kind, r.institution_id) for r in notice_rows(runtime)} == {
        ("OWNERSHIP_TRANSFER", institution_id(runtime, SELLERS_BANK)),
        ("MORTGAGE", institution_id(runtime, SELLERS_BANK))}


def test_with_the_sellers_mortgage_discharged_in_the_group_nobody_is_told_of_the_transfer(
        client, runtime, bank, sellers_bank, tax, sellers_mortgage, reviewer):
    release = s.submit_ok(client, s.linked(s.discharge(s.EXISTING_NO, mortgagee=s.OTHER_BANK), GROUP, 1, 3),
                          sellers_bank)
    transfer = s.submit_ok(client, c.transfer(GROUP, 2, 3), bank)
    mortgage = s.submit_ok(client, c.buyers_mortgage(GROUP, 3, 3), bank)
    for number in (release, transfer, mortgage):
        s.approve(client, number, reviewer)

    assert s.statuses(runtime, release, transfer, mortgage) == ["REGISTERED"] * 3
    assert notice_rows(runtime) == []  # its mortgage ended before the transfer: no longer a watcher


def test_a_watcher_set_to_json_gets_the_transfer_as_a_jws_valid_against_the_json_schema(
        client, runtime, pki, bank, tax, sellers_mortgage, reviewer):
    with transaction(runtime.sessions) as session:
        session.execute(update(Institution).where(Institution.code == SELLERS_BANK).values(output_format="json"))
    file_carried_over_group(client, bank, reviewer)

    payloads = [output_payload(content, pki) for content, _ in inbox_documents(runtime, SELLERS_BANK)]
    jsonschema_rs.Draft202012Validator(json.loads(JSON_SCHEMA.read_text(encoding="utf-8"))).validate(payloads[0])
    assert payloads[0]["event"]["kind"] == "OWNERSHIP_TRANSFER"
    assert payloads[0]["event"]["transfer"] == {
        "owner_count": "2", "carried_over": [{"certificate_no": s.EXISTING_NO, "priority": "1"}]}


def institution_id(runtime, code: str) -> int:
    with transaction(runtime.sessions) as session:
        return session.scalar(select(Institution.id).where(Institution.code == code))


def test_the_transfer_notice_is_kept_once_per_watcher(client, runtime, bank, tax, sellers_mortgage, reviewer):
    file_carried_over_group(client, bank, reviewer)
    assert runtime.wait_idle(60)
    sellers_bank_id = institution_id(runtime, SELLERS_BANK)
    with transaction(runtime.sessions) as session:
        rows = session.scalars(select(WatchNotice).where(WatchNotice.event_kind == "OWNERSHIP_TRANSFER")).all()
        assert [(r.institution_id, r.published_at is not None) for r in rows] == [(sellers_bank_id, True)]
