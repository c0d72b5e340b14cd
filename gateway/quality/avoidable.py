"""Which supplement requests a correct first submission would have avoided (docs/interface/quality.md §4).

An item of a supplement request (a material type the reviewer asked for) is *avoidable* when the
institution could have got it right before submitting:

1. the first submission already listed a material of that type — it was sent, but not as it should have
   been (illegible, unsigned, the wrong document): a correct submission would have sent it right; or
2. the unified materials list (gateway/catalogue/materials.py) for the application's registration type
   lists that type as required (REQUIRED, or CONDITIONAL) and to be submitted by the applicant (Holding NO):
   the published list told the institution to send it; or
3. the signed receipt's pre-review findings told the institution at intake that a material it sent is not
   in the type's list (``materials.not_in_catalogue``), and the type asked for is in that list: the material
   was sent under a code the list does not know.

A supplement request is avoidable when it has at least one item and every item is avoidable; one item
that only the reviewer's judgement could call for (an optional material, one the authority holds, a
material of a kind no list names) makes the request not avoidable, since a correct first submission
would still have met it.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bank_adapters.canonical import RegistrationType
from gateway.catalogue.materials import Holding, Need, requirements_for

NOT_IN_CATALOGUE = "materials.not_in_catalogue"


@dataclass(frozen=True)
class FirstSubmission:
    """What the institution knew when it submitted: the type, what it sent, what the receipt told it."""

    registration_type: str
    submitted_types: frozenset[str]
    finding_codes: frozenset[str]


def _listed(registration_type: str) -> dict[str, tuple[Need, Holding]]:
    try:
        kind = RegistrationType(registration_type)
    except ValueError:
        return {}
    return {r.code: (r.need, r.held) for r in requirements_for(kind)}


def item_avoidable(type_code: str, first: FirstSubmission) -> bool:
    """Whether a correct first submission would have avoided asking for ``type_code`` (rules 1–3 above)."""
    if type_code in first.submitted_types:
        return True
    listed = _listed(first.registration_type)
    need, held = listed.get(type_code, (None, None))
    if need in (Need.REQUIRED, Need.CONDITIONAL) and held is Holding.NO:
        return True
    return NOT_IN_CATALOGUE in first.finding_codes and type_code in listed


def request_avoidable(type_codes: Iterable[str], first: FirstSubmission) -> bool:
    """A supplement request is avoidable when it names at least one item and every item is avoidable."""
    codes = list(type_codes)
    return bool(codes) and all(item_avoidable(code, first) for code in codes)
