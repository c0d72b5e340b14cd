"""The purposes (查询用途) a department may query for, and what each returns: the data-minimisation table.

Each purpose belongs to one query (family housing or a unit's extract) and names exactly the fields of
the answer's ``result`` it may see, as paths (``units[].location``: the ``location`` of every unit).
The query builds its full result and :func:`minimise` keeps only the purpose's fields, so a field
not in the table is never sent. docs/interface/departments.md prints the table
(:func:`minimisation_markdown`); a test holds the two together.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gateway.departments.roles import FUND_CENTRE, HOUSING_BUREAU, TAX_BUREAU
from gateway.errors import GatewayError, InvalidRequest

FAMILY_HOUSING, UNIT_EXTRACT = "family-housing", "unit-extract"
QUERIES = (FAMILY_HOUSING, UNIT_EXTRACT)

_FAMILY_BASE = ("unit_count", "units[].unit_code", "units[].owners[].position", "units[].owners[].role")
_UNIT_BASE = ("unit.unit_code", "unit.location", "unit.use", "unit.state")
_OWNERS = ("owners[].name", "owners[].id_type", "owners[].id_number", "owners[].share")
_ENCUMBRANCES = ("seizures[].reference", "seizures[].registered_on", "objections[].reference",
                 "objections[].registered_on", "pre_notices[].reference", "pre_notices[].registered_on")


@dataclass(frozen=True)
class Purpose:
    code: str
    zh: str
    role: str  # the role it is granted to by default
    query: str  # FAMILY_HOUSING | UNIT_EXTRACT
    fields: tuple[str, ...]  # the result's fields it returns
    why: str  # why these fields, for the docs

    @property
    def field_set(self) -> frozenset[str]:
        return frozenset(self.fields)


TABLE: tuple[Purpose, ...] = (
    Purpose("DEED_TAX_RELIEF", "契税优惠核定", TAX_BUREAU, FAMILY_HOUSING,
            _FAMILY_BASE + ("units[].location", "units[].owners[].share"),
            "the number of homes decides the deed-tax rate; the address and share identify each home"),
    Purpose("TRANSFER_TAX_CHECK", "存量房交易计税核验", TAX_BUREAU, UNIT_EXTRACT,
            _UNIT_BASE + _OWNERS,
            "the seller's taxes are assessed on the recorded owners and their shares; no mortgages or encumbrances"),
    Purpose("FUND_LOAN_ELIGIBILITY", "公积金贷款资格审核", FUND_CENTRE, FAMILY_HOUSING,
            _FAMILY_BASE + ("units[].in_force_mortgages",),
            "first or second home, and whether a home still carries a loan (mortgages in force, counted)"),
    Purpose("FUND_LOAN_COLLATERAL", "公积金贷款抵押物核验", FUND_CENTRE, UNIT_EXTRACT,
            _UNIT_BASE + _OWNERS + (
                "mortgages[].kind", "mortgages[].priority", "mortgages[].mortgagee_code", "mortgages[].mortgagee_name",
                "mortgages[].certificate_no", "mortgages[].secured_amount", "mortgages[].maximum_claim_amount",
                "mortgages[].debt_start", "mortgages[].debt_end", "mortgages[].registered_at") + _ENCUMBRANCES,
            "the collateral's owners, the mortgages ranking before the centre's and every encumbrance"),
    Purpose("FIRST_HOME_LOAN_CHECK", "个人住房贷款首套认定", HOUSING_BUREAU, FAMILY_HOUSING,
            _FAMILY_BASE,
            "only whether, and how many, homes the family has: no addresses, shares or loans"),
    Purpose("SALE_CONTRACT_FILING", "商品房/存量房网签备案审核", HOUSING_BUREAU, UNIT_EXTRACT,
            _UNIT_BASE + _OWNERS + ("mortgages[].kind", "mortgages[].priority", "mortgages[].mortgagee_name",
                                    "mortgages[].certificate_no") + _ENCUMBRANCES,
            "the seller must be the owner and a seized unit cannot be sold; mortgages without amounts or terms"),
)
PURPOSES: dict[str, Purpose] = {purpose.code: purpose for purpose in TABLE}
PURPOSE_MAX = 32


class PurposeMissing(GatewayError):
    code = "query.purpose_missing"
    title = "The query names no purpose"


class PurposeUnknown(GatewayError):
    code = "query.purpose_unknown"
    title = "The purpose is not one of the documented purposes"


class PurposeNotAllowed(GatewayError):
    code = "query.purpose_not_allowed"
    title = "The department is not allowed this purpose"
    kind = "forbidden"


class PurposeNotForQuery(GatewayError):
    code = "query.purpose_not_for_query"
    title = "The purpose belongs to the other query"


def default_purposes(role: str | None) -> list[str]:
    """The purposes a department of ``role`` is granted when it is registered."""
    return [purpose.code for purpose in TABLE if purpose.role == role]


def purpose_named(code: object) -> Purpose:
    """The purpose a request names (``query.purpose_missing`` / ``query.purpose_unknown``)."""
    if code is None or (isinstance(code, str) and not code.strip()):
        raise PurposeMissing("give the purpose of the query (purpose)")
    if not isinstance(code, str) or code not in PURPOSES:
        raise PurposeUnknown("the purpose is not in the table of purposes", extra={"purposes": sorted(PURPOSES)})
    return PURPOSES[code]


def checked_purposes(codes: object) -> list[str]:
    """Purpose codes an administrator grants: each documented, no repeats (sorted)."""
    if not isinstance(codes, (list, tuple)) or not all(isinstance(code, str) for code in codes):
        raise InvalidRequest("purposes is a list of purpose codes", code="request.invalid")
    unknown = sorted(set(codes) - set(PURPOSES))
    if unknown:
        raise PurposeUnknown("a purpose is not in the table of purposes", extra={"purposes": sorted(PURPOSES)})
    return sorted(set(codes))


# --- minimisation ------------------------------------------------------------------------------

def minimise(result: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """``result`` with only ``fields`` (paths as in the table); sections none of whose fields are named go."""
    return _keep(result, _tree(fields))


def paths_of(result: Any, prefix: str = "") -> set[str]:
    """The field paths an answer's result holds (the inverse of :func:`minimise`, for checking answers)."""
    found: set[str] = set()
    if isinstance(result, dict):
        for key, value in result.items():
            path = f"{prefix}{key}"
            if isinstance(value, list):
                items = [paths_of(item, f"{path}[].") for item in value if isinstance(item, dict)]
                found |= set().union(*items) if items else set()
                if not items and value:
                    found.add(path)
            elif isinstance(value, dict):
                found |= paths_of(value, f"{path}.")
            else:
                found.add(path)
    return found


def _tree(fields: tuple[str, ...]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for field in fields:
        node = tree
        parts = field.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = None
    return tree


def _keep(data: dict[str, Any], tree: dict[str, Any]) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for name, subtree in tree.items():
        key = name.removesuffix("[]")
        if key not in data:
            continue
        value = data[key]
        if subtree is None:
            kept[key] = value
        elif name.endswith("[]"):
            kept[key] = [_keep(item, subtree) for item in value]
        else:
            kept[key] = _keep(value, subtree)
    return kept


def minimisation_markdown() -> str:
    """The table as docs/interface/departments.md prints it (between its ``minimisation`` markers)."""
    rows = ["| Purpose | 用途 | Default role | Query | Fields returned | Why |", "|---|---|---|---|---|---|"]
    for purpose in TABLE:
        fields = ", ".join(f"`{field}`" for field in purpose.fields)
        rows.append(f"| `{purpose.code}` | {purpose.zh} | `{purpose.role}` | `{purpose.query}` | {fields} | "
                    f"{purpose.why} |")
    return "\n".join(rows) + "\n"
