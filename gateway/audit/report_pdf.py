"""The access report as a PDF sealed with the registration authority's seal (PAdES, like certificates)."""
from __future__ import annotations

import io
from datetime import datetime
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from gateway.audit.accesses import Access, Query
from gateway.certificates.render import _render_lock, certificate_font
from gateway.timezone import LOCAL_TZ

HEADER = ("序号", "时间", "访问者", "角色", "操作", "内容", "办理的申请")


def render_report(query: Query, rows: list[Access], *, authority: str, made_at: datetime) -> bytes:
    """An A4 landscape table of the accesses, headed by what was asked and when."""
    font = certificate_font()
    body = ParagraphStyle("body", fontName=font, fontSize=8, leading=10)
    title = ParagraphStyle("title", fontName=font, fontSize=14, leading=18)
    subject = f"不动产单元 {query.shown_as}" if query.unit_code else f"身份证件号码 {query.shown_as}"
    story = [
        Paragraph(escape(f"{authority} 个人信息访问记录"), title),
        Paragraph(escape(f"查询对象：{subject}；生成时间：{made_at.astimezone(LOCAL_TZ):%Y-%m-%d %H:%M:%S}；"
                         f"共 {len(rows)} 条"), body),
        Spacer(1, 8),
    ]
    table = [[Paragraph(h, body) for h in HEADER]] + [
        [Paragraph(escape(text), body) for text in
         (str(r.seq), r.local_time, r.actor, r.role_zh, r.action_zh, r.what, r.purpose or "")]
        for r in rows
    ]
    grid = Table(table, colWidths=(40, 100, 110, 90, 110, 120, 150), repeatRows=1)
    grid.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story.append(grid)
    buffer = io.BytesIO()
    with _render_lock:  # reportlab keeps per-document font state in module globals
        SimpleDocTemplate(buffer, pagesize=landscape(A4), title="访问记录", author=authority,
                          leftMargin=36, rightMargin=36, topMargin=36, bottomMargin=36).build(story)
    return buffer.getvalue()


def sealed_report(settings, query: Query, rows: list[Access], *, made_at: datetime) -> bytes:
    """The report sealed (and time-stamped where GATEWAY_TIMESTAMP_URL is set); call it with no
    database transaction open."""
    from gateway.keys import load_seal

    pdf = render_report(query, rows, authority=settings.authority_name, made_at=made_at)
    return load_seal(settings).seal_pdf(pdf, location=settings.authority_name, timestamp_url=settings.timestamp_url,
                                        signed_at=made_at)
