"""The stampede lab (lesson 13): N clients ask for one cold key at once, with or without a lock.

Each simulated client is an asyncio task running lesson 12's ``cached`` helper
(no lock) or lesson 13's ``get_product_locked`` (``SET lock:<key> <token> NX
PX``; the others poll the cache with a growing pause; a deadline makes a waiter
load the value itself). They share nothing but the learner's sandbox, so the
upstream call count and the Redis command count are what really happened.

The sandbox has no scripting, so the release is ``GET`` then ``DEL`` when the
value is still our token, not lesson 13's atomic Lua script; the gap between
the two is microseconds here, and the lock only saves work, so at worst a
release deletes a successor's lock and one extra rebuild happens.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from dataclasses import dataclass, field

from tryredis.labs.config import LabConfig
from tryredis.labs.sandboxio import LabCommandFailed, SandboxRedis
from tryredis.labs.upstream import SlowUpstream


def repo_key(repo: str) -> str:
    """Lesson 12's helper key: ``cache:v1:repo:<owner>/<name>``."""
    return f"cache:v1:repo:{repo}"


def lock_key(key: str) -> str:
    """Lesson 13's lock name: ``lock:`` and the cache key."""
    return f"lock:{key}"


@dataclass
class Tally:
    """What the clients of one run did, counted as it happened."""

    lock_refusals: int = 0
    waiters: int = 0
    polls: int = 0
    self_loads: int = 0
    latencies_ms: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class StampedeResult:
    """One run, as measured."""

    clients: int
    lock: bool
    upstream_calls: int
    redis_commands: int
    ms: float
    fastest_ms: float
    slowest_ms: float
    lock_refusals: int
    waiters: int
    polls: int
    self_loads: int
    agreed: bool
    lock_left_ms: int
    key: str
    lock_key: str


def _decode(raw: bytes, key: str) -> dict[str, object]:
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):  # the learner may have stored anything
        raise LabCommandFailed(f"{key} does not hold JSON: DEL it and run again") from None
    if not isinstance(value, dict):
        raise LabCommandFailed(f"{key} does not hold a JSON object: DEL it and run again")
    return value


async def cached_repo(
    redis: SandboxRedis, upstream: SlowUpstream, repo: str, config: LabConfig
) -> dict[str, object]:
    """Lesson 12's ``cached``: GET, or load and SET with a TTL. Every miss calls upstream."""
    key = repo_key(repo)
    hit = await redis.get(key)
    if hit is not None:
        return _decode(hit, key)
    value = await upstream.repo(repo)
    await redis.set(key, json.dumps(value), ex=config.repo_ttl)
    return value


async def cached_repo_locked(
    redis: SandboxRedis,
    upstream: SlowUpstream,
    repo: str,
    config: LabConfig,
    tally: Tally,
    *,
    crash: bool = False,
) -> dict[str, object]:
    """Lesson 13's ``get_product_locked``: one client loads, the others look again shortly."""
    key = repo_key(repo)
    lock = lock_key(key)
    deadline = time.monotonic() + config.wait_deadline
    pause = config.poll_first
    first = True
    waited = False
    while True:
        if not first:
            tally.polls += 1
        first = False
        hit = await redis.get(key)
        if hit is not None:
            return _decode(hit, key)
        token = secrets.token_hex(8)
        if await redis.set(lock, token, nx=True, px=config.lock_ms):
            hit = await redis.get(key)  # filled while we were taking the lock?
            if hit is not None:
                value = _decode(hit, key)
            else:
                value = await upstream.repo(repo)
                await redis.set(key, json.dumps(value), ex=config.repo_ttl)
            # Release only if still ours; a crashed winner never releases: the lock expires.
            if not crash and await redis.get(lock) == token.encode():
                await redis.delete(lock)
            return value
        tally.lock_refusals += 1
        if not waited:
            tally.waiters += 1
            waited = True
        if time.monotonic() > deadline:
            tally.self_loads += 1
            return await upstream.repo(repo)  # waited too long: load it ourselves
        await asyncio.sleep(pause)  # someone else is loading: look again shortly
        pause = min(pause * 2, config.poll_max)


async def run_stampede(
    redis: SandboxRedis,
    upstream: SlowUpstream,
    repo: str,
    clients: int,
    config: LabConfig,
    *,
    lock: bool,
    crash: bool = False,
) -> StampedeResult:
    """Empty the cache, then let ``clients`` tasks ask for the key at the same moment."""
    key = repo_key(repo)
    await redis.delete(key, lock_key(key))  # a cold key, and no lock left from before
    tally = Tally()
    commands_before, calls_before = redis.commands, upstream.calls

    async def client() -> dict[str, object]:
        start = time.perf_counter()
        if lock:
            value = await cached_repo_locked(redis, upstream, repo, config, tally, crash=crash)
        else:
            value = await cached_repo(redis, upstream, repo, config)
        tally.latencies_ms.append((time.perf_counter() - start) * 1000)
        return value

    start = time.perf_counter()
    outcomes = await asyncio.gather(*(client() for _ in range(clients)), return_exceptions=True)
    ms = (time.perf_counter() - start) * 1000
    commands = redis.commands - commands_before
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
    values = [json.dumps(o, sort_keys=True) for o in outcomes]
    left = await redis.pttl(lock_key(key)) if lock else -2
    return StampedeResult(
        clients=clients,
        lock=lock,
        upstream_calls=upstream.calls - calls_before,
        redis_commands=commands,
        ms=ms,
        fastest_ms=min(tally.latencies_ms),
        slowest_ms=max(tally.latencies_ms),
        lock_refusals=tally.lock_refusals,
        waiters=tally.waiters,
        polls=tally.polls,
        self_loads=tally.self_loads,
        agreed=len(set(values)) == 1,
        lock_left_ms=max(left, 0),
        key=key,
        lock_key=lock_key(key),
    )
