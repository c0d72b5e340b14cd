"""Publishing to an institution's inbox (and, where it has a callback URL, queuing the callback).

The contract every producer uses (intake receipts, batch refusals, results, certificates, watch
notices, statements): call :func:`publish` inside the transaction that makes the document.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session


def publish(
    session: Session, *, institution_id: int, kind: str, content: bytes, media_type: str,
    application_id: int | None = None, document_id: int | None = None, deliver: bool = True,
    at: datetime,
):
    """Append a signed document to the institution's inbox, in the caller's transaction.

    ``kind``: receipt | refusal | supplement_request | result | certificate | watch_notice | statement.
    ``deliver``: also queue a callback when the institution has a callback URL.
    Returns the inbox entry."""
    raise NotImplementedError  # the inbox helper implements this
