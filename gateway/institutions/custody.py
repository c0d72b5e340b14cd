"""Keys the gateway holds for institutions that apply through the staff web (custody).

A housing-fund centre has no core system that signs XML. Its clerks fill in a web form and the
gateway seals the submission into the same signed request a bank sends, with a key held for that
institution: ``<GATEWAY_INSTITUTION_KEYS_DIR>/<CODE>-key.pem`` and ``<CODE>-cert.pem`` (the
certificate first, then any intermediate CAs). The certificate must be registered to the
institution like a bank's; intake checks it exactly as for a bank.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from lxml import etree

from gateway.errors import ConfigurationError
from gateway.settings import Settings
from signing.pki import load_private_key_pem
from signing.trust import certificate_fingerprint, load_pem_certificates
from signing.xmldsig import sign_enveloped

# Institution codes are unified social credit codes: safe as file names, never a path.
_CODE = re.compile(r"^[0-9A-Z]{18}$")


@dataclass(frozen=True)
class CustodyKey:
    """An institution's signing key held by the gateway, with its certificate chain."""

    institution_code: str
    key: object
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()

    @property
    def fingerprint(self) -> str:
        return certificate_fingerprint(self.certificate)

    def seal(self, document: etree._Element) -> bytes:
        """Sign ``document`` whole (enveloped XMLDSig), as the institution's own system would."""
        return sign_enveloped(document, key=self.key, certificate=self.certificate, chain=self.chain)


def custody_dir(settings: Settings) -> Path:
    return settings.institution_keys_dir or settings.data_dir / "institution-keys"


def custody_paths(settings: Settings, institution_code: str) -> tuple[Path, Path]:
    """(key file, certificate file) of an institution; refuses anything that is not a code."""
    if not _CODE.match(institution_code):
        raise ConfigurationError("an institution code is 18 characters 0-9 A-Z")
    folder = custody_dir(settings)
    return folder / f"{institution_code}-key.pem", folder / f"{institution_code}-cert.pem"


def has_custody_key(settings: Settings, institution_code: str) -> bool:
    key_path, cert_path = custody_paths(settings, institution_code)
    return key_path.exists() and cert_path.exists()


def load_custody_key(settings: Settings, institution_code: str) -> CustodyKey:
    """The key held for the institution; ``ConfigurationError`` when none is installed."""
    key_path, cert_path = custody_paths(settings, institution_code)
    if not key_path.exists() or not cert_path.exists():
        raise ConfigurationError(
            f"no key is held for institution {institution_code}: install {key_path.name} and "
            f"{cert_path.name} in the institution keys directory"
        )
    return _load(institution_code, key_path, cert_path, key_path.stat().st_mtime_ns, cert_path.stat().st_mtime_ns)


@lru_cache(maxsize=32)
def _load(institution_code: str, key_path: Path, cert_path: Path, _key_mtime: int, _cert_mtime: int) -> CustodyKey:
    # Keyed by modification times, so that replacing the files (rotation) takes effect at once.
    certificates = load_pem_certificates(cert_path.read_bytes())
    if not certificates:
        raise ConfigurationError(f"{cert_path.name} holds no certificate")
    return CustodyKey(institution_code, load_private_key_pem(key_path.read_bytes()), certificates[0],
                      tuple(certificates[1:]))


def install_custody_key(settings: Settings, institution_code: str, *, key_pem: bytes, cert_pem: bytes) -> Path:
    """Write an institution's key and certificate into the custody directory (key readable by owner only)."""
    key_path, cert_path = custody_paths(settings, institution_code)
    key_path.parent.mkdir(parents=True, exist_ok=True)
    key_path.parent.chmod(0o700)
    key_path.touch(mode=0o600, exist_ok=True)
    key_path.chmod(0o600)
    key_path.write_bytes(key_pem)
    cert_path.write_bytes(cert_pem)
    return key_path
