"""The HTTP caching lab, part 2 (lesson 16): a tiny caching proxy that honours s-maxage and SWR.

The origin (``origin``) is public data, the same for everyone, answered slowly
with ``Cache-Control: public, max-age=5, s-maxage=10, stale-while-revalidate=20``.
The proxy plays the CDN: it keeps the origin's response in the learner's sandbox
(``proxy:repo:<owner>/<name>``, a hash, with a TTL of s-maxage plus the SWR
window) and answers

* ``HIT`` while the copy is fresh (age < s-maxage, or max-age without it),
* ``STALE`` during the stale-while-revalidate window: the stale copy at once,
  and one background refresh (guarded by ``SET lock:proxy:repo:... NX PX``, so
  a burst of stale hits refreshes once),
* ``MISS`` otherwise: it asks the origin and stores the answer, unless the
  origin said ``private``, ``no-store`` or ``no-cache``.

Every answer carries ``Age`` and ``X-Cache``; a client's matching
``If-None-Match`` gets a 304 from the proxy itself.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from tryredis.labs.conditional import etag_matches, etag_of, http_date
from tryredis.labs.config import LabConfig
from tryredis.labs.sandboxio import SandboxRedis, header_value, parse_int
from tryredis.labs.upstream import SlowUpstream

PASSED_ON = ("content-type", "etag", "last-modified")
_SECONDS = re.compile(r"[0-9]{1,9}")


def origin_cache_control(config: LabConfig) -> str:
    return (
        f"public, max-age={config.origin_max_age}, s-maxage={config.origin_s_maxage}, "
        f"stale-while-revalidate={config.origin_swr}"
    )


@dataclass(frozen=True)
class OriginResponse:
    """What the origin answered."""

    body: str
    headers: dict[str, str]


async def origin(upstream: SlowUpstream, repo: str, config: LabConfig) -> OriginResponse:
    """The origin: slow, public, stamped with the time it was generated."""
    data = await upstream.repo(repo)
    now = config.clock()
    body = json.dumps(
        {"repo": repo, "stars": data["stars"], "generated_at": http_date(now)},
        separators=(",", ":"),
    )
    return OriginResponse(
        body,
        {
            "content-type": "application/json",
            "cache-control": origin_cache_control(config),
            "etag": etag_of(body),
            "last-modified": http_date(now),
        },
    )


def parse_cache_control(value: str) -> dict[str, str | None]:
    """``public, max-age=60`` -> ``{"public": None, "max-age": "60"}`` (names lowercased)."""
    directives: dict[str, str | None] = {}
    for part in value.split(","):
        name, sep, arg = part.strip().partition("=")
        if name:
            directives[name.lower()] = arg.strip().strip('"') if sep else None
    return directives


def freshness(cache_control: str) -> tuple[int, int] | None:
    """(fresh seconds, stale-while-revalidate seconds) for a shared cache; None: do not store."""
    directives = parse_cache_control(cache_control)
    if {"private", "no-store", "no-cache"} & directives.keys():
        return None
    lifetime = directives.get("s-maxage") or directives.get("max-age") or "0"
    swr = directives.get("stale-while-revalidate") or "0"
    if not (_SECONDS.fullmatch(lifetime) and _SECONDS.fullmatch(swr)):
        return None  # not a delta-seconds we can use (str.isdigit() would take "²")
    return int(lifetime), int(swr)


def proxy_key(repo: str) -> str:
    return f"proxy:repo:{repo}"


def refresh_lock_key(repo: str) -> str:
    return f"lock:{proxy_key(repo)}"


@dataclass
class ProxyAnswer:
    """The proxy's answer to the browser, and a refresh to run after it (if it started one)."""

    status: int
    body: str
    headers: dict[str, str]
    cache: str
    age: int
    refresh: Callable[[], Awaitable[None]] | None = field(default=None, repr=False)


class CachingProxy:
    """A shared cache in front of ``fetch``, its storage in the learner's sandbox."""

    def __init__(self, redis: SandboxRedis, config: LabConfig) -> None:
        self.redis = redis
        self.config = config

    async def get(
        self,
        repo: str,
        fetch: Callable[[], Awaitable[OriginResponse]],
        request_headers: Mapping[str, str],
    ) -> ProxyAnswer:
        """Answer from the stored copy (HIT, STALE) or from the origin (MISS)."""
        now = self.config.clock()
        entry = await self.redis.hgetall(proxy_key(repo))
        rules = freshness(entry.get("cache-control", "")) if "body" in entry else None
        if rules is not None:
            stored_ms = parse_int(entry.get("stored-at-ms"), f"{proxy_key(repo)} stored-at-ms")
            age = max(0, int(now - stored_ms / 1000))  # whole seconds, as the Age header
            lifetime, swr = rules
            if age < lifetime:
                return _answer(repo, entry, "HIT", age, request_headers)
            if age < lifetime + swr:
                answer = _answer(repo, entry, "STALE", age, request_headers)
                token = secrets.token_hex(8)
                lock = refresh_lock_key(repo)
                if await self.redis.set(lock, token, nx=True, px=self.config.lock_ms):
                    answer.refresh = lambda: self._refresh(repo, fetch, token)
                return answer
        response = await fetch()
        stored_entry = await self.store(repo, response, self.config.clock())
        return _answer(repo, stored_entry, "MISS", 0, request_headers)

    async def store(self, repo: str, response: OriginResponse, now: float) -> dict[str, str]:
        """Keep a cacheable response for its fresh time plus the SWR window."""
        entry = {k: response.headers[k] for k in PASSED_ON if k in response.headers}
        entry["cache-control"] = response.headers.get("cache-control", "")
        entry["body"] = response.body
        entry["stored-at-ms"] = str(int(now * 1000))
        rules = freshness(entry["cache-control"])
        if rules is not None and sum(rules) > 0:
            await self.redis.hset(proxy_key(repo), entry)
            await self.redis.pexpire(proxy_key(repo), sum(rules) * 1000)
        return entry

    async def _refresh(
        self, repo: str, fetch: Callable[[], Awaitable[OriginResponse]], token: str
    ) -> None:
        try:
            response = await fetch()
            await self.store(repo, response, self.config.clock())
        finally:
            lock = refresh_lock_key(repo)
            if await self.redis.get(lock) == token.encode():
                await self.redis.delete(lock)


def _answer(
    repo: str, entry: Mapping[str, str], cache: str, age: int, request_headers: Mapping[str, str]
) -> ProxyAnswer:
    # The stored copy is in the learner's sandbox: its headers are checked before they are sent.
    where = proxy_key(repo)
    headers = {k: header_value(entry[k], f"{where} {k}") for k in PASSED_ON if k in entry}
    cache_control = entry.get("cache-control", "")
    headers["x-origin-cache-control"] = header_value(cache_control, f"{where} cache-control")
    headers["age"] = str(age)
    headers["x-cache"] = cache
    etag = headers.get("etag", "")
    if etag and etag_matches(request_headers.get("if-none-match", ""), etag):
        return ProxyAnswer(304, "", headers, cache, age)
    return ProxyAnswer(200, entry.get("body", ""), headers, cache, age)
