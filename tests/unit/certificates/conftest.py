"""Sample certificate facts and their rendered PDF (rendered once per session: it is pure)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from gateway.certificates.facts import CertificateFacts
from gateway.certificates.render import render_certificate_pdf

CERTIFICATE_NO = "宁(2026)平罗县不动产证明第0000001号"
VERIFICATION_CODE = "7K3M9Q2XWD"
VERIFY_URL = f"https://bdc.pingluo.gov.cn/verify/{VERIFICATION_CODE}"


def sample_facts() -> CertificateFacts:
    return CertificateFacts(
        certificate_no=CERTIFICATE_NO,
        right_or_matter="抵押权",
        rights_holder="平罗县测试商业银行股份有限公司",
        obligors=("张三", "李四"),
        location="平罗县城关镇鼓楼南街幸福家园小区3号楼2单元1202室",
        unit_code="640221001001GB00001F00010001",
        other=(
            ("被担保主债权数额", "1,200,000.00元"),
            ("债务履行期限", "2026年12月01日起 2046年11月30日止"),
            ("顺位", "1"),
        ),
        notes="抵押范围：主债权及利息、违约金、损害赔偿金和实现抵押权的费用。",
        authority="平罗县不动产登记中心",
        registered_on=date(2026, 12, 1),
        verification_code=VERIFICATION_CODE,
        verify_url=VERIFY_URL,
    )


@pytest.fixture
def facts() -> CertificateFacts:
    return sample_facts()


@pytest.fixture(scope="session")
def certificate_pdf() -> bytes:
    return render_certificate_pdf(sample_facts())


@pytest.fixture(scope="session")
def certificate_path(tmp_path_factory: pytest.TempPathFactory, certificate_pdf: bytes) -> Path:
    path = tmp_path_factory.mktemp("certificate") / "certificate.pdf"
    path.write_bytes(certificate_pdf)
    return path


@pytest.fixture
def write_pdf(tmp_path: Path):
    """``write_pdf(data)``: save PDF bytes for a command-line tool; return the path."""

    def write(data: bytes, name: str = "document.pdf") -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return write
