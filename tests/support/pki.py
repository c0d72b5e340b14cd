"""A test PKI: a trusted CA, the gateway's key, banks' keys, and certificates that must be refused."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509

from signing.pki import certificate_to_pem, generate_private_key, issue_certificate, make_ca, private_key_to_pem
from signing.trust import certificate_fingerprint


@dataclass(frozen=True)
class Identity:
    """A key and its certificate, with PEM files written for command-line tools."""

    key: object
    certificate: x509.Certificate
    key_path: Path
    cert_path: Path

    @property
    def fingerprint(self) -> str:
        return certificate_fingerprint(self.certificate)

    @property
    def cert_pem(self) -> bytes:
        return certificate_to_pem(self.certificate)


@dataclass(frozen=True)
class TestPki:
    ca_path: Path
    gateway: Identity
    bank: Identity
    bank_ec: Identity  # a second certificate of the same bank (ECDSA P-256)
    other_bank: Identity
    expired: Identity
    not_yet_valid: Identity
    untrusted: Identity  # issued by a CA the gateway does not trust
    # Departments (信息互联): the tax bureau, the housing bureau; the housing-fund centre as a department.
    tax_bureau: Identity
    housing_bureau: Identity
    fund_centre: Identity
    # The trusted CA itself, to issue further certificates in a test (a bank's next key, a CRL).
    ca_key: object = None
    ca_certificate: x509.Certificate | None = None


def build_pki(directory: Path) -> TestPki:
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.now(timezone.utc)
    ca_key, ca_cert = make_ca(common_name="Test CA", organization="Test", not_before=now - timedelta(days=30),
                              not_after=now + timedelta(days=3650))
    rogue_key, rogue_cert = make_ca(common_name="Rogue CA", organization="Rogue", not_before=now - timedelta(days=30),
                                    not_after=now + timedelta(days=3650))
    ca_path = directory / "ca.pem"
    ca_path.write_bytes(certificate_to_pem(ca_cert))

    def identity(name, *, kind="rsa", issuer=(ca_key, ca_cert), start=-1, end=365) -> Identity:
        key = generate_private_key(kind)
        cert = issue_certificate(ca_key=issuer[0], ca_cert=issuer[1], common_name=name, organization=name,
                                 public_key=key.public_key(), not_before=now + timedelta(days=start),
                                 not_after=now + timedelta(days=end))
        key_path, cert_path = directory / f"{name}-key.pem", directory / f"{name}-cert.pem"
        key_path.write_bytes(private_key_to_pem(key))
        cert_path.write_bytes(certificate_to_pem(cert))
        return Identity(key, cert, key_path, cert_path)

    return TestPki(
        ca_path=ca_path,
        gateway=identity("gateway"),
        bank=identity("bank"),
        bank_ec=identity("bank-ec", kind="ec"),
        other_bank=identity("other-bank"),
        expired=identity("expired", start=-30, end=-1),
        not_yet_valid=identity("not-yet-valid", start=2, end=30),
        untrusted=identity("untrusted", issuer=(rogue_key, rogue_cert)),
        tax_bureau=identity("tax-bureau"),
        housing_bureau=identity("housing-bureau"),
        fund_centre=identity("fund-centre"),
        ca_key=ca_key,
        ca_certificate=ca_cert,
    )
