"""SUBSCRIBE in the learner's own channels, as a stream of what redis-cli prints.

A subscribed connection cannot serve other commands, so the streams of one
worker share one dedicated connection (``hub.py``), authenticated as the
sandbox's Redis user; channel names carry the learner's prefix like keys do.
Limits: one subscription per learner and ``subscriptions_per_address`` per
client address (fair shares in the bookkeeping), ``subscriptions_per_worker``
per process, ``subscribe_max_channels`` channels, ``subscribe_max_seconds``
(Redis's own ``timeout`` never closes subscribers).

PSUBSCRIBE is refused: a Redis ACL can grant a pattern subscription only for a
pattern literally equal to an allowed one, so no learner pattern would pass the
sandbox user's ``&P u:*``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Literal

from redis.exceptions import RedisError

from tryredis.repl.bookkeeping import Bookkeeping
from tryredis.repl.formatter import format_reply
from tryredis.repl.hub import Hub, HubLost, Listener
from tryredis.repl.limits import Limits, setting_name
from tryredis.repl.namespace import Namespace
from tryredis.repl.spec import CommandError, Refusal
from tryredis.repl.table import resolve
from tryredis.repl.tokenizer import LineError, split_line
from tryredis.wire import Router

READING = "Reading messages... (press Ctrl-C to quit)"
KEEPALIVE_SECONDS = 15.0
RELEASE_RETRY_SECONDS = 0.5  # how often a release Redis refused is tried again


class SubscriptionRefused(Exception):
    """No stream: ``reason`` says why (``invalid`` line, ``busy`` worker or address,
    ``already`` open, Redis ``unreachable``)."""

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
    """The subscriptions of one process, all on its hub's one connection."""

    def __init__(self, limits: Limits, router: Router, books: Bookkeeping) -> None:
        self.limits = limits
        self.books = books
        self.hub = Hub(lambda: router.subscriber(""))
        self.active = 0
        self._retries: set[asyncio.Future[None]] = set()  # releases waiting for Redis

    async def open(
        self, learner_id: str, namespace: Namespace, line: str, group: str = ""
    ) -> Stream:
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
        share = self.limits.subscriptions_per_address
        held = await self.books.hold(learner_id, "subscription", ttl_ms, group, share)
        if held == "learner":
            raise SubscriptionRefused(
                "already", "you already have a subscription open (one at a time)"
            )
        if held == "group":
            raise SubscriptionRefused(
                "busy",
                f"{share} subscriptions from your network address are already open "
                f"({setting_name('subscriptions_per_address')}); try again when one has closed",
            )
        self.active += 1
        stream = Stream(self, learner_id, group, namespace, channels)
        try:
            await self.hub.join(stream.listener)
        except HubLost:
            await stream.close()
            raise SubscriptionRefused("unreachable", "Redis is unreachable right now") from None
        except BaseException:
            await stream.close()
            raise
        return stream

    async def release(self, learner_id: str, group: str) -> None:
        """A stream of ``learner_id`` ended: give back their marker and share."""
        self.active -= 1
        if not await self._released(learner_id, group):
            # Redis is away (a restart keeps the marker, with the AOF): try again until it
            # answers, or the learner could not subscribe again until the marker expires.
            retry = asyncio.ensure_future(self._release_later(learner_id, group))
            self._retries.add(retry)
            retry.add_done_callback(self._retries.discard)

    async def _released(self, learner_id: str, group: str) -> bool:
        try:
            await self.books.release(learner_id, "subscription", group)
        except (RedisError, OSError):
            return False
        return True

    async def _release_later(self, learner_id: str, group: str) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.limits.subscribe_max_seconds + 5  # the marker's ttl
        while loop.time() < deadline:
            await asyncio.sleep(RELEASE_RETRY_SECONDS)
            if await self._released(learner_id, group):
                return

    async def close(self) -> None:
        """End every stream and drop the hub's connection."""
        for retry in self._retries:
            retry.cancel()
        await self.hub.close()


class Stream:
    """One open subscription: iterate ``events()`` until it ends, or ``close()`` it.

    Redis has confirmed every channel once the stream exists; ``close`` (which
    ``events`` calls when it ends, however it ends) releases the learner's marker.
    """

    def __init__(
        self,
        owner: Subscriptions,
        learner_id: str,
        group: str,
        namespace: Namespace,
        channels: Sequence[bytes],
    ) -> None:
        self.owner = owner
        self.learner_id = learner_id
        self.group = group
        self.namespace = namespace
        self.channels = list(channels)
        self.listener = Listener([namespace.key(c) for c in channels])
        self._closing: asyncio.Future[None] | None = None

    async def events(self) -> AsyncIterator[Event]:
        """Confirmations and messages as redis-cli prints them, then a final line."""
        lifetime = self.owner.limits.subscribe_max_seconds
        queue = self.listener.queue
        try:
            yield Event(READING)
            for count, channel in enumerate(self.channels, 1):
                yield Event(format_reply([b"subscribe", channel, count]))
            loop = asyncio.get_running_loop()
            deadline = loop.time() + lifetime
            while True:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    yield Event(f"Subscription closed after {lifetime / 60:g} minutes.", final=True)
                    return
                try:
                    async with asyncio.timeout(min(KEEPALIVE_SECONDS, remaining)):
                        delivery = await queue.get()
                except TimeoutError:
                    yield Event("", keepalive=True)
                    continue
                if delivery is None:
                    yield Event(self._ending(), final=True)
                    return
                channel, payload = delivery
                yield Event(format_reply([b"message", self.namespace.strip_key(channel), payload]))
        finally:
            await self.close()

    def _ending(self) -> str:
        if self.listener.overflowed:
            return (
                f"Messages came faster than this stream could send them "
                f"(more than {self.listener.queue.maxsize} waiting); subscription closed."
            )
        return "Redis closed the subscription."

    @property
    def closed(self) -> bool:
        """Whether the stream was closed (its cleanup may still be running)."""
        return self._closing is not None

    async def close(self) -> None:
        """Leave the hub and drop the learner's marker (safe to call more than once).

        The cleanup runs as its own task: a disconnect cancels the response that
        calls this (again at each await, in a cancelled scope), and a cleanup cut
        short would keep the learner's marker until it expires.
        """
        if self._closing is None:
            self._closing = asyncio.ensure_future(self._close())
        await asyncio.shield(self._closing)

    async def _close(self) -> None:
        await self.owner.hub.leave(self.listener)
        await self.owner.release(self.learner_id, self.group)
