"""The interface every inbound adapter implements.

The gateway parses the bytes safely, asks the adapter to validate the tree, verifies the signature,
and then hands the adapter only what the signature verification returned as signed.
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

from lxml import etree

from bank_adapters.canonical import CanonicalApplication


@runtime_checkable
class InboundAdapter(Protocol):
    """Reads one inbound document format into the canonical application."""

    #: The request media types this adapter accepts, such as ``"application/xml"``.
    media_types: tuple[str, ...]
    #: The document element it reads, in Clark notation: ``"{namespace}LocalName"``.
    root_tag: str

    def validate(self, root: etree._Element) -> None:
        """Check the document against the format's schema.

        Raises `UnsupportedDocument` when the root is not this format's, `SchemaInvalid` otherwise.
        """
        ...

    def to_canonical(self, signed_root: etree._Element) -> CanonicalApplication:
        """Read the canonical application from the signed element, and from nothing else."""
        ...
