"""PAdES signatures on PDFs: sign, verify with pyHanko (our verify_pdf) and with poppler's pdfsig.

pdfsig exits 0 even for a digest mismatch or an untrusted certificate, so these tests read its
output. pdfsig and certutil missing fails the tests (never skips them). Timestamps come from a
small RFC 3161 authority on 127.0.0.1 (pyHanko's DummyTimeStamper behind http.server), so the
real HTTP client path of sign_pdf is exercised.
"""

from __future__ import annotations

import asyncio
import io
import re
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore
from reportlab.pdfgen.canvas import Canvas

from signing import pki
from signing.pades import PdfSealer, PdfUnreadable, TimestampUnavailable, sign_pdf, verify_pdf
from signing.trust import certificate_fingerprint
from tests.unit.certificates.tools import (
    PDFSIG_DIGEST_MISMATCH,
    PDFSIG_ISSUER_UNTRUSTED,
    PDFSIG_TRUSTED,
    PDFSIG_VALID,
    nss_database,
    pdfsig,
)

from .conftest import Credential

AMOUNT = b"1500000.00"
SIGNED_AT = datetime(2026, 12, 1, 10, 30, tzinfo=timezone(timedelta(hours=8)))


# --- documents, certificates and tools ---------------------------------------------------------

@pytest.fixture(scope="module")
def document() -> bytes:
    """A one-page PDF with an uncompressed content stream, so one byte of it can be changed."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, invariant=1, pageCompression=0)
    canvas.drawString(72, 720, f"Secured claim amount: {AMOUNT.decode()} CNY")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


@pytest.fixture(scope="module")
def seal(issue, root_ca) -> Credential:
    return issue(root_ca)


@pytest.fixture(scope="module")
def signed(document, seal, root_ca) -> bytes:
    return sign_pdf(document, key=seal.key, certificate=seal.certificate, chain=[root_ca.certificate],
                    location="平罗县", signed_at=SIGNED_AT)


def _certificate(issuer: Credential, key: pki.PrivateKey, name: str, now: datetime, *extensions) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(issuer.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
    )
    for extension in extensions:
        builder = builder.add_extension(extension, critical=True)
    return builder.sign(issuer.key, hashes.SHA256())


def _key_usage(*, digital_signature=False, non_repudiation=False, key_encipherment=False) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature, non_repudiation, key_encipherment, False, False, False, False, False, False)


def _pdfsig(pdf: bytes, database: Path, tmp_path: Path) -> str:
    path = tmp_path / "signed.pdf"
    path.write_bytes(pdf)
    return pdfsig(path, database)


@pytest.fixture(scope="module")
def nss_with_ca(tmp_path_factory, root_ca) -> Path:
    return nss_database(tmp_path_factory.mktemp("nss") / "db", pki.certificate_to_pem(root_ca.certificate))


@pytest.fixture(scope="module")
def tsa(root_ca, now) -> Iterator[tuple[str, datetime]]:
    """A local RFC 3161 time-stamping authority under the root CA: (URL, the time it stamps)."""
    key = pki.generate_private_key("rsa")
    certificate = _certificate(root_ca, key, "Test TSA", now, _key_usage(digital_signature=True),
                               x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]))
    stamped_at = now - timedelta(minutes=5)
    stamper = DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER)),
        tsa_key=asn1_keys.PrivateKeyInfo.load(key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())),
        fixed_dt=stamped_at,
    )

    class TimestampHandler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            request = tsp.TimeStampReq.load(self.rfile.read(int(self.headers["Content-Length"])))
            reply = stamper.request_tsa_response(request).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *arguments) -> None:
            return None

    server = HTTPServer(("127.0.0.1", 0), TimestampHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/tsa", stamped_at
    server.shutdown()
    server.server_close()


def _change_one_byte(signed: bytes) -> bytes:
    assert signed.count(AMOUNT) == 1
    return signed.replace(AMOUNT, b"9" + AMOUNT[1:])


# --- signing and verifying ---------------------------------------------------------------------

def test_a_signed_pdf_verifies_as_intact_and_trusted(signed, seal, root_ca):
    report = verify_pdf(signed, trust_anchors=[root_ca.certificate])

    assert report.valid
    assert (report.signed, report.intact, report.trusted, report.problem) == (True, True, True, None)
    assert report.signer_fingerprint == certificate_fingerprint(seal.certificate)
    assert report.signer_subject == seal.certificate.subject.rfc4514_string()
    assert report.signed_at == SIGNED_AT
    assert report.timestamped is False


def test_the_signature_is_a_pades_baseline_signature_with_sha256(signed, nss_with_ca, tmp_path):
    output = _pdfsig(signed, nss_with_ca, tmp_path)

    assert "- Signature Type: ETSI.CAdES.detached" in output
    assert "- Signing Hash Algorithm: SHA-256" in output
    assert "- Signature Field Name: Seal" in output
    assert "- Total document signed" in output


def test_the_cms_signed_attributes_follow_the_pades_baseline_profile(signed):
    signature = PdfFileReader(io.BytesIO(signed)).embedded_regular_signatures[0]
    attributes = {attribute["type"].native for attribute in signature.signer_info["signed_attrs"]}

    assert "signing_certificate_v2" in attributes
    assert "signing_time" not in attributes  # PAdES puts the claimed time in /M instead
    assert signature.signer_info["digest_algorithm"]["algorithm"].native == "sha256"
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"


def test_an_ec_seal_signature_verifies(document, ec_signer, root_ca):
    signed = sign_pdf(document, key=ec_signer.key, certificate=ec_signer.certificate)

    assert verify_pdf(signed, trust_anchors=[root_ca.certificate]).valid


def test_the_signer_chain_is_embedded_so_an_intermediate_need_not_be_known(document, make_intermediate, issue,
                                                                           root_ca):
    intermediate = make_intermediate()
    signer = issue(intermediate)

    signed = sign_pdf(document, key=signer.key, certificate=signer.certificate, chain=[intermediate.certificate])

    assert verify_pdf(signed, trust_anchors=[root_ca.certificate]).valid


def test_a_seal_certificate_with_only_digital_signature_is_trusted(document, root_ca, now):
    key = pki.generate_private_key("ec")
    certificate = _certificate(root_ca, key, "Seal", now, _key_usage(digital_signature=True))

    report = verify_pdf(sign_pdf(document, key=key, certificate=certificate), trust_anchors=[root_ca.certificate])

    assert report.trusted, report.problem


def test_verify_pdf_works_inside_a_running_event_loop(signed, root_ca):
    async def verify_in_endpoint():
        return verify_pdf(signed, trust_anchors=[root_ca.certificate])

    assert asyncio.run(verify_in_endpoint()).valid


# --- a sealer prepared once, signing many documents ---------------------------------------------

def _reserved_hex_digits(pdf: bytes) -> int:
    return len(re.search(rb"/Contents <([0-9A-Fa-f]+)>", pdf).group(1))


def test_a_sealer_reserves_the_space_pyhankos_own_signer_reserves(document, seal, root_ca):
    metadata = signers.PdfSignatureMetadata(field_name="Seal", md_algorithm="sha256", subfilter=SigSeedSubFilter.PADES)
    stock = signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(document)), metadata, signer=signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(seal.certificate.public_bytes(serialization.Encoding.DER)),
        signing_key=asn1_keys.PrivateKeyInfo.load(seal.key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())),
        cert_registry=SimpleCertificateStore()))

    sealed = PdfSealer(key=seal.key, certificate=seal.certificate).sign(document)

    assert _reserved_hex_digits(sealed) == _reserved_hex_digits(stock.getvalue())


def test_a_sealer_shared_by_threads_signs_documents_that_all_verify(document, rsa_signer, ec_signer, root_ca):
    for signer in (rsa_signer, ec_signer):
        sealer = PdfSealer(key=signer.key, certificate=signer.certificate)
        with ThreadPoolExecutor(max_workers=4) as pool:
            sealed = list(pool.map(lambda _: sealer.sign(document, signed_at=SIGNED_AT), range(8)))

        reports = [verify_pdf(pdf, trust_anchors=[root_ca.certificate]) for pdf in sealed]
        assert all(report.valid for report in reports), [report.problem for report in reports]
        assert {report.signer_fingerprint for report in reports} == {certificate_fingerprint(signer.certificate)}


def test_a_sealer_timestamps_every_document_it_signs(document, seal, tsa, root_ca):
    url, stamped_at = tsa
    sealer = PdfSealer(key=seal.key, certificate=seal.certificate)

    reports = [verify_pdf(sealer.sign(document, timestamp_url=url), trust_anchors=[root_ca.certificate])
               for _ in range(3)]

    assert [(r.valid, r.timestamped, r.signed_at) for r in reports] == [(True, True, stamped_at)] * 3


# --- pdfsig, the independent verifier ----------------------------------------------------------

def test_pdfsig_validates_the_signature_against_the_issuing_ca(signed, nss_with_ca, tmp_path):
    output = _pdfsig(signed, nss_with_ca, tmp_path)

    assert PDFSIG_VALID in output
    assert PDFSIG_TRUSTED in output


def test_pdfsig_reports_a_digest_mismatch_when_one_byte_changed(signed, nss_with_ca, tmp_path):
    output = _pdfsig(_change_one_byte(signed), nss_with_ca, tmp_path)

    assert PDFSIG_DIGEST_MISMATCH in output
    assert PDFSIG_VALID not in output


def test_pdfsig_does_not_trust_a_seal_from_another_ca(document, issue, other_ca, nss_with_ca, tmp_path):
    stranger = issue(other_ca, kind="ec")
    signed = sign_pdf(document, key=stranger.key, certificate=stranger.certificate, chain=[other_ca.certificate])

    output = _pdfsig(signed, nss_with_ca, tmp_path)

    assert PDFSIG_VALID in output
    assert PDFSIG_ISSUER_UNTRUSTED in output
    assert PDFSIG_TRUSTED not in output


def test_pdfsig_validates_a_timestamped_signature(document, seal, tsa, nss_with_ca, tmp_path):
    signed = sign_pdf(document, key=seal.key, certificate=seal.certificate, timestamp_url=tsa[0])

    output = _pdfsig(signed, nss_with_ca, tmp_path)

    assert PDFSIG_VALID in output
    assert PDFSIG_TRUSTED in output


# --- timestamps --------------------------------------------------------------------------------

def test_a_timestamp_from_the_tsa_is_embedded_and_verified(document, seal, tsa, root_ca):
    url, stamped_at = tsa
    signed = sign_pdf(document, key=seal.key, certificate=seal.certificate, timestamp_url=url)

    report = verify_pdf(signed, trust_anchors=[root_ca.certificate])

    assert report.valid
    assert report.timestamped is True
    assert report.signed_at == stamped_at


def test_a_timestamp_from_an_untrusted_tsa_is_reported(document, seal, tsa, root_ca, other_ca):
    signed = sign_pdf(document, key=seal.key, certificate=seal.certificate, timestamp_url=tsa[0])

    report = verify_pdf(signed, trust_anchors=[root_ca.certificate], timestamp_anchors=[other_ca.certificate])

    assert report.timestamped is False
    assert report.trusted is True
    assert report.problem == "the signature timestamp is not valid or not trusted"
    assert not report.valid


def test_an_unreachable_tsa_fails_the_signing(document, seal):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]

    with pytest.raises(TimestampUnavailable):
        sign_pdf(document, key=seal.key, certificate=seal.certificate, timestamp_url=f"http://127.0.0.1:{closed_port}/")


# --- refusals: verify_pdf answers, it never raises ---------------------------------------------

def test_bytes_that_are_not_a_pdf_are_reported_as_not_a_pdf(root_ca):
    for garbage in (b"", b"hello", b"<?xml version='1.0'?><a/>", bytes(range(256)) * 8):
        report = verify_pdf(garbage, trust_anchors=[root_ca.certificate])

        assert (report.signed, report.problem) == (False, "not a PDF")


def test_a_damaged_pdf_is_reported_as_unreadable(signed, root_ca):
    report = verify_pdf(signed[: len(signed) // 3], trust_anchors=[root_ca.certificate])

    assert report.signed is False
    assert report.problem == "not a readable PDF"


def test_an_unsigned_pdf_is_reported_as_unsigned(document, root_ca):
    report = verify_pdf(document, trust_anchors=[root_ca.certificate])

    assert (report.signed, report.valid) == (False, False)
    assert report.problem == "the PDF carries no signature"


def test_a_pdf_with_one_changed_byte_is_not_intact(signed, root_ca):
    report = verify_pdf(_change_one_byte(signed), trust_anchors=[root_ca.certificate])

    assert report.signed is True
    assert report.intact is False
    assert report.problem == "the document was altered after signing"


def test_a_pdf_with_content_added_after_signing_is_not_intact(signed, root_ca):
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    overlay = writer.add_object(generic.StreamObject(stream_data=b"0 0 1 rg 100 100 200 50 re f"))
    writer.add_stream_to_page(0, overlay)
    output = io.BytesIO()
    writer.write(output)

    report = verify_pdf(output.getvalue(), trust_anchors=[root_ca.certificate])

    assert report.signed is True
    assert report.intact is False
    assert report.problem == "the document was modified after signing"


def test_a_pdf_signed_by_a_key_outside_the_anchors_is_not_trusted(document, issue, other_ca, root_ca):
    stranger = issue(other_ca)
    signed = sign_pdf(document, key=stranger.key, certificate=stranger.certificate, chain=[other_ca.certificate])

    report = verify_pdf(signed, trust_anchors=[root_ca.certificate])

    assert (report.signed, report.intact, report.trusted) == (True, True, False)
    assert report.signer_fingerprint == certificate_fingerprint(stranger.certificate)
    assert report.problem == "the signer certificate does not chain to a trust anchor"


def test_with_no_anchors_nothing_is_trusted(signed):
    report = verify_pdf(signed, trust_anchors=[])

    assert report.trusted is False


def test_a_seal_verified_after_its_certificate_expired_is_not_trusted(signed, root_ca, seal):
    after_expiry = seal.certificate.not_valid_after_utc + timedelta(days=1)

    report = verify_pdf(signed, trust_anchors=[root_ca.certificate], at=after_expiry)

    assert report.trusted is False
    assert report.problem == "the signer certificate has expired"


def test_a_signer_certificate_for_key_encipherment_only_is_not_trusted(document, root_ca, now):
    key = pki.generate_private_key("rsa")
    certificate = _certificate(root_ca, key, "Not a seal", now, _key_usage(key_encipherment=True))

    report = verify_pdf(sign_pdf(document, key=key, certificate=certificate), trust_anchors=[root_ca.certificate])

    assert report.intact is True
    assert report.trusted is False
    assert report.problem == "the signer certificate may not sign documents (key usage or chain constraints)"


# --- refusals when signing ---------------------------------------------------------------------

def test_signing_bytes_that_are_not_a_pdf_is_refused(seal):
    with pytest.raises(PdfUnreadable):
        sign_pdf(b"not a pdf", key=seal.key, certificate=seal.certificate)


def test_a_naive_signing_time_is_refused(document, seal):
    with pytest.raises(ValueError, match="timezone-aware"):
        sign_pdf(document, key=seal.key, certificate=seal.certificate, signed_at=datetime(2026, 12, 1, 10, 30))


def test_a_key_that_does_not_belong_to_the_certificate_is_refused(document, seal, ec_signer):
    with pytest.raises(ValueError, match="does not belong"):
        sign_pdf(document, key=ec_signer.key, certificate=seal.certificate)


def test_no_single_byte_change_outside_the_signature_value_goes_unnoticed(signed, root_ca):
    gap_start = signed.index(b"/Contents <") + len(b"/Contents ")
    gap_end = signed.index(b">", gap_start) + 1
    positions = [*range(0, len(signed), len(signed) // 23), len(signed) - 1]

    for position in positions:
        damaged = bytearray(signed)
        damaged[position] ^= 0x01
        report = verify_pdf(bytes(damaged), trust_anchors=[root_ca.certificate])  # must not raise

        if not gap_start <= position < gap_end:
            assert not report.valid, f"a change at byte {position} was not detected"
