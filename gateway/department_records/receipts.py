"""The signed receipt of a department record: a compact JWS by the gateway's key (application/jose)."""
from __future__ import annotations

import json

from gateway.api.times import utc_text
from gateway.department_records.service import Received, flags_of
from gateway.outputs import JWS_MEDIA_TYPE
from gateway.persistence.models import Institution
from signing.jws import sign_compact

MEDIA_TYPE = JWS_MEDIA_TYPE
TYP = "department_record_receipt+jws"


def receipt_payload(received: Received, institution: Institution) -> dict:
    record = received.record
    return {
        "document": "DepartmentRecordReceipt", "record_id": record.record_id, "kind": record.kind,
        "record_no": record.record_no, "unit_code": record.unit_code, "department": institution.code,
        "received_at": utc_text(record.received_at), "content_sha256": record.content_sha256,
        "request_sha256": record.request_sha256, "flags": flags_of(record),
        "conflicts_with": list(received.conflicts_with), "corrects": received.corrects, "replayed": not received.created,
    }


def signed_receipt(runtime, received: Received, institution: Institution) -> bytes:
    signer = runtime.signer
    payload = json.dumps(receipt_payload(received, institution), ensure_ascii=False, separators=(",", ":"))
    return sign_compact(payload.encode("utf-8"), key=signer.key, certificate=signer.certificate, chain=signer.chain,
                        typ=TYP)
