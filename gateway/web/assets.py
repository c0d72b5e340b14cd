"""The web's static files (CSS, its own scripts, vendored htmx), served from the package."""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import Response

from gateway.api.deps import Public
from gateway.errors import NotFound

STATIC_DIR = Path(__file__).parent / "static"
MEDIA_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
               ".txt": "text/plain; charset=utf-8"}
# Only these names are served: nothing else in the package can be reached through this route.
SERVED = frozenset(p.name for p in STATIC_DIR.iterdir() if p.suffix in MEDIA_TYPES)

router = APIRouter()


@router.get("/web-static/{name}", dependencies=[Public("public.read")])
def static_file(name: str) -> Response:
    if name not in SERVED:
        raise NotFound("no such file")
    path = STATIC_DIR / name
    return Response(path.read_bytes(), media_type=MEDIA_TYPES[path.suffix],
                    headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"})
