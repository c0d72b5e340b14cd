"""What the staff web refuses: pages of other roles, other institutions' applications, forged posts,
password guessing, and a form with mistakes."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.support import (
    OTHER_HOME, PASSWORD, Person, fill_sign_in, new_page, pdf, screenshot,
)


def submitted_by_request(clerk: Person) -> str:
    """A whole application submitted with the clerk's session (the form's own requests, without clicking)."""
    clerk.open("/clerk/applications/new")
    token = clerk.csrf_token()
    request_id = clerk.page.locator("input[name=request_id]").get_attribute("value")
    form = {"csrf_token": token, "registration_type": "MORTGAGE_FIRST", "request_id": request_id,
            "unit_code": OTHER_HOME["unit"], "debtor_same": "on", "secured_amount": "200000",
            "debt_start": "2026-12-01", "debt_end": "2036-11-30", "loan_contract_no": "JK-2", "mortgage_contract_no": "DY-2"}
    for index, (name, number) in enumerate(OTHER_HOME["owners"]):
        form.update({f"mortgagor-{index}-name": name, f"mortgagor-{index}-id_type": "RESIDENT_ID",
                     f"mortgagor-{index}-id_number": number})
    for index, code in enumerate(("LOAN_CONTRACT", "MORTGAGE_CONTRACT", "ID_DOCUMENT")):
        uploaded = clerk.page.request.post(clerk.base_url + "/clerk/materials", data=pdf(f"{code} of the other home"),
                                           headers={"X-CSRF-Token": token, "X-File-Name": f"{code}.pdf",
                                                    "Content-Type": "application/pdf", "Accept": "application/json"})
        assert uploaded.status == 201, uploaded.text()
        form.update({f"material-{index}-type": code, f"material-{index}-name": f"{code}.pdf",
                     f"material-{index}-sha256": uploaded.json()["sha256"]})
    response = clerk.page.request.post(clerk.base_url + "/clerk/applications", form=form, max_redirects=0)
    assert response.status == 303, response.text()
    return re.search(r"/clerk/applications/(\d+)", response.headers["location"]).group(1)


def test_a_clerk_cannot_open_the_review_queue(people):
    clerk = people("clerk")
    response = clerk.open("/review/queue")
    assert response.status == 403
    expect(clerk.page.get_by_role("heading", name="无权访问")).to_be_visible()
    expect(clerk.page.get_by_role("alert")).to_contain_text("仅供审核人员使用")
    screenshot(clerk.page, "20-refused-clerk-on-review-queue")


def test_a_reviewer_cannot_open_the_clerk_form_nor_submit(people):
    reviewer = people("reviewer")
    assert reviewer.open("/clerk/applications/new").status == 403
    expect(reviewer.page.get_by_role("heading", name="无权访问")).to_be_visible()
    reviewer.open("/review/queue")
    refused = reviewer.page.request.post(reviewer.base_url + "/clerk/applications",
                                         form={"csrf_token": reviewer.csrf_token()}, max_redirects=0)
    assert refused.status == 403


def test_a_supervisor_cannot_decide_and_a_clerk_cannot_claim(people):
    clerk = people("clerk")
    number = submitted_by_request(clerk)
    refused = clerk.page.request.post(f"{clerk.base_url}/review/applications/{number}/claim",
                                      form={"csrf_token": clerk.csrf_token()}, max_redirects=0)
    assert refused.status == 403
    supervisor = people("supervisor")
    assert supervisor.open(f"/review/applications/{number}").status == 403
    decided = supervisor.page.request.post(f"{supervisor.base_url}/review/applications/{number}/decision",
                                           form={"csrf_token": supervisor.csrf_token(), "decision": "approve"},
                                           max_redirects=0)
    assert decided.status == 403


def test_a_clerk_of_another_institution_cannot_see_the_application(people):
    number = submitted_by_request(people("clerk"))
    stranger = people("clerk2")
    response = stranger.open(f"/clerk/applications/{number}")
    assert response.status == 404
    expect(stranger.page.get_by_role("heading", name="未找到")).to_be_visible()
    screenshot(stranger.page, "21-refused-other-institution")
    assert stranger.open(f"/clerk/applications/{number}/documents/receipt").status == 404
    stranger.open("/clerk/applications")
    expect(stranger.page.get_by_text(number)).to_have_count(0)


@pytest.mark.parametrize("token", [None, "forged-token"], ids=["without a token", "with a wrong token"])
def test_a_post_without_the_sessions_csrf_token_is_refused(people, token):
    clerk = people("clerk")
    clerk.open("/clerk/applications")
    form = {"csrf_token": token} if token else {}
    for path in ("/clerk/applications", "/logout"):
        refused = clerk.page.request.post(clerk.base_url + path, form=form, max_redirects=0)
        assert refused.status == 403, path
        assert "CSRF" in refused.text()
    uploaded = clerk.page.request.post(clerk.base_url + "/clerk/materials", data=pdf("x"),
                                       headers={"Content-Type": "application/pdf", **({"X-CSRF-Token": token} if token else {})})
    assert uploaded.status == 403
    expect(clerk.page.get_by_role("button", name="退出登录")).to_be_visible()  # still signed in: logout was refused


def test_sign_in_is_paused_after_five_wrong_passwords_even_for_the_right_one(browser, gateway_url):
    context, page = new_page(browser)
    for attempt in range(5):
        fill_sign_in(page, gateway_url, "admin", f"wrong-password-{attempt}")
        page.get_by_role("button", name="登录").click()
        expect(page.get_by_role("alert")).to_have_text("用户名或密码错误。")
    screenshot(page, "22-login-wrong-password")
    fill_sign_in(page, gateway_url, "admin", PASSWORD)
    with page.expect_response(gateway_url + "/login") as answer:
        page.get_by_role("button", name="登录").click()
    assert answer.value.status == 429
    expect(page.get_by_role("alert")).to_contain_text("登录失败次数过多")
    expect(page.get_by_role("button", name="退出登录")).to_have_count(0)
    screenshot(page, "23-login-rate-limited")
    context.close()


def test_the_form_shows_every_mistake_before_anything_is_sent(people):
    clerk = people("clerk")
    page = clerk.page
    clerk.open("/clerk/applications/new")
    page.get_by_label("不动产单元代码").fill("640221001001GB0001F00010001")
    page.locator("#mortgagor-0-id_number").fill("64022119850315001")
    page.get_by_label("被担保主债权数额（元）").fill("12.345")
    page.get_by_label("债务履行期限（起）").fill("2026-02-30")
    page.get_by_role("button", name="提交申请").click()
    summary = page.locator("[data-client-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("不动产单元代码应为28位，当前为27位")
    expect(summary).to_contain_text("居民身份证号码应为18位")
    expect(summary).to_contain_text("最多两位小数")
    expect(summary).to_contain_text("请按“年-月-日”填写有效日期")
    expect(summary).to_contain_text("缺少必需材料：抵押合同、主债权合同")
    expect(page).to_have_url(re.compile(r"/clerk/applications/new$"))
    screenshot(page, "24-clerk-form-mistakes")
