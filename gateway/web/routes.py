"""The staff web's router: static files, then every page behind the CSRF guard."""
from __future__ import annotations

from fastapi import APIRouter, Depends

from gateway.web import (
    account, admin_certificates, admin_deliveries, admin_institutions, admin_staff, assets, audit_view, clerk,
    clerk_apply, login, quality_view, review, supervision,
)
from gateway.web.auth import csrf_guard

pages = APIRouter(dependencies=[Depends(csrf_guard)], include_in_schema=False)
for module in (login, clerk_apply, clerk, review, supervision, quality_view, audit_view, admin_institutions, admin_certificates, admin_staff,
               admin_deliveries, account):  # clerk_apply first: /clerk/applications/new
    pages.include_router(module.router)

router = APIRouter(include_in_schema=False)
router.include_router(assets.router)
router.include_router(pages)
