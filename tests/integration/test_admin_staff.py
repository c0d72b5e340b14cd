"""Administering staff accounts through ``/v1/admin/staff``, the ``gateway user`` commands and the
``/admin/staff`` pages: every change recorded, every refusal with its own code and nothing changed."""
from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gateway.api.app import create_app
from gateway.persistence.db import transaction
from gateway.persistence.models import AdminAction, StaffRecoveryCode, StaffUser, WebSession
from gateway.persistence.types import utcnow
from gateway.staff import enrolment
from tests.conftest import ADMIN_PASSWORD, REVIEWER_PASSWORD, staff_headers
from tests.support import factories
from tests.support.scenarios import run_cli
from tests.support.tamper import assert_problem, runtime, seeded_database  # noqa: F401 (fixtures: a fast seeded runtime)

NEW_PASSWORD = "a-new-password-9"
STAFF_COLUMNS = ("username", "role", "institution_id", "active", "password_hash", "password_reset_required",
                 "totp_secret", "totp_enabled_at")


@pytest.fixture
def client(runtime):
    with TestClient(create_app(runtime), base_url="http://gateway.test") as test_client:
        yield test_client


@pytest.fixture
def admin(client) -> dict[str, str]:
    return staff_headers(client, "admin", ADMIN_PASSWORD)


def staff_state(runtime) -> tuple:
    """The staff accounts, their recorded changes and web sessions: what a refusal must leave as it was."""
    with runtime.sessions() as session:
        users = [tuple(getattr(u, c) for c in STAFF_COLUMNS) for u in session.scalars(select(StaffUser).order_by(StaffUser.id))]
        counts = [session.scalar(select(func.count()).select_from(t)) for t in (AdminAction, WebSession, StaffRecoveryCode)]
    return users, counts


def records(runtime, username: str) -> list[AdminAction]:
    with runtime.sessions() as session:
        return list(session.scalars(select(AdminAction).where(AdminAction.subject == username).order_by(AdminAction.id)))


def user(runtime, username: str) -> StaffUser:
    with runtime.sessions() as session:
        return session.scalar(select(StaffUser).where(StaffUser.username == username))


def enrol(runtime, username: str) -> None:
    with transaction(runtime.sessions) as session:
        user_id = session.scalar(select(StaffUser.id).where(StaffUser.username == username))
        secret = enrolment.start(session, user_id=user_id)
    import pyotp

    with transaction(runtime.sessions) as session:
        enrolment.confirm(session, user_id=user_id, code=pyotp.TOTP(secret).now(), now=utcnow())


# --- the API -------------------------------------------------------------------------------------

def test_the_list_shows_every_account_with_role_status_and_second_factor(client, admin):
    response = client.get("/v1/admin/staff", headers=admin)
    assert response.status_code == 200
    items = {item["username"]: item for item in response.json()["items"]}
    assert set(items) >= {"admin", "reviewer", "reviewer2", "supervisor"}
    assert items["reviewer"]["role"] == "reviewer" and items["reviewer"]["active"] is True
    assert items["reviewer"]["totp_enabled"] is False and items["reviewer"]["institution_code"] is None


def test_an_admin_creates_a_clerk_of_an_institution_and_the_creation_is_recorded(client, admin, runtime):
    response = client.post("/v1/admin/staff", headers=admin, json={
        "username": "clerk7", "role": "clerk", "password": NEW_PASSWORD, "institution_code": factories.BANK_CODE})
    assert response.status_code == 201, response.text
    assert response.headers["location"] == "/v1/admin/staff/clerk7"
    assert response.json()["institution_code"] == factories.BANK_CODE
    assert staff_headers(client, "clerk7", NEW_PASSWORD)
    [created] = records(runtime, "clerk7")
    assert (created.actor, created.action) == ("admin", "staff.create")
    assert NEW_PASSWORD not in str(created.details)


@pytest.mark.parametrize("body, status, code", [
    ({"username": "reviewer", "role": "reviewer", "password": NEW_PASSWORD}, 422, "staff.exists"),
    ({"username": "new1", "role": "boss", "password": NEW_PASSWORD}, 422, "staff.invalid_role"),
    ({"username": "new1", "role": "reviewer", "password": "short"}, 422, "staff.weak_password"),
    ({"username": "new1", "role": "clerk", "password": NEW_PASSWORD}, 422, "staff.institution_mismatch"),
    ({"username": "new1", "role": "reviewer", "password": NEW_PASSWORD, "institution_code": factories.BANK_CODE},
     422, "staff.institution_mismatch"),
    ({"username": "new1", "role": "clerk", "password": NEW_PASSWORD, "institution_code": "91640221MA00000000"},
     422, "institution.unknown"),
    ({"username": "new1", "role": "reviewer", "password": NEW_PASSWORD, "admin": True}, 422, "request.invalid"),
])
def test_a_wrong_new_account_is_refused_with_its_own_code_and_nothing_changes(client, admin, runtime, body, status, code):
    before = staff_state(runtime)
    assert_problem(client.post("/v1/admin/staff", headers=admin, json=body), status, code, secrets=(NEW_PASSWORD,))
    assert staff_state(runtime) == before


def test_show_gives_the_account_and_its_recorded_changes(client, admin):
    client.patch("/v1/admin/staff/reviewer2", headers=admin, json={"role": "supervisor"})
    response = client.get("/v1/admin/staff/reviewer2", headers=admin)
    assert response.status_code == 200
    assert response.json()["role"] == "supervisor"
    [change] = response.json()["changes"]
    assert change["action"] == "staff.set_role" and change["details"]["role"] == ["reviewer", "supervisor"]


@pytest.mark.parametrize("method, path", [
    ("get", "/v1/admin/staff/nobody"), ("patch", "/v1/admin/staff/nobody"), ("post", "/v1/admin/staff/nobody/disable"),
    ("post", "/v1/admin/staff/nobody/enable"), ("post", "/v1/admin/staff/nobody/reset-password"),
    ("post", "/v1/admin/staff/nobody/reset-totp"),
])
def test_an_unknown_username_is_404_staff_unknown(client, admin, runtime, method, path):
    body = {"patch": {"role": "reviewer"}, "post": {"password": NEW_PASSWORD}}.get(method)
    if path.endswith(("disable", "enable", "reset-totp")):
        body = None
    before = staff_state(runtime)
    assert_problem(client.request(method, path, headers=admin, json=body), 404, "staff.unknown")
    assert staff_state(runtime) == before


def test_a_role_change_takes_effect_and_is_recorded(client, admin, runtime):
    response = client.patch("/v1/admin/staff/reviewer2", headers=admin,
                            json={"role": "clerk", "institution_code": factories.BANK_CODE})
    assert response.status_code == 200, response.text
    assert (response.json()["role"], response.json()["institution_code"]) == ("clerk", factories.BANK_CODE)
    [change] = records(runtime, "reviewer2")
    assert change.details == {"role": ["reviewer", "clerk"], "institution": [None, factories.BANK_CODE]}


@pytest.mark.parametrize("body, code", [
    ({"role": "boss"}, "staff.invalid_role"),
    ({"role": "clerk"}, "staff.institution_mismatch"),
    ({"role": "supervisor", "institution_code": factories.BANK_CODE}, "staff.institution_mismatch"),
    ({"role": "clerk", "institution_code": "91640221MA00000000"}, "institution.unknown"),
])
def test_a_wrong_role_change_is_refused_and_nothing_changes(client, admin, runtime, body, code):
    before = staff_state(runtime)
    assert_problem(client.patch("/v1/admin/staff/reviewer", headers=admin, json=body), 422, code)
    assert staff_state(runtime) == before


def test_the_last_active_admin_cannot_be_demoted(client, admin, runtime):
    before = staff_state(runtime)
    assert_problem(client.patch("/v1/admin/staff/admin", headers=admin, json={"role": "reviewer"}), 409,
                   "staff.last_admin")
    assert staff_state(runtime) == before


def test_the_last_active_admin_cannot_be_disabled(client, admin, runtime):
    before = staff_state(runtime)
    assert_problem(client.post("/v1/admin/staff/admin/disable", headers=admin), 409, "staff.last_admin")
    assert staff_state(runtime) == before


def test_with_a_second_admin_one_may_be_disabled(client, admin, runtime):
    assert client.patch("/v1/admin/staff/supervisor", headers=admin, json={"role": "admin"}).status_code == 200
    response = client.post("/v1/admin/staff/admin/disable", headers=admin)
    assert response.status_code == 200 and response.json()["active"] is False
    # Now the other one is the last.
    other = staff_headers(client, "supervisor", ADMIN_PASSWORD)
    assert_problem(client.post("/v1/admin/staff/supervisor/disable", headers=other), 409, "staff.last_admin")


def test_a_disabled_account_s_token_is_refused_at_once_and_it_cannot_sign_in(client, admin, runtime):
    reviewer = staff_headers(client, "reviewer", REVIEWER_PASSWORD)
    assert client.get("/v1/review/queue", headers=reviewer).status_code == 200
    response = client.post("/v1/admin/staff/reviewer/disable", headers=admin)
    assert response.status_code == 200 and response.json()["active"] is False
    assert_problem(client.get("/v1/review/queue", headers=reviewer), 401, "auth.bad_token")
    assert_problem(client.post("/v1/staff/sessions", json={"username": "reviewer", "password": REVIEWER_PASSWORD}),
                   401, "auth.bad_credentials")
    assert [r.action for r in records(runtime, "reviewer")] == ["staff.disable"]


def test_enabling_lets_the_account_sign_in_again(client, admin, runtime):
    client.post("/v1/admin/staff/reviewer/disable", headers=admin)
    response = client.post("/v1/admin/staff/reviewer/enable", headers=admin)
    assert response.status_code == 200 and response.json()["active"] is True
    assert staff_headers(client, "reviewer", REVIEWER_PASSWORD)
    assert [r.action for r in records(runtime, "reviewer")] == ["staff.disable", "staff.enable"]


def test_disabling_twice_changes_nothing_the_second_time(client, admin, runtime):
    client.post("/v1/admin/staff/reviewer/disable", headers=admin)
    before = staff_state(runtime)
    assert client.post("/v1/admin/staff/reviewer/disable", headers=admin).status_code == 200
    assert staff_state(runtime) == before


def test_disabling_ends_the_account_s_web_sessions(client, admin, runtime):
    with TestClient(create_app(runtime), base_url="http://gateway.test") as browser:
        sign_in_on_the_web(browser, "reviewer", REVIEWER_PASSWORD)
        assert browser.get("/review/queue", follow_redirects=False).status_code == 200
        client.post("/v1/admin/staff/reviewer/disable", headers=admin)
        assert browser.get("/review/queue", follow_redirects=False).status_code == 303  # to /login
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(WebSession).where(WebSession.ended_at.is_(None))) == 0


def test_a_reset_password_replaces_the_old_one_and_must_be_changed_before_the_api_answers(client, admin, runtime):
    response = client.post("/v1/admin/staff/reviewer/reset-password", headers=admin, json={"password": NEW_PASSWORD})
    assert response.status_code == 200 and response.json()["password_reset_required"] is True
    assert_problem(client.post("/v1/staff/sessions", json={"username": "reviewer", "password": REVIEWER_PASSWORD}),
                   401, "auth.bad_credentials")
    assert_problem(client.post("/v1/staff/sessions", json={"username": "reviewer", "password": NEW_PASSWORD}),
                   403, "auth.password_change_required")
    [reset] = records(runtime, "reviewer")
    assert reset.action == "staff.reset_password" and NEW_PASSWORD not in str(reset.details)


def test_a_weak_reset_password_is_refused_and_nothing_changes(client, admin, runtime):
    before = staff_state(runtime)
    assert_problem(client.post("/v1/admin/staff/reviewer/reset-password", headers=admin, json={"password": "short"}),
                   422, "staff.weak_password")
    assert staff_state(runtime) == before


def test_resetting_the_second_factor_removes_it_and_its_recovery_codes(client, admin, runtime):
    enrol(runtime, "reviewer")
    response = client.post("/v1/admin/staff/reviewer/reset-totp", headers=admin)
    assert response.status_code == 200
    assert (response.json()["totp_enabled"], response.json()["recovery_codes_left"]) == (False, 0)
    assert staff_headers(client, "reviewer", REVIEWER_PASSWORD)  # the password alone again
    assert [r.action for r in records(runtime, "reviewer")] == ["staff.totp_enable", "staff.reset_totp"]


def test_resetting_a_second_factor_that_does_not_exist_is_refused(client, admin, runtime):
    before = staff_state(runtime)
    assert_problem(client.post("/v1/admin/staff/reviewer/reset-totp", headers=admin), 409, "staff.totp_not_enrolled")
    assert staff_state(runtime) == before


@pytest.mark.parametrize("username, password", [("reviewer", REVIEWER_PASSWORD), ("supervisor", ADMIN_PASSWORD)])
@pytest.mark.parametrize("method, path", [
    ("get", "/v1/admin/staff"), ("get", "/v1/admin/staff/reviewer2"), ("post", "/v1/admin/staff"),
    ("patch", "/v1/admin/staff/reviewer2"), ("post", "/v1/admin/staff/reviewer2/disable"),
    ("post", "/v1/admin/staff/reviewer2/enable"), ("post", "/v1/admin/staff/reviewer2/reset-password"),
    ("post", "/v1/admin/staff/reviewer2/reset-totp"),
])
def test_only_admins_may_use_the_staff_admin_api(client, runtime, username, password, method, path):
    headers = staff_headers(client, username, password)
    before = staff_state(runtime)
    assert_problem(client.request(method, path, headers=headers, json={}), 403, "auth.forbidden")
    assert_problem(client.request(method, path, json={}), 401, "auth.required")
    assert staff_state(runtime) == before


# --- the CLI -------------------------------------------------------------------------------------

def test_user_list_prints_every_account(monkeypatch, runtime, capsys):
    assert run_cli(monkeypatch, runtime, "user", "list") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split("\t")[:4] == ["username", "role", "institution", "status"]
    assert any(line.startswith("reviewer\treviewer\t-\tactive\tno") for line in lines)


def test_user_disable_and_enable_are_recorded_with_the_operating_system_account(monkeypatch, runtime):
    assert run_cli(monkeypatch, runtime, "user", "disable", "--username", "reviewer") == 0
    assert user(runtime, "reviewer").active is False
    assert run_cli(monkeypatch, runtime, "user", "enable", "--username", "reviewer") == 0
    assert user(runtime, "reviewer").active is True
    assert [(r.action, r.actor.startswith("cli:")) for r in records(runtime, "reviewer")] == [
        ("staff.disable", True), ("staff.enable", True)]


def test_user_reset_password_reads_the_password_from_stdin(monkeypatch, runtime, client):
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO(NEW_PASSWORD + "\n"))
    assert run_cli(monkeypatch, runtime, "user", "reset-password", "--username", "reviewer", "--password-stdin") == 0
    assert user(runtime, "reviewer").password_reset_required is True
    assert_problem(client.post("/v1/staff/sessions", json={"username": "reviewer", "password": NEW_PASSWORD}),
                   403, "auth.password_change_required")


def test_user_set_role_changes_the_role(monkeypatch, runtime):
    assert run_cli(monkeypatch, runtime, "user", "set-role", "--username", "reviewer2", "--role", "clerk",
                   "--institution", factories.BANK_CODE) == 0
    assert user(runtime, "reviewer2").role == "clerk"


def test_user_reset_totp_lets_an_admin_who_lost_the_phone_back_in(monkeypatch, runtime):
    enrol(runtime, "admin")
    assert run_cli(monkeypatch, runtime, "user", "reset-totp", "--username", "admin") == 0
    assert user(runtime, "admin").totp_enabled_at is None


@pytest.mark.parametrize("args, code", [
    (("user", "disable", "--username", "nobody"), "staff.unknown"),
    (("user", "disable", "--username", "admin"), "staff.last_admin"),
    (("user", "set-role", "--username", "reviewer", "--role", "boss"), "staff.invalid_role"),
    (("user", "set-role", "--username", "reviewer", "--role", "clerk"), "staff.institution_mismatch"),
    (("user", "reset-totp", "--username", "reviewer"), "staff.totp_not_enrolled"),
])
def test_a_refused_command_prints_its_code_and_changes_nothing(monkeypatch, runtime, capsys, args, code):
    before = staff_state(runtime)
    assert run_cli(monkeypatch, runtime, *args) == 1
    assert f"error [{code}]" in capsys.readouterr().err
    assert staff_state(runtime) == before


def test_a_weak_password_from_stdin_is_refused(monkeypatch, runtime, capsys):
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("short\n"))
    before = staff_state(runtime)
    assert run_cli(monkeypatch, runtime, "user", "reset-password", "--username", "reviewer", "--password-stdin") == 1
    assert "error [staff.weak_password]" in capsys.readouterr().err
    assert staff_state(runtime) == before


# --- the admin pages -----------------------------------------------------------------------------

def sign_in_on_the_web(browser: TestClient, username: str, password: str):
    page = browser.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = browser.post("/login", data={"csrf_token": token, "username": username, "password": password},
                            follow_redirects=False)
    assert response.status_code == 303, response.text
    return response


def csrf(page) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


@pytest.fixture
def admin_browser(runtime):
    with TestClient(create_app(runtime), base_url="http://gateway.test") as browser:
        sign_in_on_the_web(browser, "admin", ADMIN_PASSWORD)
        yield browser


def test_the_staff_page_lists_accounts_and_creates_one(admin_browser, runtime):
    page = admin_browser.get("/admin/staff")
    assert page.status_code == 200 and "reviewer2" in page.text
    response = admin_browser.post("/admin/staff", data={"csrf_token": csrf(page), "username": "reviewer9",
                                                        "role": "reviewer", "institution": "", "password": NEW_PASSWORD},
                                  follow_redirects=False)
    assert response.headers["location"] == "/admin/staff/reviewer9?done=created"
    assert user(runtime, "reviewer9").role == "reviewer"


def test_the_account_page_disables_and_shows_the_record(admin_browser, runtime):
    page = admin_browser.get("/admin/staff/reviewer")
    assert page.status_code == 200
    done = admin_browser.post("/admin/staff/reviewer/disable", data={"csrf_token": csrf(page)})
    assert done.status_code == 200 and "账号已停用" in done.text and "停用账号" in done.text
    assert user(runtime, "reviewer").active is False


def test_the_page_refuses_to_disable_the_last_admin_in_chinese(admin_browser, runtime):
    page = admin_browser.get("/admin/staff/admin")
    before = staff_state(runtime)
    refused = admin_browser.post("/admin/staff/admin/disable", data={"csrf_token": csrf(page)})
    assert refused.status_code == 409 and "不能停用最后一名管理员" in refused.text
    assert staff_state(runtime) == before


def test_the_page_of_an_unknown_account_is_404(admin_browser):
    assert admin_browser.get("/admin/staff/nobody").status_code == 404


@pytest.mark.parametrize("username, password", [("reviewer", REVIEWER_PASSWORD), ("supervisor", ADMIN_PASSWORD)])
def test_only_admins_see_the_staff_pages(runtime, username, password):
    with TestClient(create_app(runtime), base_url="http://gateway.test") as browser:
        sign_in_on_the_web(browser, username, password)
        assert browser.get("/admin/staff").status_code == 403
        assert browser.get("/admin/staff/reviewer2").status_code == 403
