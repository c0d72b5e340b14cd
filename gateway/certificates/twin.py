"""The structured twin of a certificate: the same facts as signed XML, for banks' systems."""
from __future__ import annotations

from lxml import etree

from gateway.applications.documents import NS
from gateway.certificates.facts import CertificateFacts


def build_certificate_xml(facts: CertificateFacts, *, pdf_sha256: str) -> etree._Element:
    """<RegistrationCertificate> with every printed field and the SHA-256 of the PDF it twins."""
    root = etree.Element(f"{{{NS}}}RegistrationCertificate", nsmap={None: NS})
    root.set("version", "1")

    def add(parent, name: str, text: str | None = None):
        element = etree.SubElement(parent, f"{{{NS}}}{name}")
        if text is not None:
            element.text = text
        return element

    add(root, "CertificateNo", facts.certificate_no)
    add(root, "RightOrMatter", facts.right_or_matter)
    add(root, "RightsHolder", facts.rights_holder)
    obligors = add(root, "Obligors")
    for name in facts.obligors:
        add(obligors, "Obligor", name)
    add(root, "Location", facts.location)
    add(root, "UnitCode", facts.unit_code)
    other = add(root, "Other")
    for label, value in facts.other:
        item = add(other, "Item")
        add(item, "Label", label)
        add(item, "Value", value)
    add(root, "Notes", facts.notes)
    add(root, "Authority", facts.authority)
    add(root, "RegisteredOn", facts.registered_on.isoformat())
    add(root, "VerificationCode", facts.verification_code)
    add(root, "VerifyUrl", facts.verify_url)
    add(root, "PdfSha256", pdf_sha256)
    return root
