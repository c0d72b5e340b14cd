"""The bank's key and certificate, and the pinned certificates of the gateway and the seal."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from .config import Config
from .errors import ConfigError

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def fingerprint(certificate: x509.Certificate) -> str:
    """Lower-case hex SHA-256 of the DER: the HTTP ``keyid`` and the JWS ``kid``."""
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


def is_ca(certificate: x509.Certificate) -> bool:
    try:
        return certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


@dataclass(frozen=True)
class BankIdentity:
    key: PrivateKey
    certificate: x509.Certificate

    @property
    def key_id(self) -> str:
        return fingerprint(self.certificate)


def load_certificates(path: Path) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(path.read_bytes())
    except FileNotFoundError:
        raise ConfigError(f"certificate file {path} does not exist") from None
    except ValueError:
        raise ConfigError(f"{path} holds no PEM certificate") from None


def load_identity(config: Config) -> BankIdentity:
    try:
        data = config.key.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"key file {config.key} does not exist") from None
    password = config.key_password.encode() if config.key_password else None
    try:
        key = serialization.load_pem_private_key(data, password=password)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{config.key}: cannot read the private key ({exc})") from None
    if not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        raise ConfigError("the key must be RSA (>= 2048 bits) or EC P-256")
    certificate = load_certificates(config.certificate)[0]
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(serialization.Encoding.DER, spki) != \
            certificate.public_key().public_bytes(serialization.Encoding.DER, spki):
        raise ConfigError(f"{config.key} is not the key of {config.certificate}")
    return BankIdentity(key, certificate)


def pinned_gateway_certificates(config: Config) -> list[x509.Certificate]:
    """The gateway certificates documents may be signed with: every non-CA certificate of the file
    (the file may be GET /v1/gateway/certificate's answer, the certificate with its chain, or hold
    the next certificate too during a rotation)."""
    certificates = [c for c in load_certificates(config.gateway_certificate) if not is_ca(c)]
    if not certificates:
        raise ConfigError(f"{config.gateway_certificate} holds only CA certificates; pin the gateway's own")
    return certificates
