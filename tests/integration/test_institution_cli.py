"""``gateway institution list | show | update | disable | enable`` and ``add --parent``, run in-process
with the operator's environment: each change recorded with the account that ran it, each bad input
answered ``error [code]`` with exit status 1 and nothing changed."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from gateway.persistence.db import transaction
from gateway.persistence.models import AdminAction, Institution
from tests.support import factories
from tests.support import scenarios as s

BANK = factories.BANK_CODE
OTHER = factories.OTHER_BANK_CODE
UNKNOWN = "91640221MA00000000"


@pytest.fixture
def gateway(runtime, monkeypatch, capsys):
    """Run ``gateway ARGS``; returns (exit status, stdout, stderr)."""
    def run(*args: str) -> tuple[int, str, str]:
        status = s.run_cli(monkeypatch, runtime, "institution", *args)
        captured = capsys.readouterr()
        return status, captured.out, captured.err
    return run


def state(runtime) -> tuple[list[tuple], list[tuple]]:
    """Every institution's administered fields, and every recorded admin action."""
    with transaction(runtime.sessions) as session:
        institutions = session.execute(select(Institution.code, Institution.name, Institution.callback_url,
                                              Institution.status, Institution.disabled_reason,
                                              Institution.parent_id).order_by(Institution.code)).all()
        actions = session.execute(select(AdminAction.actor, AdminAction.action, AdminAction.subject)
                                  .order_by(AdminAction.id)).all()
        return [tuple(r) for r in institutions], [tuple(a) for a in actions]


def institution(runtime, code: str = BANK) -> Institution:
    with transaction(runtime.sessions) as session:
        found = session.scalar(select(Institution).where(Institution.code == code))
        session.expunge(found)
        return found


def assert_refused(result: tuple[int, str, str], code: str) -> None:
    status, _, err = result
    assert status == 1 and f"error [{code}]" in err, err


def test_list_shows_every_institution_with_kind_status_certificates_and_callback_url(gateway):
    status, out, _ = gateway("list")
    assert status == 0
    rows = {line.split("\t")[0]: line.split("\t") for line in out.splitlines()[1:]}
    assert rows[BANK][1:4] == ["bank", "active", "-"]
    assert rows[BANK][-1] == "平罗县测试商业银行" and rows[BANK][-2] == "-"
    assert set(rows) == {BANK, OTHER}


def test_show_gives_certificates_branches_and_recorded_changes(gateway, pki):
    gateway("update", "--code", BANK, "--callback-url", "https://bank.example/cb")
    status, out, _ = gateway("show", "--code", BANK)
    assert status == 0
    assert pki.bank.fingerprint in out and "callback URL: https://bank.example/cb" in out
    assert "institution.update" in out


def test_show_of_an_unknown_code_is_refused(gateway):
    assert_refused(gateway("show", "--code", UNKNOWN), "institution.not_found")


def test_update_changes_name_and_callback_url_and_records_the_os_account(gateway, runtime):
    status, out, _ = gateway("update", "--code", BANK, "--name", "平罗县测试银行", "--callback-url",
                             "https://bank.example/cb")
    assert status == 0, out
    changed = institution(runtime)
    assert (changed.name, changed.callback_url) == ("平罗县测试银行", "https://bank.example/cb")
    [(actor, action, subject)] = state(runtime)[1]
    assert actor.startswith("cli:") and (action, subject) == ("institution.update", BANK)


def test_update_can_remove_the_callback_url(gateway, runtime):
    gateway("update", "--code", BANK, "--callback-url", "https://bank.example/cb")
    assert gateway("update", "--code", BANK, "--no-callback-url")[0] == 0
    assert institution(runtime).callback_url is None


@pytest.mark.parametrize(("args", "code"), [
    (("--callback-url", "http://bank.example/cb"), "institution.invalid_callback_url"),
    (("--callback-url", "https://user:pw@bank.example/cb"), "institution.invalid_callback_url"),
    (("--name", " "), "institution.invalid_name"),
    ((), "institution.nothing_to_change"),
])
def test_a_bad_update_is_refused_and_changes_nothing(gateway, runtime, args, code):
    before = state(runtime)
    assert_refused(gateway("update", "--code", BANK, *args), code)
    assert state(runtime) == before


def test_updating_an_unknown_institution_is_refused(gateway, runtime):
    before = state(runtime)
    assert_refused(gateway("update", "--code", UNKNOWN, "--name", "某银行"), "institution.not_found")
    assert state(runtime) == before


def test_disable_refuses_the_banks_requests_and_enable_accepts_them_again(gateway, runtime, client, bank_auth):
    status, out, _ = gateway("disable", "--code", BANK, "--reason", "已退出合作")
    assert status == 0, out
    assert (institution(runtime).status, institution(runtime).disabled_reason) == ("disabled", "已退出合作")
    probe = "/v1/applications/640221202612060000001"
    assert client.get(probe, auth=bank_auth).json()["code"] == "institution.disabled"
    assert gateway("enable", "--code", BANK)[0] == 0
    assert client.get(probe, auth=bank_auth).status_code == 404  # accepted, and no such application
    assert [a[1] for a in state(runtime)[1]] == ["institution.disable", "institution.enable"]


def test_disabling_a_disabled_institution_is_refused(gateway, runtime):
    gateway("disable", "--code", BANK, "--reason", "已退出合作")
    before = state(runtime)
    assert_refused(gateway("disable", "--code", BANK, "--reason", "再次"), "institution.already_disabled")
    assert state(runtime) == before


def test_enabling_an_active_institution_is_refused(gateway, runtime):
    before = state(runtime)
    assert_refused(gateway("enable", "--code", BANK), "institution.not_disabled")
    assert state(runtime) == before


def test_disabling_without_a_reason_is_refused(gateway, runtime):
    before = state(runtime)
    assert_refused(gateway("disable", "--code", BANK, "--reason", "  "), "institution.reason_required")
    assert state(runtime) == before


def test_disabling_or_enabling_an_unknown_institution_is_refused(gateway, runtime):
    before = state(runtime)
    assert_refused(gateway("disable", "--code", UNKNOWN, "--reason", "x"), "institution.not_found")
    assert_refused(gateway("enable", "--code", UNKNOWN), "institution.not_found")
    assert state(runtime) == before


def add(gateway, pki, *args: str):
    return gateway("add", "--code", "91640221MA76R3PK3Q", "--name", "某银行平罗支行", "--kind", "bank",
                   "--cert", str(pki.gateway.cert_path), *args)


def test_add_with_parent_registers_a_branch_and_records_it(gateway, runtime, pki):
    status, out, err = add(gateway, pki, "--parent", BANK, "--callback-url", "http://127.0.0.1:9000/cb")
    assert status == 0, err
    branch = institution(runtime, "91640221MA76R3PK3Q")
    assert branch.parent_id == institution(runtime).id and branch.callback_url == "http://127.0.0.1:9000/cb"
    assert state(runtime)[1][-1][1:] == ("institution.create", "91640221MA76R3PK3Q")
    assert "91640221MA76R3PK3Q" in gateway("show", "--code", BANK)[1]


@pytest.mark.parametrize(("args", "code"), [
    (("--parent", UNKNOWN), "institution.unknown_parent"),
    (("--callback-url", "http://bank.example/cb"), "institution.invalid_callback_url"),
])
def test_a_bad_add_is_refused_and_changes_nothing(gateway, runtime, pki, args, code):
    before = state(runtime)
    assert_refused(add(gateway, pki, *args), code)
    assert state(runtime) == before


def test_add_under_a_branch_is_refused(gateway, runtime, pki):
    with transaction(runtime.sessions) as session:
        head = session.scalar(select(Institution).where(Institution.code == BANK))
        session.scalar(select(Institution).where(Institution.code == OTHER)).parent_id = head.id
    before = state(runtime)
    assert_refused(add(gateway, pki, "--parent", OTHER), "institution.parent_is_branch")
    assert state(runtime) == before
    with transaction(runtime.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Institution)) == 2
