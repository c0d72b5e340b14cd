"""E-certificates: the 不动产登记证明 as facts, rendered to a PDF with an embedded CJK font.

Pure code (no database, no web): :mod:`.facts` holds what the certificate states, :mod:`.render`
lays it out on A4, :mod:`.qr` encodes the verify URL. Sealing is :func:`signing.pades.sign_pdf`.
"""

from .facts import CertificateFacts, format_amount, format_date, format_period
from .render import render_certificate_pdf

__all__ = ["CertificateFacts", "format_amount", "format_date", "format_period", "render_certificate_pdf"]
