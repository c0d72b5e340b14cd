"""The 不动产登记证明 as an A4 PDF, laid out like the official form.

Two properties matter more than looks:

* **Embedded font.** A legal document must show the same glyphs everywhere, so the Chinese text
  uses WenQuanYi Micro Hei, shipped in ``fonts/`` (Apache-2.0, see ``fonts/COPYRIGHT``), and
  embedded as a subset. reportlab's built-in ``STSong-Light`` is never embedded (the viewer
  substitutes a font), and reportlab cannot read OpenType-CFF fonts such as Noto Sans CJK.
* **Byte-identical output.** The same facts give the same bytes, so a retried background task
  stores the same file and its hash can be recorded before anyone downloads it: reportlab runs in
  invariant mode, the creation date is the registration date, and the document ID is derived
  from the certificate number.
"""

from __future__ import annotations

import functools
import hashlib
import io
import threading
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfdoc import DummyDoc, PDFText
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, Table, TableStyle

from .facts import CertificateFacts, format_date
from .qr import qr_symbol

FONT_PATH = Path(__file__).parent / "fonts" / "wqy-microhei.ttc"
FONT_NAME = "WenQuanYiMicroHei"
TITLE = "不动产登记证明"
STATEMENT = (
    "根据《中华人民共和国民法典》《不动产登记暂行条例》等法律法规，对申请人申请登记的本证明所列"
    "不动产权利或登记事项，经审查核实，准予登记，颁发此证明。"
)
FOOTNOTE = (
    "本证明为电子证明，由登记机构加盖电子印章（数字签名），签章后的任何改动都会使签名失效。<br/>"
    "证明的真伪及所证明的权利是否现势有效，可扫描二维码或访问核验页面查验。"
)

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 62.0
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
LABEL_WIDTH = 112.0
VALUE_WIDTH = CONTENT_WIDTH - LABEL_WIDTH
CELL_PADDING = 8.0
TABLE_TOP = 716.0
QR_SIZE = 86.0
BLOCK_TOP = 262.0  # top of the seal, authority and QR block; the table and statement stay above
GAP = 14.0
INK = colors.HexColor("#1a1a1a")
RULE = colors.HexColor("#3b3b3b")
LABEL_FILL = colors.HexColor("#f2f0ea")
MUTED = colors.HexColor("#555555")
FRAME = colors.HexColor("#8a6d3b")

AUTHORITY_CENTRE = PAGE_WIDTH - MARGIN - 85.0  # the seal is stamped over the authority and the date
AUTHORITY_WIDTH = 190.0

_ROW_MIN_HEIGHTS = {"其他": 104.0, "附记": 78.0}
_FIELD_FONT_SIZES = (11.0, 10.0, 9.0, 8.0)
_render_lock = threading.Lock()  # reportlab keeps per-document font state in module globals


@functools.cache
def certificate_font() -> str:
    """Register the shipped CJK TrueType font with reportlab once; return its name."""
    pdfmetrics.registerFont(TTFont(FONT_NAME, str(FONT_PATH), subfontIndex=0))
    return FONT_NAME


class _Paragraph(Paragraph):
    """A paragraph that breaks its lines once per width: a table wraps each cell again to measure
    and to draw it, and CJK line breaking is most of the layout's cost. The result depends only
    on the width (reportlab ignores the height offered), so reusing it changes no byte."""

    _wrapped: tuple[float, tuple[float, float]] | None = None

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        if self._wrapped is None or self._wrapped[0] != availWidth:
            self._wrapped = (availWidth, super().wrap(availWidth, availHeight))
        return self._wrapped[1]


def render_certificate_pdf(facts: CertificateFacts) -> bytes:
    """Render the certificate as a one-page A4 PDF; the same facts always give the same bytes."""
    font = certificate_font()
    buffer = io.BytesIO()
    with _render_lock:
        pdf = Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1, lang="zh-CN", initialFontName=font)
        _set_document_info(pdf, facts)
        _draw_frame(pdf)
        _draw_heading(pdf, facts, font)
        statement = _statement(font)
        table_bottom = _draw_fields(pdf, facts, font, bottom_limit=BLOCK_TOP + statement.height + 2 * GAP)
        statement.drawOn(pdf, MARGIN, table_bottom - GAP - statement.height)
        _draw_authority(pdf, facts, font)
        _draw_verification(pdf, facts, font)
        _draw_footnote(pdf, font)
        pdf.showPage()
        pdf.save()
    return buffer.getvalue()


def _set_document_info(pdf: Canvas, facts: CertificateFacts) -> None:
    registered = facts.registered_on
    creation_date = f"D:{registered.year:04d}{registered.month:02d}{registered.day:02d}000000+08'00'"
    pdf.setDateFormatter(lambda *_: creation_date)
    pdf.setTitle(f"{TITLE} {facts.certificate_no}")
    pdf.setSubject(facts.right_or_matter)
    pdf.setAuthor(facts.authority)
    pdf.setCreator("mortgage-gateway")
    pdf.setKeywords(facts.certificate_no)
    # The file identifier must not depend on the clock or on SOURCE_DATE_EPOCH: derive it from
    # the certificate, which also keeps it unique per certificate as the PDF specification asks.
    seed = f"{facts.certificate_no}|{facts.registered_on.isoformat()}".encode()
    digest = hashlib.md5(seed, usedforsecurity=False).digest()
    identifier = PDFText(digest, enc="raw").format(DummyDoc())
    pdf._doc._ID = b"\n[" + identifier + identifier + b"]\n"


def _draw_frame(pdf: Canvas) -> None:
    pdf.setStrokeColor(FRAME)
    pdf.setLineWidth(2.2)
    pdf.rect(30, 30, PAGE_WIDTH - 60, PAGE_HEIGHT - 60)
    pdf.setLineWidth(0.6)
    pdf.rect(36, 36, PAGE_WIDTH - 72, PAGE_HEIGHT - 72)


def _draw_heading(pdf: Canvas, facts: CertificateFacts, font: str) -> None:
    title_size, spacing = 26.0, 8.0
    width = pdfmetrics.stringWidth(TITLE, font, title_size) + spacing * (len(TITLE) - 1)
    pdf.saveState()  # character spacing and render mode are graphics state: keep them to the title
    text = pdf.beginText((PAGE_WIDTH - width) / 2, 764)
    text.setFont(font, title_size)
    text.setCharSpace(spacing)
    text.setTextRenderMode(2)  # fill and stroke: a bolder title from the single-weight font
    pdf.setLineWidth(0.5)
    pdf.setStrokeColor(INK)
    pdf.setFillColor(INK)
    text.textOut(TITLE)
    pdf.drawText(text)
    pdf.restoreState()
    pdf.setFont(font, 11.5)
    pdf.drawRightString(PAGE_WIDTH - MARGIN, TABLE_TOP + 12, facts.certificate_no)


def _paragraph_style(font: str, *, size: float = 11.0, leading: float = 17.0, **extra) -> ParagraphStyle:
    attributes = {"textColor": INK, **extra}
    return ParagraphStyle("certificate", fontName=font, fontSize=size, leading=leading, wordWrap="CJK", **attributes)


def _field_rows(facts: CertificateFacts) -> list[tuple[str, str]]:
    other = "<br/>".join(f"{escape(label)}：{escape(value)}" for label, value in facts.other)
    return [
        ("证明权利或事项", escape(facts.right_or_matter)),
        ("权利人", escape(facts.rights_holder)),
        ("义务人", escape("、".join(facts.obligors))),
        ("坐落", escape(facts.location)),
        ("不动产单元号", escape(facts.unit_code)),
        ("其他", other),
        ("附记", escape(facts.notes).replace("\n", "<br/>")),
    ]


def _draw_fields(pdf: Canvas, facts: CertificateFacts, font: str, *, bottom_limit: float) -> float:
    """Draw the bordered table of fields below the number; return the y of its bottom edge.

    The form is one page: long addresses or notes first use up the blank space of 其他 and 附记,
    then the table's type shrinks step by step; facts that fit at no size are refused.
    """
    for size in _FIELD_FONT_SIZES:
        table = _fields_table(facts, font, size=size)
        _, height = table.wrapOn(pdf, CONTENT_WIDTH, PAGE_HEIGHT)
        if TABLE_TOP - height >= bottom_limit:
            table.drawOn(pdf, MARGIN, TABLE_TOP - height)
            return TABLE_TOP - height
    raise ValueError("the certificate's fields do not fit on one A4 page")


def _fields_table(facts: CertificateFacts, font: str, *, size: float) -> Table:
    scale = size / _FIELD_FONT_SIZES[0]
    label_style = _paragraph_style(font, size=size, leading=size * 1.55, alignment=TA_CENTER)
    value_style = _paragraph_style(font, size=size, leading=size * 1.55)
    data, heights = [], []
    for label, markup in _field_rows(facts):
        value = _Paragraph(markup, value_style)
        _, value_height = value.wrap(VALUE_WIDTH - 2 * CELL_PADDING, PAGE_HEIGHT)
        minimum = _ROW_MIN_HEIGHTS.get(label, 30.0) * scale
        heights.append(max(minimum, value_height + 2 * CELL_PADDING))
        data.append([_Paragraph(escape(label), label_style), value])
    table = Table(data, colWidths=[LABEL_WIDTH, VALUE_WIDTH], rowHeights=heights)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), font, size),  # else the table selects Helvetica, a non-embedded font
        ("BOX", (0, 0), (-1, -1), 1.2, RULE),
        ("INNERGRID", (0, 0), (-1, -1), 0.5, RULE),
        ("BACKGROUND", (0, 0), (0, -1), LABEL_FILL),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("VALIGN", (1, 5), (1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("TOPPADDING", (0, 0), (-1, -1), CELL_PADDING - 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), CELL_PADDING - 2),
    ]))
    return table


@functools.cache
def _statement(font: str) -> Paragraph:
    """The fixed statement, laid out once per process (it is drawn under the render lock)."""
    statement = _Paragraph(STATEMENT, _paragraph_style(font, size=10.5, leading=17.0, firstLineIndent=21))
    statement.wrap(CONTENT_WIDTH, PAGE_HEIGHT)
    return statement


@functools.cache
def _footnote(font: str) -> Paragraph:
    """The fixed footnote, laid out once per process (it is drawn under the render lock)."""
    note = _Paragraph(FOOTNOTE, _paragraph_style(font, size=8.5, leading=13.0, textColor=MUTED))
    note.wrap(CONTENT_WIDTH, PAGE_HEIGHT)
    return note




def _draw_authority(pdf: Canvas, facts: CertificateFacts, font: str) -> None:
    """登记机构（章）, the authority and the date, at the right where the seal is stamped."""
    pdf.setFillColor(INK)
    pdf.setFont(font, 11)
    pdf.drawCentredString(AUTHORITY_CENTRE, 250, "登记机构（章）")
    pdf.setFont(font, _fitting_size(facts.authority, font, 12, AUTHORITY_WIDTH))
    pdf.drawCentredString(AUTHORITY_CENTRE, 210, facts.authority)
    pdf.setFont(font, 12)
    pdf.drawCentredString(AUTHORITY_CENTRE, 186, format_date(facts.registered_on))


def _fitting_size(text: str, font: str, size: float, width: float) -> float:
    """``size``, or the smaller size at which ``text`` fits in ``width``."""
    return min(size, size * width / pdfmetrics.stringWidth(text, font, size))


def _draw_verification(pdf: Canvas, facts: CertificateFacts, font: str) -> None:
    """The QR code with the verification code and the address of the verify page beside it."""
    x, y = MARGIN, 160.0
    _draw_qr(pdf, facts.verify_url, x=x, y=y, size=QR_SIZE)
    text_x = x + QR_SIZE + 12
    pdf.setFillColor(INK)
    pdf.setFont(font, 10)
    pdf.drawString(text_x, y + 62, "扫码或访问")
    verify_page = _verify_page(facts)
    pdf.setFont(font, _fitting_size(verify_page, font, 9, AUTHORITY_CENTRE - AUTHORITY_WIDTH / 2 - text_x - 8))
    pdf.drawString(text_x, y + 46, verify_page)
    pdf.setFont(font, 10)
    pdf.drawString(text_x, y + 28, "输入验证码")
    pdf.setFont(font, 13)
    pdf.drawString(text_x, y + 10, facts.verification_code)
    pdf.setFont(font, 10)
    code_width = pdfmetrics.stringWidth(facts.verification_code, font, 13)
    pdf.drawString(text_x + code_width + 8, y + 10, "核验")


def _verify_page(facts: CertificateFacts) -> str:
    """The address to type by hand: the QR target without the code, which is printed apart."""
    suffix = "/" + facts.verification_code
    if facts.verify_url.endswith(suffix):
        return facts.verify_url[: -len(suffix)]
    return facts.verify_url


def _draw_qr(pdf: Canvas, text: str, *, x: float, y: float, size: float) -> None:
    symbol = qr_symbol(text)
    module = size / symbol.size
    pdf.setFillColor(colors.white)
    pdf.rect(x, y, size, size, stroke=0, fill=1)
    pdf.setFillColor(colors.black)
    path = pdf.beginPath()
    for row, modules in enumerate(symbol.dark):
        for start, length in _dark_runs(modules):
            # one rectangle per horizontal run: no hairline seams between modules, a smaller file
            path.rect(x + start * module, y + size - (row + 1) * module, length * module, module)
    pdf.drawPath(path, stroke=0, fill=1)


def _dark_runs(modules: tuple[bool, ...]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for column, dark in enumerate(modules):
        if not dark:
            continue
        if runs and runs[-1][0] + runs[-1][1] == column:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((column, 1))
    return runs


def _draw_footnote(pdf: Canvas, font: str) -> None:
    note = _footnote(font)
    _, height = note.wrap(CONTENT_WIDTH, PAGE_HEIGHT)
    pdf.setStrokeColor(RULE)
    pdf.setLineWidth(0.4)
    pdf.line(MARGIN, 62 + height + 8, PAGE_WIDTH - MARGIN, 62 + height + 8)
    note.drawOn(pdf, MARGIN, 62)
