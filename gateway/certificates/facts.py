"""What a 不动产登记证明 (registration certificate) states, as printed on the official form.

The facts are plain values, already worded as they appear on the certificate: the renderer lays
them out and never formats amounts or dates itself, so the PDF and its XML twin can be built
from the same object and say the same thing. The helpers below give the official wording.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class CertificateFacts:
    """The fields of the 不动产登记证明 form, in the order the form prints them."""

    certificate_no: str
    """宁(2026)平罗县不动产证明第0000001号."""
    right_or_matter: str
    """证明权利或事项: 抵押权, 抵押权预告登记, ..."""
    rights_holder: str
    """权利人: the mortgagee."""
    obligors: tuple[str, ...]
    """义务人: the mortgagors, in the order of the application."""
    location: str
    """坐落."""
    unit_code: str
    """不动产单元号 (28 characters)."""
    other: tuple[tuple[str, str], ...]
    """其他: ordered (label, value) pairs, e.g. ("被担保主债权数额", "1,200,000.00元"), ("顺位", "1")."""
    notes: str
    """附记: free text, may be empty."""
    authority: str
    """登记机构: 平罗县不动产登记中心."""
    registered_on: date
    """The registration date printed next to the authority's seal."""
    verification_code: str
    """The short code printed on the certificate, typed on the verify page."""
    verify_url: str
    """The QR code's target: the public verify page of this certificate."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "obligors", tuple(self.obligors))
        object.__setattr__(self, "other", tuple((str(label), str(value)) for label, value in self.other))
        for name in ("certificate_no", "right_or_matter", "rights_holder", "location", "unit_code",
                     "authority", "verification_code", "verify_url"):
            if not getattr(self, name).strip():
                raise ValueError(f"certificate field {name} is empty")
        if not self.obligors or not all(name.strip() for name in self.obligors):
            raise ValueError("a certificate names at least one obligor")


def format_date(day: date) -> str:
    """2026年12月01日: the form's date style (zero-padded, as on the printed certificates)."""
    return f"{day.year:04d}年{day.month:02d}月{day.day:02d}日"


def format_period(start: date, end: date) -> str:
    """债务履行期限 / 债权确定期间 wording: 2026年12月01日起 2046年11月30日止."""
    return f"{format_date(start)}起 {format_date(end)}止"


def format_amount(amount: Decimal, *, currency: str = "CNY") -> str:
    """1,200,000.00元 for CNY; other currencies keep their ISO code (1,000.00 USD)."""
    text = f"{amount.quantize(Decimal('0.01')):,}"
    return f"{text}元" if currency == "CNY" else f"{text} {currency}"
