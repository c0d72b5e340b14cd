"""The whole life of a housing-fund application in the staff web, as the people involved click through it.

A clerk fills in the form, uploads the materials (chosen and dropped), pre-checks and submits; a
reviewer claims it from the queue by keyboard and asks for a supplement; the clerk supplies it; the
reviewer approves; the clerk downloads the signed result and the certificate made in the background;
a supervisor sees it on the dashboard. Every page is saved as a screenshot.
"""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.support import HOME, application_number, fill_sign_in, new_page, pdf, png, screenshot

ID_DOCUMENTS = "抵押人、债务人身份证明"


def drop_file(page: Page, zone: str, name: str, data: bytes, media_type: str) -> None:
    """Drag and drop: a DataTransfer holding the file, dropped on the drop zone."""
    page.evaluate(
        """([zone, name, bytes, type]) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([new Uint8Array(bytes)], name, {type}));
            document.querySelector(zone).dispatchEvent(
                new DragEvent("drop", {dataTransfer: transfer, bubbles: true, cancelable: true}));
        }""",
        [zone, name, list(data), media_type],
    )


def fill_application(page: Page) -> None:
    page.get_by_label("不动产单元代码").fill(HOME["unit"])
    expect(page.locator("#unit-lookup")).to_contain_text("鼓楼南街12号")
    for index, (name, number) in enumerate(HOME["owners"]):
        page.locator(f"#mortgagor-{index}-name").fill(name)
        page.locator(f"#mortgagor-{index}-id_number").fill(number)
    page.get_by_label("被担保主债权数额（元）").fill("350000.00")
    page.get_by_label("债务履行期限（起）").fill("2026-12-01")
    page.get_by_label("债务履行期限（止）").fill("2046-11-30")
    page.get_by_label("借款合同编号").fill("GJJ-JK-2026-0815")
    page.get_by_label("抵押合同编号").fill("GJJ-DY-2026-0815")


def upload_materials(page: Page) -> None:
    page.set_input_files("#form-uploader-files", files=[
        {"name": "借款合同.pdf", "mimeType": "application/pdf", "buffer": pdf("Loan contract GJJ-JK-2026-0815")},
        {"name": "抵押合同.pdf", "mimeType": "application/pdf", "buffer": pdf("Mortgage contract GJJ-DY-2026-0815")},
    ])
    drop_file(page, "#form-uploader [data-dropzone]", "身份证.png", png(), "image/png")
    rows = page.locator("[data-upload-row]")
    expect(page.locator("[data-upload-row][data-done]")).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("已上传")
    for index, code in enumerate(("LOAN_CONTRACT", "MORTGAGE_CONTRACT", "ID_DOCUMENT")):
        rows.nth(index).locator("select").select_option(code)
    expect(page.locator("[data-required-list]")).not_to_contain_text("未上传")


def clerk_submits(clerk) -> str:
    page = clerk.page
    screenshot(page, "02-clerk-applications")
    page.get_by_role("link", name="新建申请").first.click()
    expect(page.get_by_role("heading", name="新建抵押登记申请")).to_be_visible()
    fill_application(page)
    page.locator("#mortgagor-1-id_number").fill("640221198707220023")
    page.get_by_label("借款合同编号").focus()
    expect(page.locator("#mortgagor-1-id_number-error")).to_have_text("居民身份证号码校验位错误，请逐位核对")
    page.locator("#mortgagor-1-id_number").fill(HOME["owners"][1][1])
    page.get_by_label("借款合同编号").focus()
    expect(page.locator("#mortgagor-1-id_number-error")).to_have_count(0)
    upload_materials(page)
    screenshot(page, "03-clerk-form-filled")
    page.get_by_role("button", name="预审检查").click()
    expect(page.locator("#precheck-result")).to_contain_text("预审检查通过")
    screenshot(page, "04-clerk-precheck")
    page.get_by_role("button", name="提交申请").click()
    expect(page).to_have_url(re.compile(r"/clerk/applications/\d+\?submitted=1$"))
    expect(page.get_by_role("status")).to_contain_text("申请已提交并受理")
    screenshot(page, "05-clerk-submitted")
    return application_number(page)


def reviewer_asks_for_a_supplement(reviewer, number: str) -> None:
    page = reviewer.page
    reviewer.open("/review/queue")
    row = page.locator("tr", has=page.get_by_role("link", name=number))
    expect(row).to_contain_text("剩余")
    expect(row).to_contain_text("个工作日")
    page.get_by_label("登记类型").select_option("MORTGAGE_FIRST")
    expect(page).to_have_url(re.compile(r"type=MORTGAGE_FIRST"))
    screenshot(page, "06-review-queue")
    page.get_by_role("link", name=number).focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=re.compile(number))).to_be_visible()
    page.keyboard.press("c")  # claim, from the keyboard
    expect(page.get_by_role("status")).to_contain_text("已认领")
    for summary in page.locator("details.material > summary").all()[1:]:
        summary.click()
    expect(page.locator("iframe.viewer")).to_have_count(2)
    image = page.locator("img.viewer-image")
    image.scroll_into_view_if_needed()
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => img.naturalWidth") == 320
    expect(page.get_by_role("heading", name="登记簿信息")).to_be_visible()
    expect(page.locator("#register")).to_contain_text("王建国")
    expect(page.get_by_text("登记簿权利人").first).to_be_visible()
    screenshot(page, "07-review-application")
    page.keyboard.press("s")
    expect(page.get_by_label(ID_DOCUMENTS, exact=True)).to_be_focused()
    page.keyboard.press("Space")
    page.get_by_label(f"{ID_DOCUMENTS} 的补正理由").fill("身份证复印件不清晰，请重新扫描")
    page.get_by_role("button", name="发出补正通知").click()
    expect(page.get_by_role("status")).to_contain_text("补正通知已签名送达")


def clerk_supplies(clerk, number: str) -> None:
    page = clerk.page
    clerk.open(f"/clerk/applications/{number}")
    expect(page.get_by_role("heading", name="补正通知")).to_be_visible()
    expect(page.locator("#supplement")).to_contain_text("身份证复印件不清晰，请重新扫描")
    screenshot(page, "08-clerk-supplement-request")
    page.set_input_files("#supplement-uploader-files", files=[
        {"name": "身份证（重新扫描）.png", "mimeType": "image/png", "buffer": png(640, 400)}])
    expect(page.locator("[data-upload-row][data-done]")).to_have_count(1)
    page.locator("[data-upload-row] select").select_option("ID_DOCUMENT")
    page.get_by_label("补正说明（可选）").fill("已重新扫描身份证")
    page.get_by_role("button", name="提交补正材料").click()
    expect(page.get_by_role("status")).to_contain_text("补正材料已提交")


def reviewer_approves(reviewer, number: str) -> None:
    page = reviewer.page
    reviewer.open(f"/review/applications/{number}")
    expect(page.locator("#history-title + ol")).to_contain_text("补正材料")
    page.get_by_role("button", name=re.compile("认领并开始审核")).click()
    page.get_by_role("button", name=re.compile("审核通过并登簿")).click()
    expect(page.get_by_role("status")).to_contain_text("已审核通过并登簿")
    screenshot(page, "09-review-approved")


def download(page: Page, link_name: str) -> bytes:
    with page.expect_download() as downloaded:
        page.get_by_role("link", name=link_name).click()
    return open(downloaded.value.path(), "rb").read()


def clerk_downloads_the_result(clerk, number: str) -> None:
    page = clerk.page
    clerk.open(f"/clerk/applications/{number}")
    expect(page.get_by_role("link", name="下载电子证明（PDF）")).to_be_visible(timeout=60_000)  # polled by htmx
    expect(page.locator("h1")).to_contain_text("已登簿")
    screenshot(page, "10-clerk-certificate")
    assert download(page, "下载电子证明（PDF）").startswith(b"%PDF-")
    assert b"<CertificateNo>" in download(page, "下载结构化证明（XML）")
    result = download(page, "办理结果")
    assert b"APPROVED" in result and b"CertificateNo" in result and b"Signature" in result


def test_a_clerk_takes_an_application_from_the_form_to_the_downloaded_certificate(browser, gateway_url, people):
    context, page = new_page(browser)
    fill_sign_in(page, gateway_url, "clerk", "")
    screenshot(page, "01-login")
    context.close()
    clerk = people("clerk")
    number = clerk_submits(clerk)
    reviewer = people("reviewer")
    reviewer_asks_for_a_supplement(reviewer, number)
    clerk_supplies(clerk, number)
    reviewer_approves(reviewer, number)
    clerk_downloads_the_result(clerk, number)
    clerk.open("/clerk/applications")
    expect(clerk.page.locator("tr", has_text=number)).to_contain_text("已登簿")
    expect(clerk.page.locator("tr", has_text=number)).to_contain_text("clerk")
    supervisor = people("supervisor")
    expect(supervisor.page.get_by_role("heading", name="全节点效能监督")).to_be_visible()
    expect(supervisor.page.locator("figure.chart svg")).to_have_count(2)
    expect(supervisor.page.locator("main")).to_contain_text("审核")
    screenshot(supervisor.page, "11-supervision-dashboard")
