"""An institution answering a supplement request (补正): new materials, and the clock restarts."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.actors import Actor
from gateway.applications.lifecycle import transition
from gateway.applications.records import store_document
from gateway.applications.states import Action, Status, next_status
from gateway.errors import MaterialMissing
from gateway.materials.service import find_material
from gateway.persistence.models import Application, ApplicationMaterial, Institution
from gateway.settings import Settings


@dataclass(frozen=True)
class SuppliedMaterial:
    type_code: str
    file_name: str
    sha256: str


def supply(
    session: Session, settings: Settings, *, application: Application, institution: Institution,
    materials: list[SuppliedMaterial], note: str | None, evidence: bytes, at: datetime,
) -> Application:
    """Attach the supplied materials (already uploaded by hash) and put the application back in the queue.

    ``evidence`` is the exact authenticated request (body and signature fields), kept verbatim.
    """
    # The state first: an application not waiting for a supplement is told so (409), whatever the materials.
    next_status(Status(application.status), Action.SUPPLEMENT)
    found = []
    for item in materials:
        material = find_material(session, institution_id=institution.id, sha256=item.sha256)
        if material is None:
            raise MaterialMissing(f"material {item.type_code} ({item.sha256}) has not been uploaded",
                                  extra={"sha256": item.sha256, "type_code": item.type_code})
        found.append(material)
    transition(session, settings, application, Action.SUPPLEMENT, Actor.institution(institution.code), at=at,
               note={"materials": [item.type_code for item in materials], "note": note})
    application.decision_reason = None  # the supplement request it answered no longer stands
    position = session.scalar(select(func.count(ApplicationMaterial.id))
                              .where(ApplicationMaterial.application_id == application.id)) or 0
    for offset, (item, material) in enumerate(zip(materials, found, strict=True)):
        session.add(ApplicationMaterial(application_id=application.id, material_id=material.id,
                                        position=position + offset, type_code=item.type_code,
                                        file_name=item.file_name))
    store_document(session, application, "supplement", evidence)
    return application


def evidence_of(body: bytes, headers: dict[str, str]) -> bytes:
    """The request as authenticated: body plus the HTTP signature fields that cover it."""
    kept = {k: v for k, v in headers.items() if k.lower() in ("signature", "signature-input", "content-digest")}
    return json.dumps({"headers": kept, "body": body.decode("utf-8", "replace")}, ensure_ascii=False).encode()
