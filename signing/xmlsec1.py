"""Helpers that shell out to the ``xmlsec1`` command-line tool (Debian package ``xmlsec1``).

xmlsec1 is the reference implementation most banks' tooling is built on, so the gateway tests
its XMLDSig against it in both directions. This module is for tests and as a worked example for
banks (``docs/interface/``); the gateway itself never calls xmlsec1 at run time.

A missing binary raises :class:`Xmlsec1Unavailable` instead of being skipped: an interoperability
test that does not run must not pass.
"""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from lxml import etree

from .xmldsig_profile import DS_NS, ENVELOPED_SIGNATURE, EXC_C14N, RSA_SHA256, SHA256

_TIMEOUT_SECONDS = 30


class Xmlsec1Unavailable(RuntimeError):
    """The ``xmlsec1`` binary is not installed (``apt-get install xmlsec1``)."""


def signature_template(
    root: etree._Element,
    *,
    signature_method: str = RSA_SHA256,
    digest_method: str = SHA256,
) -> etree._Element:
    """Return a copy of ``root`` with an empty enveloped ``ds:Signature`` appended as last child.

    The skeleton matches the gateway's profile: exclusive C14N, one ``Reference URI=""`` with
    the enveloped-signature and exclusive C14N transforms, and an empty
    ``KeyInfo/X509Data/X509Certificate`` that xmlsec1 fills with the signer's certificate.
    """
    document = copy.deepcopy(root)
    nsmap = {"ds": DS_NS}
    signature = etree.SubElement(document, f"{{{DS_NS}}}Signature", nsmap=nsmap)
    signed_info = etree.SubElement(signature, f"{{{DS_NS}}}SignedInfo")
    etree.SubElement(signed_info, f"{{{DS_NS}}}CanonicalizationMethod", Algorithm=EXC_C14N)
    etree.SubElement(signed_info, f"{{{DS_NS}}}SignatureMethod", Algorithm=signature_method)
    reference = etree.SubElement(signed_info, f"{{{DS_NS}}}Reference", URI="")
    transforms = etree.SubElement(reference, f"{{{DS_NS}}}Transforms")
    etree.SubElement(transforms, f"{{{DS_NS}}}Transform", Algorithm=ENVELOPED_SIGNATURE)
    etree.SubElement(transforms, f"{{{DS_NS}}}Transform", Algorithm=EXC_C14N)
    etree.SubElement(reference, f"{{{DS_NS}}}DigestMethod", Algorithm=digest_method)
    etree.SubElement(reference, f"{{{DS_NS}}}DigestValue")
    etree.SubElement(signature, f"{{{DS_NS}}}SignatureValue")
    key_info = etree.SubElement(signature, f"{{{DS_NS}}}KeyInfo")
    x509_data = etree.SubElement(key_info, f"{{{DS_NS}}}X509Data")
    etree.SubElement(x509_data, f"{{{DS_NS}}}X509Certificate")
    return document


def xmlsec1_sign(
    xml_bytes: bytes,
    key_pem_path: str | os.PathLike[str],
    cert_pem_path: str | os.PathLike[str],
) -> bytes:
    """Sign a template (see :func:`signature_template`) with xmlsec1; return the signed bytes.

    :raises Xmlsec1Unavailable: xmlsec1 is not installed.
    :raises RuntimeError: xmlsec1 failed (its output is in the message).
    """
    with tempfile.TemporaryDirectory(prefix="xmlsec1-") as workdir:
        template = Path(workdir, "template.xml")
        output = Path(workdir, "signed.xml")
        template.write_bytes(xml_bytes)
        completed = _run(
            "--sign",
            "--privkey-pem",
            f"{os.fspath(key_pem_path)},{os.fspath(cert_pem_path)}",
            "--output",
            str(output),
            str(template),
        )
        if completed.returncode != 0:
            raise RuntimeError(f"xmlsec1 --sign failed (exit {completed.returncode}): {completed.stderr}")
        return output.read_bytes()


def xmlsec1_verify(
    xml_bytes: bytes,
    ca_pem_path: str | os.PathLike[str],
    *,
    at: datetime | None = None,
) -> tuple[bool, str]:
    """Verify with ``xmlsec1 --verify --trusted-pem``; return ``(ok, combined output)``.

    Only ``URI=""`` references are enabled, as in the gateway's profile. ``at`` sets the
    certificate verification time (default: now).

    :raises Xmlsec1Unavailable: xmlsec1 is not installed.
    """
    with tempfile.TemporaryDirectory(prefix="xmlsec1-") as workdir:
        document = Path(workdir, "document.xml")
        document.write_bytes(xml_bytes)
        arguments = ["--verify", "--trusted-pem", os.fspath(ca_pem_path), "--enabled-reference-uris", "empty"]
        if at is not None:
            gmt = at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
            arguments += ["--verification-gmt-time", gmt]
        completed = _run(*arguments, str(document))
        return completed.returncode == 0, completed.stdout + completed.stderr


def _run(*arguments: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("xmlsec1")
    if binary is None:
        raise Xmlsec1Unavailable("xmlsec1 is not installed; run: apt-get install -y xmlsec1")
    return subprocess.run(
        [binary, *arguments],
        capture_output=True,
        text=True,
        timeout=_TIMEOUT_SECONDS,
        check=False,
    )
