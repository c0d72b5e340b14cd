"""The certificate's QR code, as a module matrix the renderer draws as vector squares.

segno is pure Python and deterministic (same text, same symbol): drawing its modules directly
keeps the PDF free of raster images, sharp at any print size, and byte-identical across renders.
"""

from __future__ import annotations

from dataclasses import dataclass

import segno

QUIET_ZONE = 4  # modules of light margin the QR specification requires around the symbol


@dataclass(frozen=True)
class QrSymbol:
    """A QR code: ``dark[row][column]`` from the top-left, quiet zone included."""

    dark: tuple[tuple[bool, ...], ...]

    @property
    def size(self) -> int:
        """Modules per side, quiet zone included."""
        return len(self.dark)


def qr_symbol(text: str) -> QrSymbol:
    """Encode ``text`` (a URL) with at least error correction level M (15 % damage tolerated).

    segno raises the level further when that does not make the symbol larger.
    """
    code = segno.make_qr(text, error="m")
    rows = code.matrix_iter(scale=1, border=QUIET_ZONE)
    return QrSymbol(dark=tuple(tuple(bool(module) for module in row) for row in rows))
