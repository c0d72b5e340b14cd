"""E-certificates: the 不动产登记证明 as facts, rendered to a PDF with an embedded CJK font.

The pure part (no database, no web): :mod:`.facts` holds what the certificate states, :mod:`.render`
lays it out on A4, :mod:`.qr` encodes the verify URL. Sealing is the seal's
:class:`signing.pades.PdfSealer` (see :func:`gateway.keys.load_seal`). :mod:`.service` and
:mod:`.tasks` make and store certificates; :mod:`.throughput` measures rendering and sealing apart.
"""

from .facts import CertificateFacts, format_amount, format_date, format_period
from .render import render_certificate_pdf

__all__ = ["CertificateFacts", "format_amount", "format_date", "format_period", "render_certificate_pdf"]
