"""``GET /healthz``: the app's and Redis's state, for load balancers and supervisors."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tryredis import __version__
from tryredis.views.common import services_of


async def healthz(request: Request) -> Response:
    """200 with ``{"app": "ok", "redis": "ok"}``; 503 when Redis does not answer within 0.5 s."""
    redis_ok = await services_of(request).redis_ok()
    return JSONResponse(
        {"app": "ok", "version": __version__, "redis": "ok" if redis_ok else "unreachable"},
        status_code=200 if redis_ok else 503,
        headers={"cache-control": "no-store"},
    )
