"""The two record bodies (docs/interface/departments.md), parsed from the bytes as received.

Parsed here rather than by FastAPI so that every refusal carries this package's codes
(``record.invalid`` naming the field, ``record.id_number_invalid`` naming the party by position)
and the exact bytes stay available as evidence. Messages never quote a value: a name or an ID
number must not reach a log line or a problem document.
"""
from __future__ import annotations

import hashlib
import json
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bank_adapters.canonical import IdType
from gateway.department_records.errors import RecordIdNumberInvalid, RecordInvalid
from gateway.prereview.identifiers import resident_id_problem

UNIT_CODE = r"^[0-9]{12}[A-Z]{2}[0-9]{5}[A-Z][0-9]{8}$"
NUMBER = r"^[0-9A-Za-z\-_/()（）\u4e00-\u9fff]{1,64}$"
AMOUNT = r"^[0-9]{1,13}(\.[0-9]{1,2})?$"
DAY = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
MAX_PARTIES = 10


class PartyIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    name: str = Field(min_length=1, max_length=200)
    id_type: IdType
    id_number: str = Field(min_length=1, max_length=64)

    @field_validator("id_type", mode="before")
    @classmethod
    def _id_type(cls, value: Any) -> Any:
        return IdType(value) if isinstance(value, str) and value in IdType.__members__ else value


class _RecordIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    unit_code: str = Field(pattern=UNIT_CODE)
    department: str | None = Field(default=None, min_length=1, max_length=32)
    # The record id (from the receipt) of an earlier version of this record number that this one corrects.
    corrects: str | None = Field(default=None, pattern=r"^DR[0-9a-f]{32}$")

    def content(self) -> dict[str, Any]:
        """What the record says, without the optional ``department`` (it only names the signer) and
        ``corrects`` (it says what the record replaces, not what it says)."""
        return self.model_dump(mode="json", exclude={"department", "corrects"}, exclude_none=True)

    def content_sha256(self) -> str:
        canonical = json.dumps(self.content(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class TaxRecordIn(_RecordIn):
    """A deed-tax record (契税 完税 / 免税 / 不征税)."""

    record_no: str = Field(pattern=NUMBER)
    status: Literal["PAID", "EXEMPT", "NOT_TAXABLE"]
    sale_contract_no: str = Field(pattern=NUMBER)
    taxpayers: list[PartyIn] = Field(min_length=1, max_length=MAX_PARTIES)
    tax_amount: str = Field(pattern=AMOUNT)
    decided_on: str = Field(pattern=DAY)

    @property
    def number(self) -> str:
        return self.record_no

    @property
    def parties(self) -> dict[str, list[PartyIn]]:
        return {"taxpayers": self.taxpayers}


class ContractIn(_RecordIn):
    """A filed sale contract (网签备案)."""

    contract_no: str = Field(pattern=NUMBER)
    buyers: list[PartyIn] = Field(min_length=1, max_length=MAX_PARTIES)
    sellers: list[PartyIn] | None = Field(default=None, max_length=MAX_PARTIES)
    price: str = Field(pattern=AMOUNT)
    filed_on: str = Field(pattern=DAY)
    status: Literal["FILED", "CANCELLED"]

    @property
    def number(self) -> str:
        return self.contract_no

    @property
    def parties(self) -> dict[str, list[PartyIn]]:
        return {"buyers": self.buyers, "sellers": self.sellers or []}


MODELS: dict[str, type[_RecordIn]] = {"tax": TaxRecordIn, "contract": ContractIn}
_DATE_FIELDS = {"tax": "decided_on", "contract": "filed_on"}


def body_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object (UTF-8), or ``record.invalid``."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise RecordInvalid("the body is not a JSON document (UTF-8)", extra={"field": None}) from None
    if not isinstance(data, dict):
        raise RecordInvalid("the body must be a JSON object", extra={"field": None})
    return data


def parse(kind: str, data: dict[str, Any]) -> TaxRecordIn | ContractIn:
    """The record of ``kind`` in ``data``, checked field by field; the first bad field is named."""
    try:
        record = MODELS[kind].model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = _path(first["loc"])
        raise RecordInvalid(f"{where or 'the body'}: {_reason(first)}", extra={"field": where}) from None
    _check_values(kind, record)
    _check_id_numbers(record)
    return record


def _path(loc: tuple) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _reason(error: dict[str, Any]) -> str:
    """pydantic's message without the offending input (it may be a name or an ID number)."""
    kinds = {"missing": "missing", "extra_forbidden": "not a field of this record", "string_pattern_mismatch":
             "not in the documented format", "literal_error": "not one of the documented values",
             "enum": "not one of the documented values", "is_instance_of": "not one of the documented values"}
    return kinds.get(error["type"], error["msg"].split(",")[0])


def _check_values(kind: str, record) -> None:
    field = _DATE_FIELDS[kind]
    try:
        date.fromisoformat(getattr(record, field))
    except ValueError:
        raise RecordInvalid(f"{field}: not a calendar date", extra={"field": field}) from None
    amount_field = "tax_amount" if kind == "tax" else "price"
    if kind == "contract" and Decimal(record.price) <= 0:
        raise RecordInvalid(f"{amount_field}: must be above zero", extra={"field": amount_field})


def _check_id_numbers(record) -> None:
    for role, parties in record.parties.items():
        for index, party in enumerate(parties):
            if party.id_type is IdType.RESIDENT_ID and resident_id_problem(party.id_number) is not None:
                where = f"{role}[{index}].id_number"
                raise RecordIdNumberInvalid(f"{where}: not a valid resident ID number", extra={"field": where})
