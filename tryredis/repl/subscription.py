"""SUBSCRIBE in the learner's own channels, as a stream of what redis-cli prints.

A subscribed connection cannot serve other commands, so each subscription gets
a dedicated connection (never a pooled one), authenticated as the sandbox's
Redis user; channel names carry the learner's prefix like keys do. Limits: one
subscription per learner (a marker in the bookkeeping), ``subscriptions_per_worker``
per process, ``subscribe_max_channels`` channels, ``subscribe_max_seconds``
(Redis's own ``timeout`` never closes subscribers).

PSUBSCRIBE is refused: a Redis ACL can grant a pattern subscription only for a
pattern literally equal to an allowed one, so no learner pattern would pass the
sandbox user's ``&P u:*``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Literal

from redis.exceptions import RedisError

from tryredis.repl.bookkeeping import Bookkeeping
from tryredis.repl.formatter import format_reply
from tryredis.repl.limits import Limits, setting_name
from tryredis.repl.namespace import Namespace
from tryredis.repl.spec import CommandError, Refusal
from tryredis.repl.table import resolve
from tryredis.repl.tokenizer import LineError, split_line
from tryredis.wire import RawConnection, Reply, Router

READING = "Reading messages... (press Ctrl-C to quit)"
KEEPALIVE_SECONDS = 15.0


class SubscriptionRefused(Exception):
    """No stream: ``reason`` says why (``invalid`` line, ``busy`` worker, ``already`` open)."""

    def __init__(self, reason: Literal["invalid", "busy", "already", "unreachable"], text: str):
        super().__init__(text)
        self.reason = reason


@dataclass(frozen=True)
class Event:
    """One thing to show: ``text`` as redis-cli prints it; ``final`` ends the stream."""

    text: str
    final: bool = False
    keepalive: bool = False


def parse_subscribe(line: str, limits: Limits) -> list[bytes]:
    """The channels of a ``SUBSCRIBE ch [ch ...]`` line; SubscriptionRefused otherwise."""
    try:
        args = split_line(line, max_bytes=limits.line_max_bytes, max_args=limits.args_max)
        if not args:
            raise SubscriptionRefused("invalid", "send ?line=SUBSCRIBE channel [channel ...]")
        spec = resolve(args)
    except (LineError, CommandError, Refusal) as error:
        raise SubscriptionRefused("invalid", str(error)) from None
    if spec.name == "psubscribe":
        raise SubscriptionRefused(
            "invalid", "PSUBSCRIBE is not available in the sandbox; SUBSCRIBE to channels"
        )
    if spec.name != "subscribe":
        raise SubscriptionRefused("invalid", "this endpoint runs SUBSCRIBE only")
    channels = list(dict.fromkeys(args[1:]))
    cap = limits.subscribe_max_channels
    if len(channels) > cap:
        raise SubscriptionRefused(
            "invalid",
            f"at most {cap} channels per subscription ({setting_name('subscribe_max_channels')})",
        )
    return channels


class Subscriptions:
    """The subscriptions of one process."""

    def __init__(self, limits: Limits, router: Router, books: Bookkeeping) -> None:
        self.limits = limits
        self.router = router
        self.books = books
        self.active = 0

    async def open(self, learner_id: str, namespace: Namespace, line: str) -> Stream:
        """Start a subscription (SubscriptionRefused if it cannot be had now)."""
        channels = parse_subscribe(line, self.limits)
        cap = self.limits.subscriptions_per_worker
        if self.active >= cap:
            raise SubscriptionRefused(
                "busy",
                f"too many subscriptions right now ({cap} per worker, "
                f"{setting_name('subscriptions_per_worker')}); try again later",
            )
        ttl_ms = int((self.limits.subscribe_max_seconds + 5) * 1000)
        if not await self.books.hold(learner_id, "subscription", ttl_ms):
            raise SubscriptionRefused(
                "already", "you already have a subscription open (one at a time)"
            )
        self.active += 1
        try:
            connection = await self.router.subscriber(learner_id)
        except (RedisError, OSError):
            await self.release(learner_id)
            raise SubscriptionRefused("unreachable", "Redis is unreachable right now") from None
        return Stream(self, learner_id, connection, namespace, channels)

    async def release(self, learner_id: str) -> None:
        """A stream of ``learner_id`` ended."""
        self.active -= 1
        with contextlib.suppress(RedisError, OSError):
            await self.books.release(learner_id, "subscription")


class Stream:
    """One open subscription: iterate ``events()`` until it ends; it cleans up after itself."""

    def __init__(
        self,
        owner: Subscriptions,
        learner_id: str,
        connection: RawConnection,
        namespace: Namespace,
        channels: Sequence[bytes],
    ) -> None:
        self.owner = owner
        self.learner_id = learner_id
        self.connection = connection
        self.namespace = namespace
        self.channels = list(channels)
        self.closed = False

    def _show(self, reply: Reply) -> str:
        # ["subscribe"|"message", channel, count|payload]: the channel loses its prefix.
        if isinstance(reply, list) and len(reply) == 3 and isinstance(reply[1], bytes):
            reply = [reply[0], self.namespace.strip_key(reply[1]), reply[2]]
        return format_reply(reply)

    async def events(self) -> AsyncIterator[Event]:
        """Confirmations and messages as redis-cli prints them, then a final line."""
        lifetime = self.owner.limits.subscribe_max_seconds
        try:
            command = (b"SUBSCRIBE", *(self.namespace.key(c) for c in self.channels))
            await self.connection.send([command])
            yield Event(READING)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + lifetime
            while True:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    yield Event(f"Subscription closed after {lifetime / 60:g} minutes.", final=True)
                    return
                try:
                    async with asyncio.timeout(min(KEEPALIVE_SECONDS, remaining)):
                        reply = await self.connection.replies.next()
                except TimeoutError:
                    yield Event("", keepalive=True)
                    continue
                yield Event(self._show(reply))
        except (RedisError, OSError):
            yield Event("Redis closed the subscription.", final=True)
        finally:
            await self.close()

    async def close(self) -> None:
        """Drop the connection and the learner's marker (safe to call more than once)."""
        if not self.closed:
            self.closed = True
            await self.connection.close()
            await self.owner.release(self.learner_id)
