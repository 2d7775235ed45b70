"""Learner sessions in Redis: creation, the per-request touch, rate limits, progress.

Everything lives in Redis (site keys under the prefix, with a sliding TTL), so
any worker can serve any request. One pipelined round trip per request runs the
session script (exists? refresh TTL, take rate-limit tokens, read the MULTI and
WATCH state) and the client-address bucket.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import RedisError

from tryredis.keys import Keys
from tryredis.repl import TransactionState
from tryredis.settings import Settings
from tryredis.wire import Command, ErrorReply, Executor, Reply

SiteRedis = Redis | RedisCluster

# Token bucket shared by both scripts: refill at `rate` per second up to `burst`;
# a request costing more tokens than are left is refused and told how long to wait.
_BUCKET = """
local now, rate, burst, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]),
    tonumber(ARGV[4])
local held = redis.call('HMGET', KEYS[1], 'tk', 'ts')
local tokens, last = tonumber(held[1]) or burst, tonumber(held[2]) or now
if now > last then tokens = math.min(burst, tokens + (now - last) * rate / 1000) end
local wait = 0
if tokens >= cost then tokens = tokens - cost
else wait = math.ceil((cost - tokens) * 1000 / rate) end
redis.call('HSET', KEYS[1], 'tk', tostring(tokens), 'ts', tostring(math.max(now, last)))
"""

SESSION_SCRIPT = (
    "if redis.call('EXISTS', KEYS[1]) == 0 then return {0} end\n"
    + _BUCKET
    + """
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
local state = redis.call('HMGET', KEYS[1], 'm', 'mf', 'w')
return {1, wait, state[1] or '', state[2] or '', state[3] or ''}
"""
)

ADDRESS_SCRIPT = (
    _BUCKET
    + """
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return wait
"""
)


# Standalone Redis: everything a request needs in one script call. KEYS: session,
# progress, address bucket, sandboxes; ARGV: now, rate, burst, cost, ttl, address
# rate, address burst, address bucket ttl, learner id. A request refused for its
# address takes nothing from the learner's bucket.
TOUCH_SCRIPT = """
local function bucket(key, now, rate, burst, cost)
  local held = redis.call('HMGET', key, 'tk', 'ts')
  local tokens, last = tonumber(held[1]) or burst, tonumber(held[2]) or now
  if now > last then tokens = math.min(burst, tokens + (now - last) * rate / 1000) end
  local wait = 0
  if tokens >= cost then tokens = tokens - cost
  else wait = math.ceil((cost - tokens) * 1000 / rate) end
  redis.call('HSET', key, 'tk', tostring(tokens), 'ts', tostring(math.max(now, last)))
  return wait
end
local now = tonumber(ARGV[1])
local address_wait = bucket(KEYS[3], now, tonumber(ARGV[6]), tonumber(ARGV[7]), 1)
redis.call('PEXPIRE', KEYS[3], ARGV[8])
if redis.call('EXISTS', KEYS[1]) == 0 then return {0, 0, '', '', '', address_wait} end
local wait = 0
if address_wait == 0 then
  wait = bucket(KEYS[1], now, tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]))
end
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
redis.call('ZADD', KEYS[4], 'XX', math.floor(now / 1000), ARGV[9])
local state = redis.call('HMGET', KEYS[1], 'm', 'mf', 'w')
return {1, wait, state[1] or '', state[2] or '', state[3] or '', address_wait}
"""
TOUCH_SHA = hashlib.sha1(TOUCH_SCRIPT.encode()).hexdigest().encode()  # noqa: S324


def _arg(value: float) -> bytes:
    return (str(int(value)) if float(value).is_integer() else repr(float(value))).encode()


def _noscript(reply: Reply) -> bool:
    return isinstance(reply, ErrorReply) and reply.startswith(b"NOSCRIPT")


@dataclass(frozen=True)
class Touch:
    """What the per-request touch found."""

    exists: bool
    in_multi: bool = False
    multi_failed: bool = False
    watch: str = ""

    @property
    def state(self) -> TransactionState:
        """The learner's MULTI/WATCH state, for ``Engine.open``."""
        return TransactionState.load(self.in_multi, self.multi_failed, self.watch)


class RateLimited(Exception):
    """Too many requests; ``retry_after`` is in whole seconds (at least 1)."""

    def __init__(self, retry_after: float, scope: str) -> None:
        super().__init__(f"rate limited ({scope}); retry after {retry_after:.0f} s")
        self.retry_after = max(1, int(retry_after + 0.999))
        self.scope = scope


class SessionStore:
    """Sessions, rate limits and progress, on the site's Redis."""

    def __init__(
        self, redis: SiteRedis, keys: Keys, settings: Settings, fast: Executor | None = None
    ) -> None:
        self.redis = redis
        self.fast = fast
        self.keys = keys
        self.settings = settings
        self.ttl_ms = int(settings.sandbox_idle_hours * 3600 * 1000)
        self._session_script = redis.register_script(SESSION_SCRIPT)
        bucket_ttl = int(settings.ip_rate_burst / settings.ip_rate_per_second * 1000) + 1000
        # The touch script's constant arguments, encoded once: rate, burst, then
        # (after the cost) session ttl, address rate, address burst, address ttl.
        self._limits = tuple(
            _arg(value)
            for value in (
                settings.rate_per_second, settings.rate_burst, self.ttl_ms,
                settings.ip_rate_per_second, settings.ip_rate_burst, bucket_ttl,
            )
        )  # fmt: skip
        self._address_script = redis.register_script(ADDRESS_SCRIPT)

    async def create(self, learner_id: str, address: str, kind: str) -> None:
        """Record a new session, unless this address made too many this hour."""
        counter = self.keys.ip_new_sessions(address)
        pipe = self.redis.pipeline(transaction=False)
        pipe.incr(counter)
        pipe.expire(counter, 3600, nx=True)
        pipe.ttl(counter)
        made, _, ttl = await pipe.execute()
        if made > self.settings.sessions_per_ip_hour:
            raise RateLimited(max(1, ttl), "new sandboxes per address per hour")
        now = int(time.time())
        session = self.keys.session(learner_id)
        pipe = self.redis.pipeline(transaction=False)
        pipe.hset(session, mapping={"created": now, "kind": kind})
        pipe.pexpire(session, self.ttl_ms)
        pipe.zadd(self.keys.sandboxes, {learner_id: now})
        await pipe.execute()

    async def touch(self, learner_id: str, address: str, cost: int) -> Touch:
        """Refresh the session, take ``cost`` tokens from both buckets; raise RateLimited."""
        now_ms = int(time.time() * 1000)
        cost = max(1, min(cost, self.settings.rate_burst))
        touch = self._touch_fast if self.fast is not None else self._touch_cluster
        session, address_wait = await touch(learner_id, address, cost, now_ms)
        if not session[0]:
            return Touch(exists=False)
        if address_wait:
            raise RateLimited(int(address_wait) / 1000, "requests per client address")
        if session[1]:
            raise RateLimited(int(session[1]) / 1000, "commands per learner")
        return Touch(True, session[2] == b"1", session[3] == b"1", _text(session[4]))

    async def _touch_fast(
        self, learner_id: str, address: str, cost: int, now_ms: int
    ) -> tuple[Any, Any]:
        # One raw round trip, one script: this runs for every command a learner types.
        assert self.fast is not None
        keys = self.keys
        command: Command = (
            b"EVALSHA", TOUCH_SHA, b"4", keys.session(learner_id), keys.progress(learner_id),
            keys.ip_bucket(address), keys.sandboxes, _arg(now_ms), *self._limits[:2],
            _arg(cost), *self._limits[2:], learner_id,
        )  # fmt: skip
        (reply,) = await self.fast.run([command])
        if _noscript(reply):  # a restarted Redis forgot the script: load it, run again
            await self.fast.run([(b"SCRIPT", b"LOAD", TOUCH_SCRIPT)])
            (reply,) = await self.fast.run([command])
        if isinstance(reply, ErrorReply) or not isinstance(reply, list):
            raise RedisError(bytes(reply or b"").decode(errors="replace"))
        return reply[:5], reply[5]

    async def _touch_cluster(
        self, learner_id: str, address: str, cost: int, now_ms: int
    ) -> tuple[Any, Any]:
        # Redis Cluster: the keys live on different nodes and cluster pipelines refuse
        # scripts, so the three calls go concurrently, each routed by redis-py.
        rate, burst, ttl, address_rate, address_burst, address_ttl = self._limits
        session, address_wait, _ = await asyncio.gather(
            self._session_script(
                keys=[self.keys.session(learner_id), self.keys.progress(learner_id)],
                args=[now_ms, rate, burst, cost, ttl],
            ),
            self._address_script(
                keys=[self.keys.ip_bucket(address)],
                args=[now_ms, address_rate, address_burst, 1, address_ttl],
            ),
            self.redis.zadd(self.keys.sandboxes, {learner_id: now_ms // 1000}, xx=True),
        )
        return session, address_wait

    async def exists(self, learner_id: str) -> bool:
        """Whether the session is alive (no touch, no tokens)."""
        return bool(await self.redis.exists(self.keys.session(learner_id)))

    # -- Bookkeeping (tryredis.repl): what the engine keeps between requests ---------------

    async def save_transaction(self, learner_id: str, state: TransactionState) -> None:
        """Store the MULTI/WATCH state in the session's ``m``, ``mf`` and ``w`` fields."""
        fields = {
            "m": "1" if state.in_multi else "",
            "mf": "1" if state.failed else "",
            "w": state.watch_json(),
        }
        session = self.keys.session(learner_id)
        pipe = self.redis.pipeline(transaction=False)
        present = {name: value for name, value in fields.items() if value}
        if present:
            pipe.hset(session, mapping=present)  # type: ignore[arg-type]
        absent = [name for name, value in fields.items() if not value]
        if absent:
            pipe.hdel(session, *absent)
        await pipe.execute()

    async def queue_reset(self, learner_id: str) -> None:
        """Empty the MULTI queue."""
        await self.redis.delete(self.keys.queue(learner_id))

    async def queue_length(self, learner_id: str) -> int:
        """How many commands are queued."""
        return int(await self.redis.llen(self.keys.queue(learner_id)))

    async def queue_append(self, learner_id: str, entry: str) -> None:
        """Queue one command."""
        await self.redis.rpush(self.keys.queue(learner_id), entry)

    async def queue_take(self, learner_id: str) -> list[str]:
        """Every queued command, in order; the queue is then empty."""
        pipe = self.redis.pipeline(transaction=True)  # nothing queued between the two
        pipe.lrange(self.keys.queue(learner_id), 0, -1)
        pipe.delete(self.keys.queue(learner_id))
        entries, _ = await pipe.execute()
        return [_text(entry) for entry in entries]

    def _marker(self, learner_id: str, marker: str) -> str:
        if marker == "blocking":
            return self.keys.blocking(learner_id)
        if marker == "subscription":
            return self.keys.subscription(learner_id)
        raise ValueError(f"unknown marker {marker!r}")

    async def hold(self, learner_id: str, marker: str, ttl_ms: int) -> bool:
        """Set a marker unless it is set (False then); it expires after ``ttl_ms``."""
        return bool(await self.redis.set(self._marker(learner_id, marker), 1, nx=True, px=ttl_ms))

    async def release(self, learner_id: str, marker: str) -> None:
        """Clear a marker."""
        await self.redis.delete(self._marker(learner_id, marker))

    async def delete(self, learner_id: str, *, keep_progress: bool = False) -> None:
        """Forget the session (and its progress unless asked to keep it)."""
        names = [self.keys.session(learner_id), self.keys.queue(learner_id)]
        if not keep_progress:
            names += [self.keys.progress(learner_id), self.keys.journal(learner_id)]
        pipe = self.redis.pipeline(transaction=False)
        pipe.delete(*names)  # one slot: all carry the {id} hash tag
        if not keep_progress:
            pipe.zrem(self.keys.sandboxes, learner_id)
        await pipe.execute()

    async def progress(self, learner_id: str) -> set[str]:
        """The exercises this learner has done, as ``slug/exercise`` strings."""
        done = await self.redis.hkeys(self.keys.progress(learner_id))
        return {_text(name) for name in done}

    async def mark_done(self, learner_id: str, names: list[str]) -> None:
        """Record exercises as done."""
        if names:
            progress = self.keys.progress(learner_id)
            now = int(time.time())
            pipe = self.redis.pipeline(transaction=False)
            pipe.hset(progress, mapping=dict.fromkeys(names, now))
            pipe.pexpire(progress, self.ttl_ms)
            await pipe.execute()


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value or "")
