"""The two halves of making a certificate, without a database, for measuring throughput.

A benchmark compares "certificates generated per second per worker process" (the whole
``certificates.generate`` task) with "pyHanko sealing an already rendered certificate PDF alone":

* ``render_sample_pdf(settings: Settings) -> bytes`` renders a realistic, unsigned certificate
  from sample facts (a first mortgage with two mortgagors), printed with ``settings.authority_name``
  and a verify URL under ``settings.public_base_url``. Each call draws a new verification code,
  as every real certificate has one, so nothing per-certificate (the QR code) is reused.
* ``seal_pdf(settings: Settings, pdf_bytes: bytes) -> bytes`` puts the PAdES seal on ``pdf_bytes``
  with the seal production uses (:func:`gateway.keys.load_seal`: the same cached key and pyHanko
  signer, the same location, timestamp URL and signing time as
  :func:`gateway.certificates.service.seal_certificate`).

Both raise what production raises (a missing seal key is a ``ConfigurationError``).
"""
from __future__ import annotations

import secrets
from datetime import date
from decimal import Decimal

from gateway.applications.deadline import local_date
from gateway.certificates.facts import CertificateFacts, format_amount, format_period
from gateway.certificates.render import render_certificate_pdf
from gateway.certificates.service import CODE_ALPHABET, RIGHT_OR_MATTER
from gateway.keys import load_seal
from gateway.persistence.types import utcnow
from gateway.settings import Settings


def sample_facts(settings: Settings) -> CertificateFacts:
    """What a first-mortgage certificate of this authority states, with a fresh verification code."""
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))
    registered_on = local_date(utcnow())
    return CertificateFacts(
        certificate_no=f"宁({registered_on.year})平罗县不动产证明第{secrets.randbelow(10**7):07d}号",
        right_or_matter=RIGHT_OR_MATTER["GENERAL"],
        rights_holder="平罗县测试商业银行股份有限公司",
        obligors=("王建国", "李秀梅"),
        location="平罗县城关镇鼓楼南街幸福家园小区3号楼2单元1202室",
        unit_code="640221001001GB00001F00010001",
        other=(
            ("被担保主债权数额", format_amount(Decimal("1200000.00"))),
            ("债务履行期限", format_period(date(2026, 12, 1), date(2046, 11, 30))),
            ("抵押顺位", "第1顺位"),
        ),
        notes=f"申请编号：PL{registered_on:%Y%m%d}{secrets.randbelow(10**6):06d}",
        authority=settings.authority_name,
        registered_on=registered_on,
        verification_code=code,
        verify_url=f"{settings.public_base_url.rstrip('/')}/verify/{code}",
    )


def render_sample_pdf(settings: Settings) -> bytes:
    """A realistic certificate PDF from sample facts, rendered as production renders it; unsigned."""
    return render_certificate_pdf(sample_facts(settings))


def seal_pdf(settings: Settings, pdf_bytes: bytes) -> bytes:
    """Only the pyHanko sealing of ``pdf_bytes``, with production's cached seal signer."""
    return load_seal(settings).seal_pdf(pdf_bytes, location=settings.authority_name,
                                        timestamp_url=settings.timestamp_url, signed_at=utcnow())
