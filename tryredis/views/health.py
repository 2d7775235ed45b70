"""``GET /healthz``: the app's and Redis's state, for load balancers and supervisors."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tryredis import __version__
from tryredis.views.common import services_of


async def healthz(request: Request) -> Response:
    """200 with the app's, Redis's and memory's state; 503 when Redis does not answer in 0.5 s.

    ``memory.state`` is the capacity stage (``ok``, ``full``: no new sandboxes,
    ``evicting``, ``writes paused``); a full site still answers 200, since it serves
    the learners it has. ``loop_lag_ms`` is this worker's worst event-loop lateness
    over the last 10 s.
    """
    services = services_of(request)
    redis_ok = await services.redis_ok()
    return JSONResponse(
        {
            "app": "ok",
            "version": __version__,
            "redis": "ok" if redis_ok else "unreachable",
            "memory": services.gauge.report(),
            **services.lag.report(),
        },
        status_code=200 if redis_ok else 503,
        headers={"cache-control": "no-store"},
    )
