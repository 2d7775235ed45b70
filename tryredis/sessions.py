"""Learner sessions in Redis: creation, the per-request touch, rate limits, progress.

Everything lives in Redis (site keys under the prefix, with a sliding TTL), so
any worker can serve any request. One pipelined round trip per request runs the
session script (exists? refresh TTL, take rate-limit tokens, read the MULTI and
WATCH state) and the client-address bucket.

A class member's session (its hash has a ``cls`` field, set by tryredis.classroom)
keeps no TTL: it lives as long as the class, whose end deletes it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import RedisError

from tryredis import buckets
from tryredis.capacity import MemoryGauge
from tryredis.keys import Keys
from tryredis.repl import Hold, TransactionState, Usage
from tryredis.settings import Settings
from tryredis.wire import Coalescer, Command, ErrorReply, is_noscript

SiteRedis = Redis | RedisCluster
QUEUED_BYTES = "qb"  # session field: bytes of the commands in the MULTI queue
ProgressHook = Callable[[str, str, list[str], int], Awaitable[None]]


def _arg(value: float) -> bytes:
    return (str(int(value)) if float(value).is_integer() else repr(float(value))).encode()


@dataclass(frozen=True)
class Touch:
    """What the per-request touch found."""

    exists: bool
    in_multi: bool = False
    multi_failed: bool = False
    watch: str = ""
    usage: Usage = field(default_factory=Usage)

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
        self,
        redis: SiteRedis,
        keys: Keys,
        settings: Settings,
        fast: Coalescer | None = None,
        gauge: MemoryGauge | None = None,
    ) -> None:
        self.redis = redis
        self.gauge = gauge
        self.fast = fast
        self.keys = keys
        self.settings = settings
        self.ttl_ms = int(settings.sandbox_idle_hours * 3600 * 1000)
        self._session_script = redis.register_script(buckets.SESSION)
        self._charge_script = redis.register_script(buckets.CHARGE)
        self._refund_script = redis.register_script(buckets.REFUND)
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
        self._address_script = redis.register_script(buckets.ADDRESS)
        self._fair_script = redis.register_script(buckets.FAIR_SHARE)
        # Called after a class member's exercises are recorded: (class id, learner, names, time).
        self.progress_hooks: list[ProgressHook] = []

    async def create(self, learner_id: str, address: str, kind: str) -> None:
        """Record a new session, unless the site is full (SiteFull) or this address made too
        many this hour (RateLimited)."""
        if self.gauge is not None:
            self.gauge.admit_new()
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
        usage = Usage(*(int(value or 0) for value in session[5:9]))
        return Touch(True, session[2] == b"1", session[3] == b"1", _text(session[4]), usage)

    async def _touch_fast(
        self, learner_id: str, address: str, cost: int, now_ms: int
    ) -> tuple[Any, Any]:
        # One raw round trip, one script: this runs for every command a learner types.
        assert self.fast is not None
        keys = self.keys
        command: Command = (
            b"EVALSHA", buckets.TOUCH_SHA, b"5", keys.session(learner_id),
            keys.progress(learner_id), keys.sandbox_totals(learner_id), keys.ip_bucket(address),
            keys.sandboxes, _arg(now_ms), *self._limits[:2], _arg(cost), *self._limits[2:],
            learner_id,
        )  # fmt: skip
        (reply,) = await self.fast.run([command])
        if is_noscript(reply):  # a restarted Redis forgot the script: load it, run again
            await self.fast.run([(b"SCRIPT", b"LOAD", buckets.TOUCH)])
            (reply,) = await self.fast.run([command])
        if isinstance(reply, ErrorReply) or not isinstance(reply, list):
            raise RedisError(bytes(reply or b"").decode(errors="replace"))
        return reply[:9], reply[9]

    async def _touch_cluster(
        self, learner_id: str, address: str, cost: int, now_ms: int
    ) -> tuple[Any, Any]:
        # Redis Cluster: the keys live in different slots and cluster pipelines refuse
        # scripts: the learner's bucket first, then the address's (tokens given back if
        # the address refuses), each call routed by redis-py.
        rate, burst, ttl, address_rate, address_burst, address_ttl = self._limits
        keys = self.keys
        session_keys = [
            keys.session(learner_id),
            keys.progress(learner_id),
            keys.sandbox_totals(learner_id),
        ]
        session, _ = await asyncio.gather(
            self._session_script(keys=session_keys, args=[now_ms, rate, burst, cost, ttl]),
            self.redis.zadd(keys.sandboxes, {learner_id: now_ms // 1000}, xx=True),
        )
        if session[0] and session[1]:
            return session, 0  # refused by the learner's own bucket: the address pays nothing
        address_wait = await self._address_script(
            keys=[keys.ip_bucket(address)],
            args=[now_ms, address_rate, address_burst, cost, address_ttl],
        )
        if address_wait and session[0]:
            await self._refund_script(keys=[keys.session(learner_id)], args=[cost])
        return session, address_wait

    async def pay_address(self, address: str, cost: int) -> None:
        """Take ``cost`` tokens from the address's bucket alone (a page view); RateLimited."""
        _, _, _, address_rate, address_burst, address_ttl = self._limits
        wait = await self._address_script(
            keys=[self.keys.ip_bucket(address)],
            args=[int(time.time() * 1000), address_rate, address_burst, cost, address_ttl],
        )
        if wait:
            raise RateLimited(int(wait) / 1000, "requests per client address")

    async def charge(self, learner_id: str, tokens: int) -> float:
        """Take extra tokens from the learner's bucket; the seconds to wait if they are short."""
        rate, burst = self._limits[0], self._limits[1]
        now_ms = int(time.time() * 1000)
        wait = await self._charge_script(
            keys=[self.keys.session(learner_id)], args=[now_ms, rate, burst, tokens]
        )
        return int(wait) / 1000

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
        pipe = self.redis.pipeline(transaction=False)  # one slot: both carry {id}
        pipe.delete(self.keys.queue(learner_id))
        pipe.hdel(self.keys.session(learner_id), QUEUED_BYTES)
        await pipe.execute()

    async def queue_size(self, learner_id: str) -> tuple[int, int]:
        """How many commands are queued, and how many bytes they take."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.llen(self.keys.queue(learner_id))
        pipe.hget(self.keys.session(learner_id), QUEUED_BYTES)
        length, size = await pipe.execute()
        return int(length), int(size or 0)

    async def queue_append(self, learner_id: str, entry: str) -> None:
        """Queue one command."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.rpush(self.keys.queue(learner_id), entry)
        pipe.hincrby(self.keys.session(learner_id), QUEUED_BYTES, len(entry))
        await pipe.execute()

    async def queue_take(self, learner_id: str) -> list[str]:
        """Every queued command, in order; the queue is then empty."""
        pipe = self.redis.pipeline(transaction=True)  # nothing queued between the two
        pipe.lrange(self.keys.queue(learner_id), 0, -1)
        pipe.delete(self.keys.queue(learner_id))
        pipe.hdel(self.keys.session(learner_id), QUEUED_BYTES)
        entries, _, _ = await pipe.execute()
        return [_text(entry) for entry in entries]

    def _marker(self, learner_id: str, marker: str) -> str:
        if marker == "blocking":
            return self.keys.blocking(learner_id)
        if marker == "subscription":
            return self.keys.subscription(learner_id)
        raise ValueError(f"unknown marker {marker!r}")

    async def hold(
        self, learner_id: str, marker: str, ttl_ms: int, group: str = "", cap: int = 0
    ) -> Hold:
        """One marker per learner, at most ``cap`` per group (its address); both expire."""
        # Two steps, each atomic: the marker and the group's shares live in different
        # Cluster slots. The learner's own marker comes first, so a learner refused for
        # holding one already never takes a share their classmates could use.
        name = self._marker(learner_id, marker)
        if not await self.redis.set(name, 1, nx=True, px=ttl_ms):
            return "learner"
        if group:
            now_ms = int(time.time() * 1000)
            shares = self.keys.fair_share(marker, group)
            held = await self._fair_script(keys=[shares], args=[now_ms, ttl_ms, learner_id, cap])
            if not held:
                await self.redis.delete(name)
                return "group"
        return "held"

    async def release(self, learner_id: str, marker: str, group: str = "") -> None:
        """Clear a marker and the learner's share of its group."""
        await self.redis.delete(self._marker(learner_id, marker))
        if group:
            await self.redis.zrem(self.keys.fair_share(marker, group), learner_id)

    async def delete(self, learner_id: str, *, keep_progress: bool = False) -> None:
        """Forget the session (and its progress unless asked to keep it)."""
        names = [self.keys.session(learner_id), self.keys.queue(learner_id)]
        if not keep_progress:
            names += [
                self.keys.progress(learner_id),
                self.keys.attempts(learner_id),
                self.keys.journal(learner_id),
            ]
        pipe = self.redis.pipeline(transaction=False)
        pipe.delete(*names)  # one slot: all carry the {id} hash tag
        if not keep_progress:
            pipe.zrem(self.keys.sandboxes, learner_id)
        await pipe.execute()

    async def end(self, learner_id: str) -> None:
        """Mark a deleted session's id as ended for as long as a cookie naming it lives."""
        await self.redis.set(self.keys.ended(learner_id), 1, px=self.ttl_ms)

    async def ended(self, learner_id: str) -> bool:
        """Whether this id's session was deleted (so a cookie naming it must not revive it)."""
        return bool(await self.redis.exists(self.keys.ended(learner_id)))

    async def progress(self, learner_id: str) -> set[str]:
        """The exercises this learner has done, as ``slug/exercise`` strings."""
        done = await self.redis.hkeys(self.keys.progress(learner_id))
        return {_text(name) for name in done}

    async def mark_done(self, learner_id: str, names: list[str]) -> None:
        """Record exercises as done (and tell ``progress_hooks`` when the learner is in a class)."""
        if names:
            progress = self.keys.progress(learner_id)
            now = int(time.time())
            pipe = self.redis.pipeline(transaction=False)
            pipe.hset(progress, mapping=dict.fromkeys(names, now))
            pipe.pexpire(progress, self.ttl_ms)
            pipe.hget(self.keys.session(learner_id), "cls")
            *_, class_id = await pipe.execute()
            if class_id:  # a class member's progress lives as long as the class
                await self.redis.persist(progress)
                for hook in self.progress_hooks:
                    await hook(_text(class_id), learner_id, names, now)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value or "")
