"""Persons in the audit trail are named only by the blind index of their ID number.

The keyed blind index (HMAC-SHA-256 of the normalised number) is the encryption layer's
(:func:`gateway.protection.blind_index`); the audit trail uses the same one, so that "who looked
at this person's file" finds the entries by the number a citizen gives.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

def normalise(id_number: str) -> str:
    """The form the index is taken of: no spaces, upper case (the check character X)."""
    return "".join(id_number.split()).upper()


def person_index(id_number: str) -> str:
    """The blind index of a person's ID number."""
    from gateway.protection import blind_index

    return blind_index(normalise(id_number))


def id_numbers_in(canonical: Any) -> Iterator[str]:
    """Every ``id_number`` in a canonical application (mortgagors, debtors, transferees, ...)."""
    if isinstance(canonical, dict):
        for key, value in canonical.items():
            if key == "id_number" and isinstance(value, str) and value:
                yield value
            else:
                yield from id_numbers_in(value)
    elif isinstance(canonical, list):
        for item in canonical:
            yield from id_numbers_in(item)


def indexes_of(id_numbers: Iterable[str]) -> list[str]:
    """Sorted, distinct blind indexes."""
    return sorted({person_index(number) for number in id_numbers})
