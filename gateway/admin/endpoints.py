"""The admin API (``/v1/admin/...``): every area's router, for the application to include."""
from __future__ import annotations

from fastapi import APIRouter

from gateway.admin import certificates_api, deliveries_api, institutions_api, staff_api

router = APIRouter()
for module in (institutions_api, certificates_api, staff_api, deliveries_api):
    router.include_router(module.router)
