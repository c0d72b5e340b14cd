"""The unified materials list as the forms use it: what a clerk can upload, what must be there."""
from __future__ import annotations

import csv
from functools import cache

from bank_adapters.canonical import DischargeReason, RegistrationType
from gateway.catalogue.materials import Holding, Need, requirements_for
from gateway.catalogue.registration_types import TYPE_NAMES_ZH
from gateway.demo import DEMO_REGISTER
from gateway.web.clerk_form import WEB_TYPES, required_material_codes

_NEED_ZH = {Need.REQUIRED: "必需", Need.CONDITIONAL: "符合条件时必需", Need.OPTIONAL: "视情形提交"}


def material_choices(kind: RegistrationType) -> list[dict]:
    """Materials of the type a person may upload (those the registry holds or generates are left out)."""
    choices = []
    for requirement in requirements_for(kind):
        if requirement.held in (Holding.ALWAYS, Holding.GENERATED):
            continue
        need = _NEED_ZH[requirement.need]
        if requirement.held is Holding.IF_ON_FILE:
            need += "（此前已提交存档的免交）"
        choices.append({"code": requirement.code, "name": requirement.material.name_zh, "need": need,
                        "note": requirement.note_zh})
    return choices


def held_materials(kind: RegistrationType) -> list[str]:
    """Names of the materials the registry already holds or generates: never asked for."""
    return [r.material.name_zh for r in requirements_for(kind) if r.held in (Holding.ALWAYS, Holding.GENERATED)]


def if_not_on_file(kind: RegistrationType) -> list[str]:
    """Required materials the registry may already hold from an earlier application (pre-review decides)."""
    return [r.code for r in requirements_for(kind) if r.need is Need.REQUIRED and r.held is Holding.IF_ON_FILE]


@cache
def catalogue_for_script() -> dict:
    """Per type: the upload choices and the required codes (per discharge reason), for the form's script."""
    reasons = [""] + [reason.value for reason in DischargeReason]
    return {
        kind.value: {
            "name": TYPE_NAMES_ZH[kind],
            "choices": material_choices(kind),
            "required": {reason: required_material_codes(kind, reason) for reason in reasons},
            "if_not_on_file": if_not_on_file(kind),
        }
        for kind in WEB_TYPES
    }


@cache
def demo_units(limit: int = 3) -> list[dict]:
    """Homes of the demo register with their owners, shown on the form of a demo deployment."""
    units: dict[str, dict] = {}
    encumbered: set[str] = set()
    with DEMO_REGISTER.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["record_type"] == "UNIT" and row["use"] == "RESIDENTIAL" and row["state"] == "TITLED":
                units[row["unit_code"]] = {"unit_code": row["unit_code"], "location": row["location"], "owners": []}
            elif row["record_type"] == "OWNER" and row["unit_code"] in units:
                units[row["unit_code"]]["owners"].append({"name": row["name"], "id_number": row["id_number"]})
            elif row["record_type"] not in ("UNIT", "OWNER"):
                encumbered.add(row["unit_code"])  # mortgaged, seized, ...: not the simplest first case
    return [unit for code, unit in units.items() if code not in encumbered][:limit]
