"""Admin web pages: deliveries (to be filled in)."""
from __future__ import annotations

from gateway.web.routing import web_router

router = web_router()
