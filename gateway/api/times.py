"""Times in JSON: ISO 8601 in UTC with a ``Z``, to the microsecond (docs/interface/api.md §1).

Every time a JSON response carries is declared ``UtcTime``: one serialiser, so that no endpoint
answers in the registration centre's local time, with a ``+00:00`` offset, or without its fraction
(pydantic's own rendering drops a zero fraction; FastAPI's encoder of plain dicts writes ``+00:00``).
Dates (``due_date``) stay ``YYYY-MM-DD`` in Beijing time.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated

from pydantic import PlainSerializer, WithJsonSchema

EXAMPLE = "2026-11-27T00:02:35.055316Z"


def utc_text(moment: datetime) -> str:
    """``2026-11-27T00:02:35.055316Z``. The gateway's times are aware; a naive one is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


UtcTime = Annotated[
    datetime,
    PlainSerializer(utc_text, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time", "examples": [EXAMPLE]}),
]
