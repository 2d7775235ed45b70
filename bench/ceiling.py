"""The ceiling for tryredis's architecture: a bare Starlette endpoint doing one Redis INCR.

Same stack as the REPL path (uvicorn, Starlette, redis-py asyncio with hiredis, the
same Redis over the same unix socket, a JSON request and a JSON response), with none
of the REPL's work: no session, no rate limit, no parsing, no namespace, no formatting.
Run by bench/repl.py as ``uvicorn bench.ceiling:app``.
"""

from __future__ import annotations

import json
import os

from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

redis = Redis.from_url(os.environ["BENCH_REDIS_URL"])


async def run(request: Request) -> Response:
    """Read the JSON body, INCR one key (issue 13 compares the REPL's INCR with it), answer JSON."""
    body = json.loads(await request.body())
    value = await redis.incr(body["key"])
    return JSONResponse({"value": value})


app = Starlette(routes=[Route("/ceiling", run, methods=["POST"])])
