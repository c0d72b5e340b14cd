"""Refusals of a department record (docs/interface/errors.md, section 3.9j). None stores anything."""
from __future__ import annotations

from gateway.errors import GatewayError


class RecordInvalid(GatewayError):
    """The body is not a record of the documented shape; the detail names the field."""

    code = "record.invalid"
    title = "The department record is not valid"


class RecordIdNumberInvalid(GatewayError):
    """A resident ID number fails its format or check digit; the party is named by position."""

    code = "record.id_number_invalid"
    title = "An ID number in the record is not valid"


class RecordUnitUnknown(GatewayError):
    code = "record.unit_unknown"
    title = "The record's unit code is not in the register"


class RecordCorrectionUnknown(GatewayError):
    """``corrects`` names no version of this record number sent by this department."""

    code = "record.correction_unknown"
    title = "The record corrects a record this department did not send under this number"


class RecordRoleNotAllowed(GatewayError):
    """A bank, or a department whose role does not send this kind of record."""

    code = "record.role_not_allowed"
    title = "This institution may not send this kind of record"
    kind = "forbidden"


class TaxRecordMissing(GatewayError):
    """Approval of an ownership transfer without the tax bureau's deed-tax record for it."""

    code = "review.tax_record_missing"
    title = "No deed-tax record for this transfer has been received from the tax bureau"
    kind = "conflict"


class TaxRecordMismatch(GatewayError):
    code = "review.tax_record_mismatch"
    title = "The deed-tax record does not match this transfer"
    kind = "conflict"
