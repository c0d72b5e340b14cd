"""The rendered 不动产登记证明: one A4 page, embedded font, extractable text, same bytes every time."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from gateway.certificates.render import FONT_NAME, render_certificate_pdf

from .conftest import CERTIFICATE_NO, VERIFICATION_CODE, VERIFY_URL
from .tools import pdf_fonts, pdf_info, pdf_text, run_tool

FORM_LABELS = ("不动产登记证明", "证明权利或事项", "权利人", "义务人", "坐落", "不动产单元号", "其他", "附记",
               "登记机构（章）")


def test_the_same_facts_render_to_byte_identical_pdfs(facts, certificate_pdf):
    assert render_certificate_pdf(facts) == certificate_pdf


def test_the_bytes_do_not_depend_on_source_date_epoch(facts, certificate_pdf, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")

    assert render_certificate_pdf(facts) == certificate_pdf


def test_another_certificate_gets_another_document_id(facts, certificate_pdf):
    other = render_certificate_pdf(dataclasses.replace(facts, certificate_no="宁(2026)平罗县不动产证明第0000002号"))

    def document_id(pdf: bytes) -> bytes:
        start = pdf.rindex(b"/ID")
        return pdf[start:pdf.index(b"]", start)]

    assert document_id(other) != document_id(certificate_pdf)


def test_the_certificate_is_one_a4_page(certificate_path):
    info = pdf_info(certificate_path)

    assert info["Pages"] == "1"
    assert info["Page size"].startswith("595.276 x 841.89 pts (A4)")


def test_the_creation_date_is_the_registration_date(certificate_path):
    assert pdf_info(certificate_path)["CreationDate"] == "2026-12-01T00:00:00+08"


def test_the_document_title_names_the_certificate(certificate_path):
    assert pdf_info(certificate_path)["Title"] == f"不动产登记证明 {CERTIFICATE_NO}"


def test_every_font_is_the_shipped_cjk_font_embedded_as_a_subset(certificate_path):
    fonts = pdf_fonts(certificate_path)

    assert fonts
    for font in fonts:
        assert font["name"].split("+")[-1].startswith(FONT_NAME)
        assert (font["emb"], font["sub"], font["uni"]) == ("yes", "yes", "yes")


def test_the_form_labels_and_the_certificate_number_extract_as_text(certificate_path):
    text = pdf_text(certificate_path)

    for label in FORM_LABELS:
        assert label in text
    assert CERTIFICATE_NO in text


def test_every_fact_is_printed(facts, certificate_path):
    text = pdf_text(certificate_path)

    for value in (facts.right_or_matter, facts.rights_holder, "张三、李四", facts.location, facts.unit_code,
                  "被担保主债权数额：1,200,000.00元", "债务履行期限：2026年12月01日起 2046年11月30日止", "顺位：1",
                  facts.notes, facts.authority, "2026年12月01日"):
        assert value in text


def test_the_verification_code_and_the_verify_page_are_printed(certificate_path):
    text = pdf_text(certificate_path)

    assert "扫码或访问" in text
    assert "https://bdc.pingluo.gov.cn/verify" in text
    assert "输入验证码" in text
    assert f"{VERIFICATION_CODE} 核验" in text


def test_the_qr_code_decodes_to_the_verify_url(certificate_path, tmp_path):
    run_tool("pdftoppm", "-png", "-r", "150", "-singlefile", certificate_path, tmp_path / "page")

    decoded = run_tool("zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", tmp_path / "page.png")

    assert decoded.strip() == VERIFY_URL


def test_markup_characters_in_the_facts_are_printed_literally(facts, write_pdf):
    pdf = render_certificate_pdf(dataclasses.replace(facts, notes="<b>原件</b> & 复印件\n第二行"))

    text = pdf_text(write_pdf(pdf))

    assert "<b>原件</b> & 复印件" in text
    assert "第二行" in text


def test_long_facts_shrink_the_type_and_stay_on_one_page(facts, write_pdf):
    notes = "抵押人与抵押权人约定：在债权确定期间内连续发生的债权，均在最高债权额限度内以抵押财产担保。" * 6
    pdf = render_certificate_pdf(dataclasses.replace(facts, notes=notes, location=facts.location * 3))

    path = write_pdf(pdf)

    assert pdf_info(path)["Pages"] == "1"
    assert "最高债权额限度内以抵押财产担保" in pdf_text(path)


def test_facts_too_long_for_one_page_are_refused(facts):
    with pytest.raises(ValueError, match="one A4 page"):
        render_certificate_pdf(dataclasses.replace(facts, notes="最高债权额限度内以抵押财产担保。" * 200))


def test_a_pre_notice_certificate_prints_its_own_right_and_claim_period(facts, write_pdf):
    pre_notice = dataclasses.replace(
        facts,
        right_or_matter="抵押权预告登记",
        other=(("最高债权额", "3,000,000.00元"), ("债权确定期间", "2026年12月01日起 2031年11月30日止"), ("顺位", "2")),
        registered_on=date(2027, 1, 4),
    )

    text = pdf_text(write_pdf(render_certificate_pdf(pre_notice)))

    assert "抵押权预告登记" in text
    assert "最高债权额：3,000,000.00元" in text
    assert "债权确定期间：2026年12月01日起 2031年11月30日止" in text
    assert "2027年01月04日" in text
