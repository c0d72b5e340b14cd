"""The QR code matrix the renderer draws."""

from __future__ import annotations

from gateway.certificates.qr import QUIET_ZONE, qr_symbol


def test_the_symbol_is_square_with_a_light_quiet_zone():
    symbol = qr_symbol("https://bdc.pingluo.gov.cn/verify/7K3M9Q2XWD")

    assert all(len(row) == symbol.size for row in symbol.dark)
    border = [*symbol.dark[:QUIET_ZONE], *symbol.dark[-QUIET_ZONE:]]
    assert not any(any(row) for row in border)
    assert not any(any(row[:QUIET_ZONE]) or any(row[-QUIET_ZONE:]) for row in symbol.dark)


def test_the_same_text_gives_the_same_symbol():
    assert qr_symbol("https://example.test/verify/A") == qr_symbol("https://example.test/verify/A")
