"""Storing uploaded materials; the bytes must hash to the name they are uploaded under."""
from __future__ import annotations

import hashlib
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.errors import GatewayError, InvalidRequest, MaterialHashMismatch, NotFound
from gateway.persistence.models import Material

SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


class MaterialTooLarge(GatewayError):
    code = "material.too_large"
    title = "The material is over the size limit"
    kind = "too_large"


def store_material(
    session: Session, *, institution_id: int, sha256: str, content: bytes, media_type: str, max_bytes: int
) -> tuple[Material, bool]:
    """Store a material for an institution; returns (material, created). Re-uploads are no-ops."""
    if not SHA256_HEX.match(sha256):
        raise InvalidRequest("the name must be 64 lower-case hex digits", code="material.bad_name")
    if len(content) > max_bytes:
        raise MaterialTooLarge(f"{len(content)} bytes; the limit is {max_bytes}")
    if not content:
        raise InvalidRequest("the material is empty", code="material.empty")
    actual = hashlib.sha256(content).hexdigest()
    if actual != sha256:
        raise MaterialHashMismatch(
            f"the bytes hash to {actual}, not to the name", extra={"sha256": sha256, "actual": actual}
        )
    existing = find_material(session, institution_id=institution_id, sha256=sha256)
    if existing is not None:
        return existing, False
    material = Material(
        institution_id=institution_id,
        sha256=sha256,
        size=len(content),
        media_type=media_type[:100] or "application/octet-stream",
        content=content,
    )
    session.add(material)
    session.flush()
    return material, True


def find_material(session: Session, *, institution_id: int, sha256: str) -> Material | None:
    return session.scalar(
        select(Material).where(Material.institution_id == institution_id, Material.sha256 == sha256)
    )


def get_material(session: Session, *, institution_id: int, sha256: str) -> Material:
    material = find_material(session, institution_id=institution_id, sha256=sha256)
    if material is None:
        raise NotFound("no such material")
    return material
