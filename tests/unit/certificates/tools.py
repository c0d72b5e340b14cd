"""Run the Debian command-line tools the certificate tests check the PDF with.

A missing tool fails the test (never skips it): a claim about embedded fonts or a readable QR
code that was not checked must not look green.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

PACKAGES = {"pdffonts": "poppler-utils", "pdftotext": "poppler-utils", "pdfinfo": "poppler-utils",
            "pdftoppm": "poppler-utils", "zbarimg": "zbar-tools"}


def run_tool(name: str, *arguments: str | Path) -> str:
    """Run ``name`` with ``arguments``; return its standard output, failing on a non-zero exit."""
    executable = shutil.which(name)
    assert executable is not None, f"{name} is missing: apt-get install -y {PACKAGES[name]}"
    completed = subprocess.run(
        [executable, *map(str, arguments)], capture_output=True, text=True, timeout=30, check=False
    )
    assert completed.returncode == 0, f"{name} failed: {completed.stderr}"
    return completed.stdout


def pdf_text(pdf: Path) -> str:
    """The text of the PDF as a reader would copy it (reading order, no layout)."""
    return run_tool("pdftotext", "-enc", "UTF-8", pdf, "-")


def pdf_info(pdf: Path) -> dict[str, str]:
    """pdfinfo's ``Key: value`` lines (dates in ISO 8601)."""
    lines = run_tool("pdfinfo", "-isodates", pdf).splitlines()
    return {key.strip(): value.strip() for key, _, value in (line.partition(":") for line in lines)}


def pdf_fonts(pdf: Path) -> list[dict[str, str]]:
    """pdffonts' table as rows: name, type, encoding, emb, sub, uni."""
    rows = run_tool("pdffonts", pdf).splitlines()[2:]
    fonts = []
    for row in rows:
        name, *columns = row.split()
        # the type may be two words ("Type 1"), so read the fixed columns from the right
        fonts.append({"name": name, "emb": columns[-5], "sub": columns[-4], "uni": columns[-3]})
    return fonts


PDFSIG_VALID = "- Signature Validation: Signature is Valid."
PDFSIG_TRUSTED = "- Certificate Validation: Certificate is Trusted."
PDFSIG_DIGEST_MISMATCH = "- Signature Validation: Digest Mismatch."
PDFSIG_ISSUER_UNTRUSTED = "- Certificate Validation: Certificate issuer isn't Trusted."


def nss_database(directory: Path, *anchors: bytes) -> Path:
    """A fresh NSS database at ``directory`` trusting the PEM ``anchors`` as CAs (for pdfsig)."""
    certutil = shutil.which("certutil")
    assert certutil is not None, "certutil is missing: apt-get install -y libnss3-tools"
    directory.mkdir(parents=True)
    subprocess.run([certutil, "-N", "-d", f"sql:{directory}", "--empty-password"], check=True, timeout=30)
    for index, anchor in enumerate(anchors):
        pem = directory / f"anchor-{index}.pem"
        pem.write_bytes(anchor)
        subprocess.run([certutil, "-A", "-d", f"sql:{directory}", "-n", f"anchor-{index}", "-t", "CT,C,C",
                        "-i", str(pem)], check=True, timeout=30)
    return directory


def pdfsig(pdf: Path, database: Path) -> str:
    """pdfsig's report on ``pdf``. It exits 0 even for an invalid signature: callers read the text."""
    executable = shutil.which("pdfsig")
    assert executable is not None, "pdfsig is missing: apt-get install -y poppler-utils"
    completed = subprocess.run([executable, "-nssdir", f"sql:{database}", str(pdf)],
                               capture_output=True, text=True, timeout=30, check=False)
    return completed.stdout + completed.stderr
