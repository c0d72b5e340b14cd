"""Checking a certificate PDF as an outsider would, and making the bad PDFs people upload.

* poppler's ``pdfsig`` against the issuing CA in an NSS database, ``pdftotext``, ``pdffonts``
  (the helpers of the unit tests, ``tests.unit.certificates.tools``, reused here). A missing
  tool fails the test, never skips it: a signature nobody checked must not look green.
* ``xmlsec1 --verify --trusted-pem`` on the XML twin and the signed result.
* forgeries for the verify page: the same certificate sealed by someone else, a signed PDF
  with one byte changed inside the signed range.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

from signing.pades import sign_pdf
from signing.xmlsec1 import xmlsec1_verify
from tests.unit.certificates.tools import (
    PDFSIG_DIGEST_MISMATCH,
    PDFSIG_ISSUER_UNTRUSTED,
    PDFSIG_TRUSTED,
    PDFSIG_VALID,
    nss_database,
    pdf_fonts,
    pdf_text,
    pdfsig,
)

__all__ = [
    "PDFSIG_DIGEST_MISMATCH", "PDFSIG_ISSUER_UNTRUSTED", "PDFSIG_TRUSTED", "PDFSIG_VALID",
    "flip_one_signed_byte", "nss_trusting", "pdf_fonts", "pdf_text", "pdfsig", "pdfsig_report", "resealed_by",
    "signed_ranges", "unsealed", "write", "xml_verifies",
]


def write(directory: Path, name: str, data: bytes) -> Path:
    """Save ``data`` for a command-line tool; return the path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_bytes(data)
    return path


def nss_trusting(directory: Path, ca_path: Path) -> Path:
    """A fresh NSS database (for pdfsig) that trusts the CA in ``ca_path``, and nothing else."""
    return nss_database(directory, ca_path.read_bytes())


def pdfsig_report(pdf: bytes, database: Path, directory: Path) -> str:
    """pdfsig's text about ``pdf`` (it exits 0 whatever it finds: read the text)."""
    return pdfsig(write(directory, "for-pdfsig.pdf", pdf), database)


def xml_verifies(xml: bytes, ca_path: Path) -> tuple[bool, str]:
    """``xmlsec1 --verify --trusted-pem ca_path``: (verified, xmlsec1's output); xmlsec1 missing fails."""
    assert shutil.which("xmlsec1"), "xmlsec1 is missing: apt-get install -y xmlsec1"
    return xmlsec1_verify(xml, ca_path)


def signed_ranges(pdf: bytes) -> list[tuple[int, int]]:
    """The (start, end) byte ranges the PDF's first signature covers, from its /ByteRange."""
    found = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", pdf)
    assert found, "the PDF has no /ByteRange: it is not signed"
    a, b, c, d = (int(x) for x in found.groups())
    return [(a, a + b), (c, c + d)]


def flip_one_signed_byte(pdf: bytes) -> bytes:
    """The PDF with one bit of one byte of its page content changed, inside the signed range.

    The file stays a well-formed PDF with an intact-looking signature dictionary; only the
    digest of the signed bytes no longer matches — a "one character changed" forgery.
    """
    contents = re.search(rb"/Contents (\d+) 0 R", pdf)
    assert contents, "no page content stream found"
    obj = pdf.index(b"\n" + contents.group(1) + b" 0 obj")
    start = pdf.index(b"stream", obj) + len(b"stream\n") + 32
    assert pdf.index(b"endstream", obj) > start, "the page content stream is shorter than expected"
    assert any(lo <= start < hi for lo, hi in signed_ranges(pdf)), "the byte to change is outside the signed range"
    damaged = bytearray(pdf)
    damaged[start] ^= 0x01
    return bytes(damaged)


def unsealed(pdf: bytes) -> bytes:
    """The signed PDF's first revision: the same document, before the seal was appended."""
    end = pdf.index(b"%%EOF") + len(b"%%EOF")
    while pdf[end:end + 1] in (b"\r", b"\n"):
        end += 1
    assert end < len(pdf), "the PDF has a single revision: there is no seal to take off"
    return pdf[:end]


def resealed_by(pdf: bytes, identity) -> bytes:
    """The signed PDF with its seal replaced by one of ``identity``, a key that is not the authority's."""
    return sign_pdf(unsealed(pdf), key=identity.key, certificate=identity.certificate, location="伪造")
