"""Each refusal of the combined filing (转移 + 抵押 合并办理) at intake: its finding, no personal data, nothing stored."""
from __future__ import annotations

from dataclasses import replace

from bank_adapters import IdType, LinkRef, Party
from gateway.persistence.db import transaction
from tests.support import combined as c
from tests.support import factories, scenarios as s
from tests.support.register import add_encumbrance, add_mortgage, add_unit
from tests.support.tamper import Snapshot, assert_nothing_changed, assert_problem
from tests.support.combined import bank, tax  # noqa: F401 (fixtures)
from tests.support.tamper import runtime, seeded_database  # noqa: F401 (fixtures)

GROUP = "ZYDY-2026-0400"
STRANGER = Party("赵志强", IdType.RESIDENT_ID, "64022119900101001X")  # not an owner of the home




def refused(client, runtime, app, bank: s.Bank, *, secrets: tuple[str, ...] = ()) -> dict[str, dict]:
    """Submit; it must be refused at intake with nothing stored. Returns the REFUSE findings by code."""
    s.upload_for(client, app, bank)
    before = Snapshot(runtime)
    problem = assert_problem(s.post(client, factories.signed_request(app, bank.identity)), 422, "prereview.refused",
                             secrets=secrets)
    assert_nothing_changed(runtime, before)
    return {f["code"]: f for f in problem["findings"] if f["severity"] == "REFUSE"}


def test_a_transfer_not_in_a_linked_group_is_refused(client, runtime, bank, tax):
    found = refused(client, runtime, c.transfer(GROUP, link=None), bank)

    assert list(found) == ["transfer.not_linked"] and found["transfer.not_linked"]["field"] == "link"


def test_a_transfer_after_the_buyers_mortgage_in_its_group_is_refused(client, runtime, bank, tax):
    found = refused(client, runtime, c.transfer(GROUP, 2, 2), bank)

    assert list(found) == ["transfer.not_linked"] and found["transfer.not_linked"]["field"] == "link.position"


def test_a_seller_who_is_not_an_owner_is_refused_without_naming_them(client, runtime, bank, tax):
    app = c.transfer(GROUP, sellers=(c.SELLERS[0], STRANGER))

    found = refused(client, runtime, app, bank, secrets=(STRANGER.name, STRANGER.id_number))

    assert found["transfer.sellers_not_owners"]["field"] == "sellers[1].id_number"
    assert "transfer.owner_not_selling" in found


def test_a_co_owner_who_does_not_sell_is_refused(client, runtime, bank, tax):
    found = refused(client, runtime, c.transfer(GROUP, sellers=c.SELLERS[:1]), bank)

    assert list(found) == ["transfer.owner_not_selling"]


def test_a_transfer_without_sellers_is_refused(client, runtime, bank, tax):
    found = refused(client, runtime, c.transfer(GROUP, sellers=()), bank)

    assert list(found) == ["transfer.sellers_missing"]


def test_a_transfer_without_buyers_is_refused(client, runtime, bank, tax):
    found = refused(client, runtime, c.transfer(GROUP, buyers=()), bank)

    assert "transfer.buyers_missing" in found


def test_mortgagors_other_than_the_buyers_are_refused(client, runtime, bank, tax):
    found = refused(client, runtime, c.transfer(GROUP, mortgagors=c.BUYERS[:1]), bank)

    assert list(found) == ["transfer.mortgagors_not_buyers"]


def test_a_buyers_wrong_id_number_is_refused_by_position(client, runtime, bank, tax):
    wrong = replace(c.BUYERS[1], id_number=c.BUYERS[1].id_number[:-1] + "9")
    app = c.transfer(GROUP, buyers=(c.BUYERS[0], wrong), mortgagors=(c.BUYERS[0], wrong))

    found = refused(client, runtime, app, bank, secrets=(wrong.id_number,))

    assert found["party.id_check_digit"]["field"] == "buyers[1].id_number"


def test_a_transfer_without_the_sale_contract_number_is_refused(client, runtime, bank, tax):
    found = refused(client, runtime, c.transfer(GROUP, sale_contract_no=None), bank)

    assert "transfer.sale_contract_missing" in found


def test_a_transfer_without_the_price_is_refused(client, runtime, bank, tax):
    found = refused(client, runtime, c.transfer(GROUP, sale_price=None), bank)

    assert list(found) == ["transfer.sale_price_missing"]


def test_a_carried_over_mortgage_without_its_mortgagees_consent_is_refused(client, runtime, bank, tax):
    with transaction(runtime.sessions) as session:
        add_mortgage(session, certificate_no=s.EXISTING_NO, mortgagee_code=factories.OTHER_BANK_CODE)

    found = refused(client, runtime, c.transfer(GROUP), bank)

    assert list(found) == ["transfer.mortgagee_consent_missing"]


def test_a_transfer_of_a_seized_home_is_refused(client, runtime, bank, tax):
    with transaction(runtime.sessions) as session:
        add_encumbrance(session, "SEIZURE")

    found = refused(client, runtime, c.transfer(GROUP), bank)

    assert list(found) == ["unit.seized"]


def test_a_transfer_of_a_home_not_yet_titled_is_refused(client, runtime, bank, tax):
    with transaction(runtime.sessions) as session:
        add_unit(session, "640221001001GB00012F00010003", state="UNDER_CONSTRUCTION")

    found = refused(client, runtime, c.transfer(GROUP, unit_code="640221001001GB00012F00010003"), bank)

    assert "unit.state_mismatch" in found


def test_the_buyers_mortgage_by_another_bank_than_the_transfers_is_refused(client, runtime, pki, bank, tax):
    s.submit_ok(client, c.transfer(GROUP), bank)

    found = refused(client, runtime, c.buyers_mortgage(GROUP, mortgagee=s.OTHER_BANK), s.other_bank(pki))

    assert list(found) == ["transfer.mortgage_not_combined"]


def test_the_buyers_mortgage_given_by_the_sellers_is_refused_once_the_transfer_is_received(
        client, runtime, bank, tax):
    s.submit_ok(client, c.transfer(GROUP), bank)

    found = refused(client, runtime, c.buyers_mortgage(GROUP, mortgagors=c.SELLERS, debtor=c.SELLERS[0]), bank)

    assert {"mortgagors.not_owners", "mortgagors.owner_missing"} <= set(found)


def test_another_institution_cannot_join_the_group_with_an_application_on_another_unit(
        client, runtime, pki, bank, tax):
    other_home = "640221001001GB00012F00010004"
    with transaction(runtime.sessions) as session:
        add_unit(session, other_home)
    s.submit_ok(client, c.transfer(GROUP), bank)
    intruder = s.first(mortgagee=s.OTHER_BANK, unit_code=other_home, link=LinkRef(GROUP, 2, 2))

    found = refused(client, runtime, intruder, s.other_bank(pki))

    assert "link.unit_mismatch" in found
