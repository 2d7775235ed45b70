"""What every lab endpoint shares: opening the sandbox, paying for commands, answering JSON.

Rate limits: a lab pays for every sandbox command it runs from the learner's
own bucket (``TRYREDIS_RATE_PER_SECOND``/``TRYREDIS_RATE_BURST``), exactly as
typed commands do. ``open_lab`` takes the tokens the action will certainly
need before it starts (in several touches of at most one second's worth when
that is more than the burst), and ``Lab.settle`` takes the rest once the
action knows how many commands it really ran (a stampede's waiting clients
poll a number of times no one can know in advance). When tokens are short
the request waits for the bucket to refill, up to ``LabConfig.token_wait_max``
seconds in all; longer than that, it answers 429 with Retry-After like the REPL.
"""

from __future__ import annotations

import asyncio
import functools
import json
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tryredis.labs.config import LabConfig, lab_config
from tryredis.labs.sandboxio import LabCommandFailed, SandboxRedis
from tryredis.labs.upstream import REPO_NAME, LabDatabase, SlowUpstream
from tryredis.sessions import RateLimited
from tryredis.views.api import ApiError, guarded, open_sandbox, read_json
from tryredis.views.common import client_address, services_of

PATIENCE = 60.0
"""Longest a request waits to pay for commands it has already run."""

NO_STORE = {"cache-control": "no-store", "vary": "Cookie"}
"""Lab answers are personal (the learner's sandbox): never stored by any cache."""


class TokenMeter:
    """Pays a lab's commands from the learner's rate-limit bucket, waiting for refills."""

    def __init__(self, request: Request, learner_id: str, config: LabConfig) -> None:
        services = services_of(request)
        self.sessions = services.sessions
        self.settings = services.settings
        self.learner_id = learner_id
        self.address = client_address(request)
        self.max_wait = config.token_wait_max
        self.paid = 0
        self.waited = 0.0

    @property
    def chunk(self) -> int:
        """Tokens per touch: one second of refill, within the burst."""
        settings = self.settings
        return max(1, min(settings.rate_burst, math.floor(settings.rate_per_second)))

    async def wait_or_raise(self, error: RateLimited, tokens: int, allowance: float) -> None:
        """Sleep until ``tokens`` may be there, or re-raise if that is past the allowance."""
        pause = min(float(error.retry_after), max(0.05, tokens / self.settings.rate_per_second))
        if self.waited + pause > allowance:
            raise error
        start = time.perf_counter()
        await asyncio.sleep(pause)
        self.waited += time.perf_counter() - start

    async def take(self, tokens: int, *, patient: bool = False) -> None:
        """Take ``tokens`` more, touch by touch.

        ``patient``: the commands have already run, so wait as long as paying for
        them takes (bounded, since every lab bounds its commands), up to a minute.
        """
        while tokens > 0:
            step = min(tokens, self.chunk)
            try:
                touch = await self.sessions.touch(self.learner_id, self.address, step)
            except RateLimited as error:
                await self.wait_or_raise(error, step, PATIENCE if patient else self.max_wait)
                continue
            if not touch.exists:
                raise ApiError(401, "your session has ended: reload the page")
            tokens -= step
            self.paid += step


@dataclass
class Lab:
    """One lab request: the sandbox client, its meter, the config and the fake upstream."""

    redis: SandboxRedis
    meter: TokenMeter
    config: LabConfig
    upstream: SlowUpstream
    database: LabDatabase

    async def settle(self, reserve: int = 0) -> None:
        """Pay for every command run so far (and ``reserve`` more still to come)."""
        await self.meter.take(self.redis.commands + reserve - self.meter.paid, patient=True)

    def usage(self) -> dict[str, Any]:
        """What the request cost, for the page."""
        return {
            "redis_commands": self.redis.commands,
            "token_wait_ms": round(self.meter.waited * 1000, 1),
            "trace": self.redis.trace,
        }


async def open_lab(request: Request, cost: int) -> Lab:
    """The learner's sandbox (cookie, CSRF, same origin), with ``cost`` commands paid."""
    config = lab_config(request)
    first = max(1, min(cost, services_of(request).settings.rate_burst))
    waited = 0.0
    while True:
        try:
            sandbox = await open_sandbox(request, first, own_state=True)
            break
        except RateLimited as error:
            rate = services_of(request).settings.rate_per_second
            pause = min(float(error.retry_after), max(0.05, first / rate))
            if waited + pause > config.token_wait_max:
                raise
            start = time.perf_counter()
            await asyncio.sleep(pause)
            waited += time.perf_counter() - start
    meter = TokenMeter(request, sandbox.learner_id, config)
    meter.paid, meter.waited = first, waited
    await meter.take(cost - first)
    redis = SandboxRedis(sandbox)
    return Lab(
        redis, meter, config, SlowUpstream(config.upstream_delay), LabDatabase(redis, config.clock)
    )


def lab_endpoint(
    handler: Callable[[Request], Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    """``guarded``, plus a sandbox refusal or error reply as 409 with its message."""

    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)
        except LabCommandFailed as error:
            raise ApiError(
                409, f"your sandbox refused the lab's command: {error}", NO_STORE
            ) from None

    wrapped: Callable[[Request], Awaitable[Response]] = guarded(endpoint)
    return wrapped


def lab_json(
    payload: Mapping[str, Any], status: int = 200, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """A lab's JSON answer: personal, so ``no-store`` with ``Vary: Cookie``."""
    return JSONResponse(dict(payload), status_code=status, headers={**NO_STORE, **(headers or {})})


async def lab_body(request: Request) -> dict[str, Any]:
    """The JSON object a lab action was sent (415/413/400 like the API)."""
    payload = await read_json(request, 2048)
    if not isinstance(payload, dict):
        raise ApiError(400, "send a JSON object")
    try:  # JSON may escape a lone surrogate ("\ud800"), which no text encoding can write
        json.dumps(payload, ensure_ascii=False).encode()
    except (UnicodeEncodeError, RecursionError):
        raise ApiError(400, "the body holds text that is not valid Unicode") from None
    return payload


def repo_name(value: object) -> str:
    """A repository name such as ``redis/redis``; 400 for anything else."""
    if isinstance(value, str) and REPO_NAME.fullmatch(value):
        return value
    raise ApiError(400, "a repository is owner/name, such as redis/redis")


def whole_number(value: object, name: str, low: int, high: int) -> int:
    """An integer within [low, high] from a JSON body; 400 otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ApiError(400, f"{name} must be a whole number from {low} to {high}")
    return value


def milliseconds(seconds: float) -> float:
    """A measured duration in milliseconds, rounded for display."""
    return round(seconds * 1000, 1)
