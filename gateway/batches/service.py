"""Receiving a bundle (all or nothing) and reading a batch's progress.

Receiving is two steps, like the intake of one application: :func:`check_bundle` reads and checks
the bundle without writing (the ZIP, the manifest, each item's own claims, a re-send); then
:func:`store_bundle`, in the request's writing transaction, stores the materials, the batch and its
items, and queues the background intake (:mod:`gateway.batches.tasks`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from gateway.batches import peek
from gateway.batches.bundle import Bundle, BundleLimits, read_bundle
from gateway.batches.errors import (
    BatchForeignItem,
    BatchIdReused,
    BatchInstitutionMismatch,
    BatchMaterialNotInBundle,
    BatchRequestIdMismatch,
)
from gateway.batches.models import ACCEPTED, PENDING, REFUSED, Batch, BatchItem
from gateway.errors import NotFound
from gateway.materials.service import store_material
from gateway.persistence.db import read_only
from gateway.persistence.models import InstitutionCertificate
from gateway.settings import Settings
from gateway.tasks.registry import enqueue

TASK = "batches.process"
MESSAGE_LIFETIME = timedelta(seconds=120)  # a task message not arrived by then is presumed lost


@dataclass(frozen=True)
class Received:
    """The answer to an upload: the batch, and whether this upload created it."""

    reference: str
    items: int
    received_at: datetime
    created: bool  # False: the identical bundle was received before; nothing new was stored


def limits_of(settings: Settings) -> BundleLimits:
    return BundleLimits(max_items=settings.max_batch_items, max_expanded_bytes=settings.max_batch_expanded_bytes,
                        max_compression_ratio=settings.max_batch_compression_ratio,
                        max_item_bytes=settings.max_request_bytes, max_material_bytes=settings.max_material_bytes)


def check_bundle(runtime, body: bytes, *, institution_id: int, institution_code: str) -> Bundle | Received:
    """Every check that does not write; a re-sent identical bundle is answered here."""
    bundle = read_bundle(body, limits_of(runtime.settings))
    if bundle.institution != institution_code:
        raise BatchInstitutionMismatch(extra={"field": "institution"})
    with read_only(runtime.read_sessions) as session:
        existing = find_batch(session, institution_id=institution_id, reference=bundle.batch_id)
        if existing is not None:
            return resent(existing, bundle)
        claims = [(item, peek.claims_of(item, max_bytes=runtime.settings.max_request_bytes)) for item in bundle.items]
        foreign = _foreign_signers(session, institution_id, {c.signer_fingerprint for _, c in claims
                                                              if c is not None and c.signer_fingerprint})
    for item, claim in claims:
        if claim is not None:
            _check_claims(item, claim, bundle, institution_code, foreign)
    return bundle


def resent(existing: Batch, bundle: Bundle) -> Received:
    """The same batch id again: the identical bundle is answered as before, other bytes refused."""
    if existing.bundle_sha256 != bundle.sha256:
        raise BatchIdReused(extra={"batch_id": existing.reference})
    return Received(existing.reference, existing.items_total, existing.received_at, created=False)


def _foreign_signers(session: Session, institution_id: int, fingerprints: set[str]) -> set[str]:
    """Those of the fingerprints that are certificates registered to another institution."""
    if not fingerprints:
        return set()
    return set(session.scalars(select(InstitutionCertificate.fingerprint).where(
        InstitutionCertificate.fingerprint.in_(sorted(fingerprints)),
        InstitutionCertificate.institution_id != institution_id)))


def _check_claims(item, claim: peek.ItemClaims, bundle: Bundle, institution_code: str, foreign: set[str]) -> None:
    where = {"position": item.position, "request_id": item.request_id}
    if claim.mortgagee_code is not None and claim.mortgagee_code != institution_code:
        raise BatchForeignItem("an item names another institution as mortgagee", extra=where)
    if claim.signer_fingerprint in foreign:
        raise BatchForeignItem("an item is signed with another institution's certificate", extra=where)
    if claim.request_id is not None and claim.request_id != item.request_id:
        raise BatchRequestIdMismatch(extra=where)
    missing = [sha for sha in claim.materials if isinstance(sha, str) and sha not in bundle.materials]
    if missing:
        raise BatchMaterialNotInBundle("an item's application references a material that is not in the bundle",
                                       extra={**where, "sha256": missing[0]})


def store_bundle(session: Session, runtime, bundle: Bundle, *, institution_id: int, at: datetime) -> Received:
    """Store the materials, the batch and its items, and queue their intake (the caller's transaction)."""
    for material in bundle.materials.values():
        store_material(session, institution_id=institution_id, sha256=material.sha256, content=material.content,
                       media_type=material.media_type, max_bytes=runtime.settings.max_material_bytes)
    batch = Batch(institution_id=institution_id, reference=bundle.batch_id, bundle_sha256=bundle.sha256,
                  bundle_bytes=bundle.size, created_at=bundle.created_at, received_at=at, status="processing",
                  items_total=len(bundle.items), ticket=1,
                  queued_until=at + MESSAGE_LIFETIME)
    session.add(batch)
    session.flush()  # a concurrent upload of the same batch id fails here (unique constraint)
    session.execute(insert(BatchItem), [
        {"batch_id": batch.id, "position": item.position, "request_id": item.request_id, "file": item.file,
         "format": item.format, "content": item.content, "detached_signature": item.detached_signature,
         "state": PENDING}
        for item in bundle.items
    ])
    enqueue(session, TASK, batch.id, batch.ticket)
    return Received(batch.reference, batch.items_total, at, created=True)


def find_batch(session: Session, *, institution_id: int, reference: str) -> Batch | None:
    return session.scalar(select(Batch).where(Batch.institution_id == institution_id, Batch.reference == reference))


@dataclass(frozen=True)
class ItemProgress:
    position: int
    request_id: str
    state: str
    application_no: str | None
    code: str | None
    processed_at: datetime | None


@dataclass(frozen=True)
class Progress:
    batch: Batch
    counts: dict[str, int]  # pending, accepted, refused
    items: list[ItemProgress]
    next_after: int | None  # the position to continue from, when more items follow


def progress(session: Session, *, institution_id: int, reference: str, after: int, limit: int) -> Progress:
    """A batch's counts and a page of its items (another institution's batch is answered as missing)."""
    batch = find_batch(session, institution_id=institution_id, reference=reference)
    if batch is None:
        raise NotFound("no such batch")
    rows = session.execute(
        select(BatchItem.position, BatchItem.request_id, BatchItem.state, BatchItem.application_no, BatchItem.code,
               BatchItem.processed_at)
        .where(BatchItem.batch_id == batch.id, BatchItem.position > after)
        .order_by(BatchItem.position).limit(limit + 1)).all()
    items = [ItemProgress(*row) for row in rows[:limit]]
    counts = dict(session.execute(select(BatchItem.state, func.count()).where(BatchItem.batch_id == batch.id)
                                  .group_by(BatchItem.state)).all())
    counts = {state: counts.get(state, 0) for state in (PENDING, ACCEPTED, REFUSED)}
    return Progress(batch, counts, items, items[-1].position if len(rows) > limit else None)
