"""Shared fixtures for the signing library's unit tests: a demo PKI, documents, signers.

Keys are session-scoped (RSA generation is the slow part). Certificates are valid around the
real current time because the xmlsec1 interoperability tests verify "now".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography import x509
from lxml import etree
from signxml import XMLSigner
from signxml.algorithms import SignatureConstructionMethod

from signing import pki
from signing.trust import TrustStore
from signing.xmldsig import VerifiedDocument, sign_enveloped, verify_enveloped

APPLICATION_NS = "urn:pingluo-bdc:mortgage-gateway:v1"
APPLICATION_TAG = f"{{{APPLICATION_NS}}}MortgageApplication"
MORTGAGOR_NAME = "张三丰"
MORTGAGOR_ID_NUMBER = "640221199001011234"
MAX_BYTES = 1_000_000

APPLICATION_XML = f"""<?xml version="1.0" encoding="UTF-8"?>
<MortgageApplication xmlns="{APPLICATION_NS}" version="1">
  <RegistrationType>first</RegistrationType>
  <UnitCode>640221001001GB00001F00010001</UnitCode>
  <Mortgagors>
    <Party>
      <Name>{MORTGAGOR_NAME}</Name>
      <IdNumber>{MORTGAGOR_ID_NUMBER}</IdNumber>
    </Party>
  </Mortgagors>
  <SecuredClaimAmount currency="CNY">1500000.00</SecuredClaimAmount>
  <Extensions/>
</MortgageApplication>
""".encode()


@dataclass(frozen=True)
class Credential:
    """A private key with its certificate (a CA or a signer)."""

    key: pki.PrivateKey
    certificate: x509.Certificate


@pytest.fixture(scope="session")
def now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


@pytest.fixture(scope="session")
def root_ca(now: datetime) -> Credential:
    key, certificate = pki.make_ca(
        common_name="Pingluo Registry Demo Root CA",
        organization="Pingluo Real Estate Registration Centre",
        not_before=now - timedelta(days=30),
        not_after=now + timedelta(days=3650),
    )
    return Credential(key, certificate)


@pytest.fixture(scope="session")
def other_ca(now: datetime) -> Credential:
    key, certificate = pki.make_ca(
        common_name="Unrelated CA",
        organization="Somebody Else",
        not_before=now - timedelta(days=30),
        not_after=now + timedelta(days=3650),
        key=pki.generate_private_key("ec"),
    )
    return Credential(key, certificate)


@pytest.fixture(scope="session")
def make_intermediate(root_ca: Credential, now: datetime) -> Callable[..., Credential]:
    """``make_intermediate(valid_until=...)``: an EC intermediate CA under the root."""

    def intermediate(*, valid_until: datetime | None = None) -> Credential:
        key = pki.generate_private_key("ec")
        certificate = pki.issue_intermediate_ca(
            ca_key=root_ca.key,
            ca_cert=root_ca.certificate,
            common_name="Bank of Pingluo Issuing CA",
            organization="Bank of Pingluo",
            public_key=key.public_key(),
            not_before=now - timedelta(days=10),
            not_after=valid_until or now + timedelta(days=1000),
        )
        return Credential(key, certificate)

    return intermediate


@pytest.fixture(scope="session")
def issue(now: datetime) -> Callable[..., Credential]:
    """Issue a signer credential: ``issue(ca, kind="rsa", rsa_bits=2048, valid_from=..., valid_until=...)``."""

    def issue_signer(
        ca: Credential,
        *,
        kind: str = "rsa",
        rsa_bits: int = 2048,
        key: pki.PrivateKey | None = None,
        valid_from: datetime | None = None,
        valid_until: datetime | None = None,
    ) -> Credential:
        signer_key = key or pki.generate_private_key(kind, rsa_bits=rsa_bits)  # type: ignore[arg-type]
        certificate = pki.issue_certificate(
            ca_key=ca.key,
            ca_cert=ca.certificate,
            common_name="Bank of Pingluo Mortgage Signer",
            organization="Bank of Pingluo",
            public_key=signer_key.public_key(),
            not_before=valid_from or now - timedelta(days=1),
            not_after=valid_until or now + timedelta(days=365),
        )
        return Credential(signer_key, certificate)

    return issue_signer


@pytest.fixture(scope="session")
def rsa_signer(root_ca: Credential, issue: Callable[..., Credential]) -> Credential:
    return issue(root_ca, kind="rsa")


@pytest.fixture(scope="session")
def ec_signer(root_ca: Credential, issue: Callable[..., Credential]) -> Credential:
    return issue(root_ca, kind="ec")


@pytest.fixture(scope="session")
def trust(root_ca: Credential) -> TrustStore:
    return TrustStore(anchors=(root_ca.certificate,))


@pytest.fixture
def application_xml() -> bytes:
    return APPLICATION_XML


@pytest.fixture(scope="session")
def signed_application(rsa_signer: Credential) -> bytes:
    return sign_enveloped(APPLICATION_XML, key=rsa_signer.key, certificate=rsa_signer.certificate)


@pytest.fixture
def verify(trust: TrustStore, now: datetime) -> Callable[..., VerifiedDocument]:
    """``verify(data, **overrides)``: verify_enveloped with this suite's trust store and clock."""

    def verify_document(data: bytes, **overrides: object) -> VerifiedDocument:
        arguments: dict[str, object] = {"trust": trust, "at": now, "max_bytes": MAX_BYTES}
        arguments.update(overrides)
        return verify_enveloped(data, **arguments)  # type: ignore[arg-type]

    return verify_document


@pytest.fixture
def edit() -> Callable[[bytes, Callable[[etree._Element], object]], bytes]:
    """``edit(xml, change)``: parse, apply ``change(root)``, serialize (for tampering tests)."""

    def edit_document(data: bytes, change: Callable[[etree._Element], object]) -> bytes:
        root = etree.fromstring(data)
        change(root)
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8")

    return edit_document


@pytest.fixture(scope="session")
def pki_files(
    tmp_path_factory: pytest.TempPathFactory, root_ca: Credential, rsa_signer: Credential, ec_signer: Credential
) -> Path:
    """A directory with ca.pem, rsa-key.pem, rsa-cert.pem, ec-key.pem, ec-cert.pem."""
    directory = tmp_path_factory.mktemp("pki")
    (directory / "ca.pem").write_bytes(pki.certificate_to_pem(root_ca.certificate))
    for name, credential in (("rsa", rsa_signer), ("ec", ec_signer)):
        (directory / f"{name}-key.pem").write_bytes(pki.private_key_to_pem(credential.key))
        (directory / f"{name}-cert.pem").write_bytes(pki.certificate_to_pem(credential.certificate))
    return directory


@pytest.fixture
def application_tag() -> str:
    """Clark-notation tag of the sample application's root element."""
    return APPLICATION_TAG


@pytest.fixture
def personal_data() -> tuple[str, str]:
    """Personal data in the sample application that must never appear in error messages."""
    return MORTGAGOR_NAME, MORTGAGOR_ID_NUMBER



class _PermissiveSigner(XMLSigner):
    """signxml's signer without its SHA-1 refusal: produces signatures our profile must refuse."""

    def check_deprecated_methods(self) -> None:
        return None


@pytest.fixture
def signxml_sign() -> Callable[..., bytes]:
    """Sign with signxml directly, outside our profile, to produce hostile-but-valid signatures.

    ``signxml_sign(document, credential, signature_method=..., digest=..., c14n=..., reference_uri=...)``
    with algorithm URIs; defaults match our profile.
    """

    def sign(
        document: bytes,
        credential: Credential,
        *,
        signature_method: str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        digest: str = "http://www.w3.org/2001/04/xmlenc#sha256",
        c14n: str = "http://www.w3.org/2001/10/xml-exc-c14n#",
        reference_uri: str | list[str] | None = None,
        always_add_key_value: bool = False,
    ) -> bytes:
        signer = _PermissiveSigner(
            method=SignatureConstructionMethod.enveloped,
            signature_algorithm=signature_method,
            digest_algorithm=digest,
            c14n_algorithm=c14n,
        )
        signed = signer.sign(
            etree.fromstring(document),
            key=credential.key,
            cert=[credential.certificate],
            reference_uri=reference_uri,
            always_add_key_value=always_add_key_value,
        )
        return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")

    return sign
