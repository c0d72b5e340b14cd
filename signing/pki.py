"""A small demonstration PKI: keys, a certificate authority and signer certificates.

Used by ``make run`` to create demo keys for the bank simulator and by the tests. It is not a
production CA: there is no revocation, no key protection and no policy beyond what the verifier
checks (see :mod:`signing.trust`).

Certificates issued here follow the profile the gateway expects from a signer:
* a CA certificate has ``basicConstraints CA:TRUE`` (critical) and ``keyCertSign, cRLSign``;
* a signer (leaf) certificate has ``basicConstraints CA:FALSE``, ``digitalSignature,
  nonRepudiation`` and no extended key usage (document signing has no standard EKU that
  every bank's tooling understands, and an absent EKU means "any").
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Literal, TypeAlias

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

PrivateKey: TypeAlias = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
PublicKey: TypeAlias = rsa.RSAPublicKey | ec.EllipticCurvePublicKey

_CA_KEY_USAGE = x509.KeyUsage(
    digital_signature=False,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=True,
    crl_sign=True,
    encipher_only=False,
    decipher_only=False,
)
_SIGNER_KEY_USAGE = x509.KeyUsage(
    digital_signature=True,
    content_commitment=True,  # nonRepudiation
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=False,
    crl_sign=False,
    encipher_only=False,
    decipher_only=False,
)


def generate_private_key(kind: Literal["rsa", "ec"] = "rsa", *, rsa_bits: int = 2048) -> PrivateKey:
    """Return a new RSA key (``rsa_bits``, exponent 65537) or an EC key on P-256."""
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits)
    if kind == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    raise ValueError(f"unknown key kind {kind!r}; expected 'rsa' or 'ec'")


def _name(*, common_name: str, organization: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _serial_number() -> int:
    # 159 random bits: positive, at most 20 octets, unpredictable (RFC 5280 section 4.1.2.2).
    return secrets.randbits(159) | 1


def make_ca(
    *,
    common_name: str,
    organization: str,
    not_before: datetime,
    not_after: datetime,
    key: PrivateKey | None = None,
) -> tuple[PrivateKey, x509.Certificate]:
    """Create a self-signed CA certificate; generate an RSA key unless ``key`` is given."""
    ca_key = key if key is not None else generate_private_key("rsa")
    name = _name(common_name=common_name, organization=organization)
    ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(ca_key.public_key())
        .serial_number(_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_CA_KEY_USAGE, critical=True)
        .add_extension(ski, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return ca_key, certificate


def issue_intermediate_ca(
    *,
    ca_key: PrivateKey,
    ca_cert: x509.Certificate,
    common_name: str,
    organization: str,
    public_key: PublicKey,
    not_before: datetime,
    not_after: datetime,
) -> x509.Certificate:
    """Issue an intermediate CA certificate (``CA:TRUE, pathlen:0``) under ``ca_cert``."""
    return _issue(ca_key=ca_key, ca_cert=ca_cert, name=_name(common_name=common_name, organization=organization),
                  public_key=public_key, not_before=not_before, not_after=not_after,
                  constraints=x509.BasicConstraints(ca=True, path_length=0), key_usage=_CA_KEY_USAGE)


def issue_certificate(
    *,
    ca_key: PrivateKey,
    ca_cert: x509.Certificate,
    common_name: str,
    organization: str,
    public_key: PublicKey,
    not_before: datetime,
    not_after: datetime,
) -> x509.Certificate:
    """Issue a signer (end-entity) certificate for ``public_key``, signed by the CA."""
    return _issue(ca_key=ca_key, ca_cert=ca_cert, name=_name(common_name=common_name, organization=organization),
                  public_key=public_key, not_before=not_before, not_after=not_after,
                  constraints=x509.BasicConstraints(ca=False, path_length=None), key_usage=_SIGNER_KEY_USAGE)


def _issue(*, ca_key, ca_cert, name, public_key, not_before, not_after, constraints, key_usage) -> x509.Certificate:
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(ca_cert.subject)
        .public_key(public_key)
        .serial_number(_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(constraints, critical=True)
        .add_extension(key_usage, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(_authority_key_identifier(ca_cert), critical=False)
        .sign(ca_key, hashes.SHA256())
    )


def _authority_key_identifier(ca_cert: x509.Certificate) -> x509.AuthorityKeyIdentifier:
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski)


def private_key_to_pem(key: PrivateKey) -> bytes:
    """Serialize a private key as unencrypted PKCS#8 PEM (demo and test use only)."""
    return key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )


def certificate_to_pem(cert: x509.Certificate) -> bytes:
    """Serialize a certificate as PEM."""
    return cert.public_bytes(serialization.Encoding.PEM)


def load_private_key_pem(data: bytes) -> PrivateKey:
    """Load an unencrypted PEM private key; only RSA and EC keys are accepted."""
    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        raise ValueError("only RSA and EC private keys are supported")
    return key
