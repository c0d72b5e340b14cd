"""The unified materials list (统一申请材料目录清单), published for institutions."""
from __future__ import annotations

from fastapi import APIRouter

from gateway.api.deps import Public
from gateway.catalogue.materials import catalogue_json

router = APIRouter(tags=["public"])


@router.get("/v1/catalogue", summary="Materials per registration type: required, optional, held by the authority",
            dependencies=[Public("public.read")])
def catalogue() -> dict:
    return catalogue_json()
