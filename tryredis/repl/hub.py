"""One subscribed Redis connection per worker, fanned out to every stream of that worker.

A subscribed connection can do nothing else, so a connection per stream would
cost Redis a client (and the worker a socket) per learner watching a channel.
The hub holds one, subscribes to the union of its listeners' channels
(namespaced, so every learner's channels are distinct), and hands each message
to the listeners of its channel. A listener's queue is bounded: a stream that
cannot keep up is ended rather than buffered without limit.

Redis's ``(integer) N`` in a confirmation counts the connection's channels; the
hub's would count every learner's, so each listener is shown its own count.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

from redis.exceptions import RedisError

from tryredis.wire import RawConnection, Reply

log = logging.getLogger("tryredis.hub")

QUEUE_MESSAGES = 256  # messages a listener may lag behind before its stream is ended
CONFIRM_SECONDS = 5.0  # how long a SUBSCRIBE may wait for Redis's confirmation

# What a listener's queue carries: a message payload, or None when the hub lost Redis.
Delivery = tuple[bytes, Reply] | None


class HubLost(Exception):
    """The hub's connection failed (or never opened): the stream cannot go on."""


class Listener:
    """One stream's place in the hub: its channels and the messages waiting for it."""

    def __init__(self, channels: Sequence[bytes]) -> None:
        self.channels = list(channels)
        self.queue: asyncio.Queue[Delivery] = asyncio.Queue(QUEUE_MESSAGES)
        self.overflowed = False

    def deliver(self, item: Delivery) -> None:
        """Queue a message, or mark the listener as too slow (its stream then ends)."""
        if self.overflowed:
            return
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.overflowed = True
            with contextlib.suppress(asyncio.QueueEmpty):
                self.queue.get_nowait()  # make room for the wake-up that ends the stream
            self.queue.put_nowait(None)


class Hub:
    """The worker's one subscriber connection and who listens to which channel."""

    def __init__(self, connect: Callable[[], Awaitable[RawConnection]]) -> None:
        self._connect = connect
        self._connection: RawConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._listeners: dict[bytes, set[Listener]] = {}
        self._confirmed: dict[bytes, asyncio.Future[None]] = {}
        self._closing: set[asyncio.Task[None]] = set()  # connections being dropped

    @property
    def channels(self) -> int:
        """How many channels the hub's connection is subscribed to."""
        return len(self._listeners)

    async def join(self, listener: Listener) -> None:
        """Subscribe the listener's channels; returns once Redis confirmed every one."""
        waits: list[asyncio.Future[None]] = []
        async with self._lock:
            connection = await self._connected()
            new = [c for c in listener.channels if c not in self._listeners]
            for channel in listener.channels:
                self._listeners.setdefault(channel, set()).add(listener)
                if channel in new:
                    self._confirmed[channel] = asyncio.get_running_loop().create_future()
                future = self._confirmed.get(channel)
                if future is not None:
                    waits.append(future)
            try:
                if new:
                    await connection.send([(b"SUBSCRIBE", *new)])
            except (RedisError, OSError):
                self._lost()
                raise HubLost from None
        try:
            async with asyncio.timeout(CONFIRM_SECONDS):
                await asyncio.gather(*waits)
        except (TimeoutError, HubLost):
            await self.leave(listener)
            raise HubLost from None

    async def leave(self, listener: Listener) -> None:
        """Forget the listener; unsubscribe the channels nobody listens to any more."""
        async with self._lock:
            gone = []
            for channel in listener.channels:
                listeners = self._listeners.get(channel)
                if listeners is None:
                    continue
                listeners.discard(listener)
                if not listeners:
                    del self._listeners[channel]
                    self._confirmed.pop(channel, None)
                    gone.append(channel)
            if gone and self._connection is not None:
                try:
                    await self._connection.send([(b"UNSUBSCRIBE", *gone)])
                except (RedisError, OSError):
                    self._lost()

    async def close(self) -> None:
        """Drop the connection; every listener is told the subscription ended."""
        async with self._lock:
            self._lost()

    async def _connected(self) -> RawConnection:
        if self._connection is None:
            try:
                self._connection = await self._connect()
            except (RedisError, OSError):
                raise HubLost from None
            self._reader = asyncio.create_task(self._read(self._connection))
        return self._connection

    async def _read(self, connection: RawConnection) -> None:
        try:
            while True:
                self._dispatch(await connection.replies.next())
        except (RedisError, OSError) as error:
            log.warning("the subscriber connection failed: %s", error)
        if self._connection is connection:
            self._lost(reading=False)

    def _dispatch(self, reply: Reply) -> None:
        if not (isinstance(reply, list) and len(reply) == 3):
            return
        kind, channel, payload = reply
        if not isinstance(channel, bytes):
            return
        if kind == b"message":
            for listener in tuple(self._listeners.get(channel, ())):
                listener.deliver((channel, payload))
        elif kind == b"subscribe":
            future = self._confirmed.pop(channel, None)
            if future is not None and not future.done():
                future.set_result(None)

    def _lost(self, *, reading: bool = True) -> None:
        """Forget the connection and end every stream (the next join reconnects)."""
        connection, self._connection = self._connection, None
        if reading and self._reader is not None:
            self._reader.cancel()
        self._reader = None
        if connection is not None:
            # disconnect(nowait=True) does not wait on the socket: safe from a callback. The
            # loop keeps only a weak reference to a task: hold it until it is done.
            closing = asyncio.get_running_loop().create_task(connection.close())
            self._closing.add(closing)
            closing.add_done_callback(self._closing.discard)
        for future in self._confirmed.values():
            if not future.done():
                future.set_exception(HubLost())
        self._confirmed.clear()
        for listeners in self._listeners.values():
            for listener in listeners:
                listener.deliver(None)
        self._listeners.clear()
