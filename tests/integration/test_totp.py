"""Staff sign-in with a TOTP second factor, its lockout, and the client address it is keyed on.

Through the API (``POST /v1/staff/sessions`` with ``totp_code`` or ``recovery_code``) and the web
(the password page, then the code page), and the enrolment page ``/account/security``.
"""
from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from gateway.api.app import create_app
from gateway.persistence.db import transaction
from gateway.persistence.models import AdminAction, LoginAttempt, StaffRecoveryCode, StaffUser
from gateway.persistence.types import utcnow
from gateway.staff import enrolment
from tests.conftest import ADMIN_PASSWORD, REVIEWER_PASSWORD, staff_headers
from tests.support.tamper import (  # noqa: F401 (fixtures: a fast seeded runtime)
    assert_problem, runtime, runtime_from_template, seeded_database,
)

SESSIONS = "/v1/staff/sessions"
STEP = timedelta(seconds=30)


@pytest.fixture
def client(runtime):
    with TestClient(create_app(runtime), base_url="http://gateway.test") as test_client:
        yield test_client


@pytest.fixture
def require_admin_totp(seeded_database, tmp_path, pki):
    runtime = runtime_from_template(seeded_database, tmp_path / "strict", pki, require_totp=["admin"])
    yield runtime
    runtime.close()


def user_id(runtime, username: str) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(StaffUser.id).where(StaffUser.username == username))


def enrol(runtime, username: str = "reviewer") -> tuple[pyotp.TOTP, list[str]]:
    """Enrol through the service, confirming with the previous step's code (so that now's is still unused)."""
    with transaction(runtime.sessions) as session:
        secret = enrolment.start(session, user_id=user_id(runtime, username))
    confirmed_at = utcnow() - STEP
    with transaction(runtime.sessions) as session:
        codes = enrolment.confirm(session, user_id=user_id(runtime, username),
                                  code=pyotp.TOTP(secret).at(confirmed_at), now=confirmed_at)
    return pyotp.TOTP(secret), codes


def code_at(totp: pyotp.TOTP, steps: int) -> str:
    return totp.at(utcnow() + steps * STEP)


def wrong_code(totp: pyotp.TOTP) -> str:
    near = {code_at(totp, steps) for steps in range(-12, 13)}
    return next(code for code in (f"{n:06d}" for n in range(123456, 999999, 7919)) if code not in near)


def sign_in(client, username="reviewer", password=REVIEWER_PASSWORD, **extra):
    return client.post(SESSIONS, json={"username": username, "password": password, **extra})


def failures(runtime) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(LoginAttempt))


# --- the second factor through the API ------------------------------------------------------------

def test_an_account_without_a_second_factor_signs_in_with_its_password(client):
    assert sign_in(client).status_code == 200


def test_an_enrolled_account_needs_a_code_and_the_password_alone_is_refused(client, runtime):
    enrol(runtime)
    assert_problem(sign_in(client), 401, "auth.totp_required")
    assert failures(runtime) == 0  # not a guess: the client did not know a code was needed


def test_the_current_code_signs_in(client, runtime):
    totp, _ = enrol(runtime)
    response = sign_in(client, totp_code=totp.now())
    assert response.status_code == 200, response.text
    assert response.json()["role"] == "reviewer"


def test_a_code_of_the_step_before_or_after_is_accepted(client, runtime):
    totp, _ = enrol(runtime)
    assert sign_in(client, totp_code=code_at(totp, +1)).status_code == 200


def test_a_code_is_accepted_once(client, runtime):
    totp, _ = enrol(runtime)
    code = totp.now()
    assert sign_in(client, totp_code=code).status_code == 200
    assert_problem(sign_in(client, totp_code=code), 401, "auth.totp_reused", secrets=(code,))


def test_a_code_older_than_the_last_accepted_one_counts_as_reused(client, runtime):
    totp, _ = enrol(runtime)
    assert sign_in(client, totp_code=code_at(totp, +1)).status_code == 200
    assert_problem(sign_in(client, totp_code=totp.now()), 401, "auth.totp_reused")


def test_a_wrong_code_is_refused_and_counts_towards_the_lockout(client, runtime):
    totp, _ = enrol(runtime)
    assert_problem(sign_in(client, totp_code=wrong_code(totp)), 401, "auth.totp_invalid")
    assert failures(runtime) == 1


def test_a_code_from_another_time_step_is_refused_as_wrong_time(client, runtime):
    totp, _ = enrol(runtime)
    assert_problem(sign_in(client, totp_code=code_at(totp, -5)), 401, "auth.totp_wrong_time")
    assert_problem(sign_in(client, totp_code=code_at(totp, +4)), 401, "auth.totp_wrong_time")


def test_a_code_with_the_wrong_password_is_still_bad_credentials(client, runtime):
    totp, _ = enrol(runtime)
    assert_problem(sign_in(client, password="wrong-password", totp_code=totp.now()), 401, "auth.bad_credentials")
    assert sign_in(client, totp_code=totp.now()).status_code == 200  # the code was not spent


def test_a_recovery_code_signs_in_once(client, runtime):
    _, codes = enrol(runtime)
    assert sign_in(client, recovery_code=codes[3].upper()).status_code == 200
    assert_problem(sign_in(client, recovery_code=codes[3]), 401, "auth.recovery_code_used", secrets=(codes[3],))
    with runtime.sessions() as session:
        left = session.scalar(select(func.count()).select_from(StaffRecoveryCode).where(StaffRecoveryCode.used_at.is_(None)))
    assert left == 9


def test_an_unknown_recovery_code_is_refused(client, runtime):
    enrol(runtime)
    assert_problem(sign_in(client, recovery_code="aaaa-bbbb-cccc"), 401, "auth.recovery_code_invalid")
    assert failures(runtime) == 1


def test_a_code_and_a_recovery_code_together_are_refused(client, runtime):
    totp, codes = enrol(runtime)
    assert_problem(sign_in(client, totp_code=totp.now(), recovery_code=codes[0]), 422, "request.invalid")


def test_recovery_codes_are_stored_only_as_hashes(runtime):
    _, codes = enrol(runtime)
    with runtime.sessions() as session:
        stored = set(session.scalars(select(StaffRecoveryCode.code_sha256)))
    assert len(stored) == 10 and not stored & set(codes)


def test_the_secret_is_stored_encrypted_and_still_checks_codes(client, runtime):
    from sqlalchemy import text

    totp, _ = enrol(runtime)
    with runtime.sessions() as session:
        stored = session.execute(text("SELECT totp_secret FROM staff_users WHERE username = 'reviewer'")).scalar_one()
    assert stored.startswith("enc1:") and totp.secret not in stored
    assert sign_in(client, totp_code=totp.now()).status_code == 200


def test_enabling_the_second_factor_is_recorded_without_the_secret(runtime):
    totp, _ = enrol(runtime)
    with runtime.sessions() as session:
        [entry] = session.scalars(select(AdminAction))
    assert (entry.action, entry.actor, entry.subject) == ("staff.totp_enable", "reviewer", "reviewer")
    assert totp.secret not in str(entry.details)


# --- GATEWAY_REQUIRE_TOTP -------------------------------------------------------------------------

def test_a_required_role_without_a_second_factor_is_refused_on_the_api(require_admin_totp):
    with TestClient(create_app(require_admin_totp), base_url="http://gateway.test") as client:
        assert_problem(sign_in(client, "admin", ADMIN_PASSWORD), 403, "auth.totp_enrolment_required")
        assert sign_in(client).status_code == 200  # reviewers are not required to


def test_a_required_role_signs_in_once_enrolled(require_admin_totp):
    totp, _ = enrol(require_admin_totp, "admin")
    with TestClient(create_app(require_admin_totp), base_url="http://gateway.test") as client:
        assert sign_in(client, "admin", ADMIN_PASSWORD, totp_code=totp.now()).status_code == 200


def test_a_token_issued_before_the_requirement_is_refused_after_it(runtime, require_admin_totp, client):
    token = staff_headers(client, "admin", ADMIN_PASSWORD)["Authorization"][7:]
    with TestClient(create_app(require_admin_totp), base_url="http://gateway.test") as strict:
        assert_problem(strict.get("/v1/admin/staff", headers={"Authorization": f"Bearer {token}"}), 403,
                       "auth.totp_enrolment_required")


# --- lockout and the client address ---------------------------------------------------------------

def test_thirty_wrong_passwords_lock_the_right_one_out_with_429_and_retry_after(client, runtime):
    answers = [sign_in(client, password=f"wrong-{n}").status_code for n in range(30)]
    assert answers[:5] == [401] * 5 and set(answers[5:]) == {429}
    locked = assert_problem(sign_in(client), 429, "auth.locked")
    assert 0 < int(locked["retry_after"]) <= 15 * 60
    assert 0 < int(sign_in(client).headers["retry-after"]) <= 15 * 60


def test_while_locked_no_further_failures_are_recorded(client, runtime):
    for n in range(8):
        sign_in(client, password=f"wrong-{n}")
    assert failures(runtime) == 5


def test_the_lockout_ends_when_the_failures_leave_the_window(client, runtime):
    for n in range(5):
        sign_in(client, password=f"wrong-{n}")
    assert sign_in(client).status_code == 429
    with transaction(runtime.sessions) as session:
        session.execute(update(LoginAttempt).values(at=utcnow() - timedelta(minutes=16)))
    assert sign_in(client).status_code == 200


def test_a_success_forgives_earlier_failures(client, runtime):
    for n in range(4):
        sign_in(client, password=f"wrong-{n}")
    assert sign_in(client).status_code == 200
    assert failures(runtime) == 0


def test_one_address_trying_many_usernames_is_locked_out(client, runtime):
    for n in range(30):
        sign_in(client, username=f"guess{n}", password="wrong-password")
    assert_problem(sign_in(client, "admin", ADMIN_PASSWORD), 429, "auth.locked")


def test_wrong_codes_lock_the_account_out_from_that_address(client, runtime):
    totp, _ = enrol(runtime)
    for _ in range(5):
        sign_in(client, totp_code=wrong_code(totp))
    assert_problem(sign_in(client, totp_code=totp.now()), 429, "auth.locked")


def test_the_lockout_is_shared_by_the_web_and_the_api(client, runtime):
    for n in range(5):
        sign_in(client, password=f"wrong-{n}")
    page = client.get("/login")
    refused = client.post("/login", data={"csrf_token": csrf(page), "username": "reviewer",
                                          "password": REVIEWER_PASSWORD}, follow_redirects=False)
    assert refused.status_code == 429 and "登录失败次数过多" in refused.text


def test_a_client_setting_x_forwarded_for_cannot_escape_the_lockout(client, runtime):
    for n in range(5):
        client.post(SESSIONS, json={"username": "reviewer", "password": f"wrong-{n}"},
                    headers={"X-Forwarded-For": f"198.51.100.{n}", "Forwarded": f"for=198.51.100.{n}"})
    response = client.post(SESSIONS, json={"username": "reviewer", "password": REVIEWER_PASSWORD},
                           headers={"X-Forwarded-For": "198.51.100.99"})
    assert_problem(response, 429, "auth.locked")
    with runtime.sessions() as session:
        assert set(session.scalars(select(LoginAttempt.address))) == {"testclient"}


def test_a_client_setting_x_forwarded_for_cannot_escape_the_web_lockout(client, runtime):
    for n in range(5):
        page = client.get("/login")
        client.post("/login", data={"csrf_token": csrf(page), "username": "reviewer", "password": f"wrong-{n}"},
                    headers={"X-Forwarded-For": f"198.51.100.{n}"})
    page = client.get("/login")
    response = client.post("/login", data={"csrf_token": csrf(page), "username": "reviewer",
                                           "password": REVIEWER_PASSWORD},
                           headers={"X-Forwarded-For": "198.51.100.99"}, follow_redirects=False)
    assert response.status_code == 429


@pytest.fixture
def behind_proxy(seeded_database, tmp_path, pki):
    runtime = runtime_from_template(seeded_database, tmp_path / "proxied", pki, trusted_proxies=["10.0.0.0/8"])
    with TestClient(create_app(runtime), base_url="http://gateway.test", client=("10.0.0.5", 40000)) as client:
        yield runtime, client
    runtime.close()


def test_behind_a_trusted_proxy_the_forwarded_address_is_locked_out_and_others_are_not(behind_proxy):
    runtime, client = behind_proxy
    attacker, colleague = {"X-Forwarded-For": "1.2.3.4, 198.51.100.1"}, {"X-Forwarded-For": "198.51.100.2"}
    for n in range(5):
        client.post(SESSIONS, json={"username": "reviewer", "password": f"wrong-{n}"}, headers=attacker)
    assert_problem(client.post(SESSIONS, json={"username": "reviewer", "password": REVIEWER_PASSWORD},
                               headers=attacker), 429, "auth.locked")
    assert client.post(SESSIONS, json={"username": "reviewer", "password": REVIEWER_PASSWORD},
                       headers=colleague).status_code == 200
    with runtime.sessions() as session:
        assert set(session.scalars(select(LoginAttempt.address))) == {"198.51.100.1"}


# --- the web: the code page after the password, and the enrolment page ----------------------------

def csrf(page) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def web_password(client, username="reviewer", password=REVIEWER_PASSWORD):
    page = client.get("/login")
    return client.post("/login", data={"csrf_token": csrf(page), "username": username, "password": password},
                       follow_redirects=False)


def test_on_the_web_an_enrolled_account_is_asked_for_its_code_after_the_password(client, runtime):
    totp, _ = enrol(runtime)
    asked = web_password(client)
    assert asked.status_code == 200 and "两步验证" in asked.text
    assert client.get("/review/queue", follow_redirects=False).status_code == 303  # not signed in yet
    done = client.post("/login/totp", data={"csrf_token": csrf(asked), "code": totp.now()}, follow_redirects=False)
    assert (done.status_code, done.headers["location"]) == (303, "/review/queue")
    assert client.get("/review/queue").status_code == 200


def test_on_the_web_a_wrong_code_is_refused_and_recorded(client, runtime):
    totp, _ = enrol(runtime)
    asked = web_password(client)
    refused = client.post("/login/totp", data={"csrf_token": csrf(asked), "code": wrong_code(totp)})
    assert refused.status_code == 401 and "验证码错误" in refused.text
    assert failures(runtime) == 1
    assert client.get("/review/queue", follow_redirects=False).status_code == 303


def test_on_the_web_the_right_password_does_not_forgive_wrong_codes(client, runtime):
    totp, _ = enrol(runtime)
    for _ in range(5):
        asked = web_password(client)
        assert asked.status_code == 200
        client.post("/login/totp", data={"csrf_token": csrf(asked), "code": wrong_code(totp)})
    assert web_password(client).status_code == 429
    assert failures(runtime) == 5


def test_on_the_web_a_reused_code_is_refused(client, runtime):
    totp, _ = enrol(runtime)
    code = totp.now()
    assert sign_in(client, totp_code=code).status_code == 200
    asked = web_password(client)
    refused = client.post("/login/totp", data={"csrf_token": csrf(asked), "code": code})
    assert refused.status_code == 401 and "已使用过" in refused.text


def test_on_the_web_a_recovery_code_signs_in(client, runtime):
    _, codes = enrol(runtime)
    asked = web_password(client)
    done = client.post("/login/totp", data={"csrf_token": csrf(asked), "code": codes[0]}, follow_redirects=False)
    assert done.status_code == 303


def test_the_code_page_without_the_password_step_goes_back_to_sign_in(client, runtime):
    enrol(runtime)
    page = client.get("/login")
    response = client.post("/login/totp", data={"csrf_token": csrf(page), "code": "123456"}, follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/login")
    assert client.get("/login/totp", follow_redirects=False).headers["location"] == "/login"


def test_enrolment_on_the_page_shows_a_qr_code_and_the_secret_then_ten_recovery_codes(client, runtime):
    assert web_password(client).status_code == 303
    page = client.get("/account/security")
    assert "开始启用" in page.text
    client.post("/account/security/totp/start", data={"csrf_token": csrf(page)})
    page = client.get("/account/security")
    assert 'src="data:image/svg+xml' in page.text
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page.text).group(1).replace(" ", "")
    wrong = client.post("/account/security/totp/confirm", data={"csrf_token": csrf(page), "code": wrong_code(pyotp.TOTP(secret))})
    assert wrong.status_code == 401 and "验证码错误" in wrong.text
    done = client.post("/account/security/totp/confirm", data={"csrf_token": csrf(page), "code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200 and "两步验证已启用" in done.text
    codes = re.findall(r"<li>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</li>", done.text)
    assert len(codes) == 10
    assert "恢复码" in client.get("/account/security").text
    assert not re.findall(r"<li>[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}</li>", client.get("/account/security").text)


def test_confirming_before_starting_is_refused(client, runtime):
    web_password(client)
    page = client.get("/account/security")
    refused = client.post("/account/security/totp/confirm", data={"csrf_token": csrf(page), "code": "123456"})
    assert refused.status_code == 409 and "开始启用" in refused.text


def test_a_person_removes_their_own_second_factor_with_a_current_code(client, runtime):
    totp, _ = enrol(runtime)
    asked = web_password(client)
    assert client.post("/login/totp", data={"csrf_token": csrf(asked), "code": totp.now()},
                       follow_redirects=False).status_code == 303
    page = client.get("/account/security")
    done = client.post("/account/security/totp/remove", data={"csrf_token": csrf(page), "code": code_at(totp, +1)})
    assert done.status_code == 200 and "两步验证已停用" in done.text
    with runtime.sessions() as session:
        actions = list(session.scalars(select(AdminAction.action).order_by(AdminAction.id)))
    assert actions == ["staff.totp_enable", "staff.totp_disable"]


def test_a_required_role_is_sent_to_enrolment_and_kept_there(require_admin_totp):
    with TestClient(create_app(require_admin_totp), base_url="http://gateway.test") as client:
        signed = web_password(client, "admin", ADMIN_PASSWORD)
        assert signed.headers["location"] == "/account/security"
        assert "要求管理员使用两步验证" in client.get("/account/security").text
        kept = client.get("/supervision")
        assert kept.status_code == 403 and "账号安全" in kept.text


def test_a_required_role_cannot_remove_its_second_factor(require_admin_totp):
    totp, _ = enrol(require_admin_totp, "admin")
    with TestClient(create_app(require_admin_totp), base_url="http://gateway.test") as client:
        asked = web_password(client, "admin", ADMIN_PASSWORD)
        assert client.post("/login/totp", data={"csrf_token": csrf(asked), "code": totp.now()},
                           follow_redirects=False).status_code == 303
        page = client.get("/account/security")
        assert "停用两步验证" not in page.text
        refused = client.post("/account/security/totp/remove", data={"csrf_token": csrf(page), "code": code_at(totp, +1)})
        assert refused.status_code == 403
    with require_admin_totp.sessions() as session:
        assert session.scalar(select(StaffUser.totp_enabled_at).where(StaffUser.username == "admin")) is not None


def test_after_a_password_reset_the_web_asks_for_a_new_password_first(client, runtime):
    admin = staff_headers(client, "admin", ADMIN_PASSWORD)
    client.post("/v1/admin/staff/reviewer/reset-password", headers=admin, json={"password": "temporary-pass-1"})
    signed = web_password(client, "reviewer", "temporary-pass-1")
    assert signed.headers["location"] == "/account/security"
    assert client.get("/review/queue").status_code == 403
    page = client.get("/account/security")
    mismatch = client.post("/account/security/password", data={"csrf_token": csrf(page), "current": "temporary-pass-1",
                                                               "new": "my-own-password-1", "repeated": "my-own-password-2"})
    assert mismatch.status_code == 422 and "不一致" in mismatch.text
    wrong = client.post("/account/security/password", data={"csrf_token": csrf(page), "current": "not-it-at-all",
                                                            "new": "my-own-password-1", "repeated": "my-own-password-1"})
    assert wrong.status_code == 422 and "当前密码错误" in wrong.text
    done = client.post("/account/security/password", data={"csrf_token": csrf(page), "current": "temporary-pass-1",
                                                           "new": "my-own-password-1", "repeated": "my-own-password-1"})
    assert done.status_code == 200 and "密码已修改" in done.text
    assert client.get("/review/queue").status_code == 200
    assert sign_in(client, password="my-own-password-1").status_code == 200


def test_on_postgresql_a_code_is_accepted_once_and_failures_lock_out(postgres_url, tmp_path, pki):
    from tests.conftest import make_settings, seed, start_runtime

    runtime = start_runtime(make_settings(tmp_path / "pg", pki, database_url=postgres_url))
    try:
        seed(runtime, pki)
        totp, codes = enrol(runtime)
        with TestClient(create_app(runtime), base_url="http://gateway.test") as client:
            code = totp.now()
            assert sign_in(client, totp_code=code).status_code == 200
            assert_problem(sign_in(client, totp_code=code), 401, "auth.totp_reused")
            assert sign_in(client, recovery_code=codes[0]).status_code == 200
            for n in range(5):
                sign_in(client, password=f"wrong-{n}")
            assert_problem(sign_in(client, recovery_code=codes[1]), 429, "auth.locked")
            admin = staff_headers(client, "admin", ADMIN_PASSWORD)
            assert_problem(client.post("/v1/admin/staff/admin/disable", headers=admin), 409, "staff.last_admin")
    finally:
        runtime.close()
