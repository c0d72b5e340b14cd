"""Two-factor sign-in in a real browser: an administrator creates an account on the staff page, its
owner enrols an authenticator on /account/security (the secret read from the page, codes computed
with pyotp as a phone would), signs out, and signs in again with password and code.

A gateway of its own: enrolling changes how an account signs in, and the other browser tests'
accounts (and their lockouts) must not be touched.
"""
from __future__ import annotations

import time
from collections.abc import Iterator

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser.support import PASSWORD, fill_sign_in, new_page, screenshot, sign_in
from tests.support.processes import cli, gateway_env, start_server

USERNAME = "totp-reviewer"


@pytest.fixture(scope="module")
def totp_gateway(tmp_path_factory, pki) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("web-totp")
    env = gateway_env(folder / "var", pki, GATEWAY_STAFF_TOKEN_SECRETS='["browser-totp-secret"]')
    cli(env, "db", "upgrade")
    cli(env, "user", "add", "--username", "admin", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
    server, base_url = start_server(env, folder)
    yield base_url
    server.stop()


def create_account_on_the_staff_page(browser, base_url: str) -> None:
    admin = sign_in(browser, base_url, "admin")
    admin.open("/admin/staff")
    admin.page.get_by_label("用户名").fill(USERNAME)
    admin.page.get_by_label("角色").select_option("reviewer")
    admin.page.get_by_label("初始密码（至少 10 个字符）").fill(PASSWORD)
    admin.page.get_by_role("button", name="创建账号").click()
    expect(admin.page.get_by_role("status")).to_contain_text("账号已创建")
    admin.context.close()


def test_a_reviewer_enrols_an_authenticator_and_then_signs_in_with_password_and_code(browser, totp_gateway):
    create_account_on_the_staff_page(browser, totp_gateway)
    person = sign_in(browser, totp_gateway, USERNAME)
    page = person.page

    person.open("/account/security")
    page.get_by_role("button", name="开始启用").click()
    expect(page.get_by_role("img", name="两步验证二维码")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    authenticator = pyotp.TOTP(secret)
    screenshot(page, "40-totp-enrolment")
    page.get_by_label("验证码").fill(authenticator.now())
    page.get_by_role("button", name="确认启用").click()
    expect(page.get_by_role("status")).to_contain_text("两步验证已启用")
    expect(page.get_by_role("list", name="恢复码").locator("li")).to_have_count(10)
    screenshot(page, "41-totp-recovery-codes")

    page.get_by_role("button", name="退出登录").click()
    expect(page.get_by_role("button", name="登录")).to_be_visible()
    fill_sign_in(page, totp_gateway, USERNAME, PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="两步验证")).to_be_visible()
    expect(page.get_by_role("button", name="退出登录")).to_have_count(0)  # the password alone does not sign in

    wrong = next(f"{n:06d}" for n in range(100000, 999999, 7919)
                 if all(f"{n:06d}" != authenticator.at(time.time() + s * 30) for s in range(-12, 13)))
    page.get_by_label("验证码或恢复码").fill(wrong)
    with page.expect_response(totp_gateway + "/login/totp") as answer:
        page.get_by_role("button", name="验证并登录").click()
    assert answer.value.status == 401
    expect(page.get_by_role("alert")).to_have_text("验证码错误。")
    screenshot(page, "42-totp-wrong-code")

    # The enrolment spent this step's code: the phone's next one (accepted one step early) signs in.
    page.get_by_label("验证码或恢复码").fill(authenticator.at(time.time() + 30))
    page.get_by_role("button", name="验证并登录").click()
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()
    assert page.url.endswith("/review/queue")
    person.context.close()


def test_the_code_page_is_not_reachable_without_the_password(browser, totp_gateway):
    context, page = new_page(browser)
    page.goto(totp_gateway + "/login/totp")
    assert page.url == totp_gateway + "/login"
    context.close()
