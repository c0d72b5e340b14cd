"""The gateway's own signing key and the trust anchors, loaded from the paths in settings."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from lxml import etree

from gateway.errors import ConfigurationError
from gateway.settings import Settings
from signing.pades import PdfSealer
from signing.pki import load_private_key_pem
from signing.trust import TrustStore, certificate_fingerprint, load_pem_certificates
from signing.xmldsig import sign_enveloped


@dataclass(frozen=True)
class GatewaySigner:
    """Signs the gateway's outputs (receipts, results) in the published signature profile."""

    key: object
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()

    @property
    def key_id(self) -> str:
        return certificate_fingerprint(self.certificate)

    def sign(self, root: etree._Element) -> bytes:
        return sign_enveloped(root, key=self.key, certificate=self.certificate, chain=self.chain)


def key_paths(settings: Settings) -> tuple[Path, Path, Path]:
    """(gateway key, gateway certificate chain, trust anchors), defaulting into data_dir/keys."""
    keys = settings.data_dir / "keys"
    return (
        settings.signing_key_path or keys / "gateway-key.pem",
        settings.signing_cert_path or keys / "gateway-cert.pem",
        settings.trust_anchors_path or keys / "trust-anchors.pem",
    )


def load_gateway_signer(settings: Settings) -> GatewaySigner:
    key_path, cert_path, _ = key_paths(settings)
    if not key_path.exists() or not cert_path.exists():
        raise ConfigurationError(
            f"gateway signing key or certificate missing ({key_path}, {cert_path}); "
            "run `gateway demo init` or set GATEWAY_SIGNING_KEY_PATH / GATEWAY_SIGNING_CERT_PATH"
        )
    certificates = load_pem_certificates(cert_path.read_bytes())
    return GatewaySigner(
        load_private_key_pem(key_path.read_bytes()), certificates[0], tuple(certificates[1:])
    )


def load_trust_store(settings: Settings) -> TrustStore:
    _, _, anchors_path = key_paths(settings)
    if not anchors_path.exists():
        raise ConfigurationError(f"trust anchors file missing ({anchors_path})")
    return _trust_store_from(anchors_path, _file_version(anchors_path))


@lru_cache(maxsize=8)
def _trust_store_from(path: Path, _version: tuple[int, int, int]) -> TrustStore:
    # Keyed on the file's version (modification time, size, inode): an operator's new anchors file
    # counts from the next request, and a new store also voids the key cache's chain checks.
    return TrustStore(anchors=tuple(load_pem_certificates(path.read_bytes())))


@dataclass(frozen=True)
class SealSigner:
    """The registration authority's electronic seal: signs certificates (PDF and XML twin).

    Built once per key file version (see :func:`load_seal`); its PDF sealer keeps the loaded key
    and pyHanko's prepared signer, so sealing a certificate costs little more than the signature.
    """

    key: object
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()
    pdf_sealer: PdfSealer = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pdf_sealer", PdfSealer(key=self.key, certificate=self.certificate, chain=self.chain))

    def sign_xml(self, root: etree._Element) -> bytes:
        return sign_enveloped(root, key=self.key, certificate=self.certificate, chain=self.chain)

    def seal_pdf(self, pdf: bytes, *, location: str | None, timestamp_url: str | None,
                 signed_at: datetime | None) -> bytes:
        """The PAdES seal on ``pdf`` (see :meth:`signing.pades.PdfSealer.sign`)."""
        return self.pdf_sealer.sign(pdf, location=location, timestamp_url=timestamp_url, signed_at=signed_at)


def load_seal(settings: Settings) -> SealSigner:
    """The seal from settings; without one configured, data_dir/keys/seal-*.pem, else the gateway key.

    Loaded once per process and key file version: a key or certificate file replaced by the
    operator (new modification time, size or inode) is read again on the next certificate.
    """
    keys = settings.data_dir / "keys"
    key_path = settings.seal_key_path or keys / "seal-key.pem"
    cert_path = settings.seal_cert_path or keys / "seal-cert.pem"
    if not key_path.exists() or not cert_path.exists():
        key_path, cert_path, _ = key_paths(settings)
        if not key_path.exists() or not cert_path.exists():
            load_gateway_signer(settings)  # raises the configuration error that names the missing files
    return _seal_from(key_path, _file_version(key_path), cert_path, _file_version(cert_path))


def _file_version(path: Path) -> tuple[int, int, int]:
    status = path.stat()
    return status.st_mtime_ns, status.st_size, status.st_ino


@lru_cache(maxsize=4)
def _seal_from(key_path: Path, _key_version: tuple, cert_path: Path, _cert_version: tuple) -> SealSigner:
    certificates = load_pem_certificates(cert_path.read_bytes())
    return SealSigner(load_private_key_pem(key_path.read_bytes()), certificates[0], tuple(certificates[1:]))


def seal_trust_anchors(settings: Settings) -> tuple[x509.Certificate, ...]:
    """The CA(s) a seal signature must chain to when anyone verifies a certificate."""
    path = settings.seal_trust_anchors_path or key_paths(settings)[2]
    return tuple(load_pem_certificates(path.read_bytes())) if path.exists() else ()
