"""Refusals of a whole bundle (nothing is stored) and the codes of refused items."""
from __future__ import annotations

from gateway.errors import GatewayError


class BatchMediaType(GatewayError):
    code = "batch.media_type"
    title = "A batch is sent as Content-Type: application/zip"


class BatchNotZip(GatewayError):
    code = "batch.not_zip"
    title = "The body is not a readable ZIP archive, although it was sent as application/zip"


class BatchTooLarge(GatewayError):
    code = "batch.too_large"
    title = "The bundle is over the size limit"
    kind = "too_large"


class BatchZipBomb(GatewayError):
    code = "batch.zip_bomb"
    title = "The bundle would expand beyond the limits (entries, total size or compression ratio)"
    kind = "too_large"


class BatchUnsafeEntry(GatewayError):
    code = "batch.unsafe_entry"
    title = "An entry of the ZIP has an unsafe name or kind (path traversal, absolute path, link, encryption)"


class BatchLayoutInvalid(GatewayError):
    code = "batch.layout_invalid"
    title = "The bundle's entries do not follow the batch format"


class BatchManifestInvalid(GatewayError):
    code = "batch.manifest_invalid"
    title = "manifest.json is missing or does not follow the batch format"


class BatchDuplicateRequestId(GatewayError):
    code = "batch.duplicate_request_id"
    title = "Two items of the bundle have the same request id"


class BatchRequestIdMismatch(GatewayError):
    code = "batch.request_id_mismatch"
    title = "An item's document carries another request id than its manifest entry"


class BatchMaterialNotInBundle(GatewayError):
    code = "batch.material_not_in_bundle"
    title = "An item references a material that is not in the bundle"


class BatchMaterialHashMismatch(GatewayError):
    code = "batch.material_hash_mismatch"
    title = "A material's bytes do not hash to the SHA-256 in its entry name"


class BatchInstitutionMismatch(GatewayError):
    code = "batch.institution_mismatch"
    title = "The manifest names another institution than the one that signed the upload"
    kind = "forbidden"


class BatchForeignItem(GatewayError):
    code = "batch.item_foreign_institution"
    title = "An item names, or is signed for, another institution than the one that sent the bundle"
    kind = "forbidden"


class BatchIdReused(GatewayError):
    code = "batch.id_reused"
    title = "This batch id was already used for a bundle with other content"
    kind = "conflict"


class BatchItemFailed(GatewayError):
    """An item could not be processed for a reason of the gateway's own (logged); only ever in a Refusal."""

    code = "batch.item_failed"
    title = "The item could not be processed; send it again in a new bundle"
