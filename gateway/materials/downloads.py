"""How an uploaded material leaves the gateway: bytes written by an institution are never rendered
by a browser as a page of the gateway's origin.

Everywhere a material is served it goes as a download that no browser sniffs or runs
(``application/octet-stream``, ``attachment``, ``nosniff``, a sandbox CSP); only the staff web's
viewer shows scans (PDF, PNG, JPEG) inline, under the web's own CSP.
"""
from __future__ import annotations

from fastapi.responses import Response

# What the staff web's viewer shows inline; anything else (there should be nothing else) is a download.
VIEWABLE = frozenset({"application/pdf", "image/png", "image/jpeg"})
SANDBOXED_DOWNLOAD = {
    "Content-Disposition": "attachment",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox",
}


def as_download(content: bytes) -> Response:
    """The material's bytes as an opaque, sandboxed download."""
    return Response(content, media_type="application/octet-stream", headers=SANDBOXED_DOWNLOAD)


def for_viewer(content: bytes, media_type: str) -> Response:
    """A scan inline for the staff web's viewer; anything else as a sandboxed download."""
    if media_type in VIEWABLE:
        return Response(content, media_type=media_type,
                        headers={"Content-Disposition": "inline", "X-Content-Type-Options": "nosniff"})
    return as_download(content)
