"""Bounded pools of raw RESP2 connections: no retries, no callbacks, one deadline a batch.

Why not redis-py's normal client: its response callbacks reshape replies (and
crash on some learner input), it retries non-idempotent commands after a
timeout (a retried INCR runs twice), and it cannot tell ``+OK`` from ``$2 OK``.
Here every command goes out exactly once, and replies come back as
``replies.Status`` / ``replies.ErrorReply`` / bytes / int / None / list.

Connection-state safety: only commands that leave a connection as they found it
are ever sent (the command table guarantees it), a MULTI is always sent together
with its EXEC, and a connection on which anything went wrong is disconnected
before it returns to the pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator, Callable, Sequence

from redis.asyncio import ConnectionPool
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from tryredis.wire.protocol import (
    Command,
    ReplyStream,
    SegmentTooLarge,
    pack,
    read_segments,
)
from tryredis.wire.replies import Reply


class ExecutorError(Exception):
    """Redis could not be reached, or the connection broke; ``message`` is learner-facing."""

    def __init__(self, message: str, *, maybe_ran: bool, busy: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.maybe_ran = maybe_ran
        self.busy = busy  # every connection stayed in use for the pool's whole wait


def connection_factory(url: str, socket_timeout: float | None) -> Callable[[], AbstractConnection]:
    """Makes raw RESP2 connections to ``url`` (its user and password): unconnected, no retries."""
    template = ConnectionPool.from_url(
        url,
        protocol=2,
        retry=None,
        socket_timeout=socket_timeout,
        socket_connect_timeout=min(socket_timeout or 2.0, 2.0),
        driver_info=None,  # no CLIENT SETINFO: the sandbox's ACL user may not run CLIENT
    )
    make: Callable[[], AbstractConnection] = functools.partial(
        template.connection_class, **template.connection_kwargs
    )
    return make


class Pool:
    """A bounded set of raw connections: a semaphore and a stack of idle ones.

    redis-py's BlockingConnectionPool costs ~50 µs a checkout (a condition
    variable, metrics hooks); this one costs a few. Connections come from
    redis-py's own Connection classes, configured from the URL.
    """

    def __init__(self, url: str, *, size: int, socket_timeout: float, wait: float) -> None:
        self._make = connection_factory(url, socket_timeout)
        self.size = size
        self.wait = wait
        self._idle: list[AbstractConnection] = []
        self._slots: asyncio.Semaphore | None = None

    async def get_connection(self) -> AbstractConnection:
        """A connected connection; RedisConnectionError when none frees up within ``wait``."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.size)
        if self._slots.locked():
            try:
                async with asyncio.timeout(self.wait):  # no task per wait, unlike wait_for
                    await self._slots.acquire()
            except TimeoutError:
                raise RedisConnectionError("No connection available.") from None
        else:
            await self._slots.acquire()
        connection = self._idle.pop() if self._idle else self._make()
        try:
            if connection.is_connected and _stale(connection):
                await connection.disconnect()  # the server went away while it idled
            if not connection.is_connected:
                await connection.connect()  # type: ignore[no-untyped-call]
        except BaseException:
            self._slots.release()
            raise
        return connection

    async def release(self, connection: AbstractConnection) -> None:
        """Return a connection (disconnected ones reconnect on their next use)."""
        self._idle.append(connection)
        if self._slots is not None:
            self._slots.release()

    async def disconnect(self) -> None:
        """Close the idle connections."""
        idle, self._idle = self._idle, []
        for connection in idle:
            await connection.disconnect()


def _stale(connection: AbstractConnection) -> bool:
    reader = getattr(connection, "_reader", None)
    return reader is None or reader.at_eof()


def streams(connection: AbstractConnection) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """The connected socket's streams (redis-py connects and authenticates; we speak RESP).

    redis-py keeps them as private attributes: this is the one place that reads them.
    """
    reader, writer = connection._reader, connection._writer
    if reader is None or writer is None:
        raise RedisConnectionError("not connected")
    return reader, writer


class RawConnection:
    """One dedicated connection outside any pool (a subscriber): send commands, read replies."""

    def __init__(self, connection: AbstractConnection) -> None:
        self._connection = connection
        reader, self._writer = streams(connection)
        self.replies = ReplyStream(reader)

    @classmethod
    async def open(cls, url: str) -> RawConnection:
        """Connect to ``url`` (its user and password), with no socket timeout."""
        connection = connection_factory(url, None)()
        await connection.connect()  # type: ignore[no-untyped-call]
        return cls(connection)

    async def send(self, commands: Sequence[Command]) -> None:
        """Write commands without waiting for their replies."""
        self._writer.write(pack(commands))
        await self._writer.drain()

    async def close(self) -> None:
        """Drop the connection (whatever state it is in)."""
        await self._connection.disconnect(nowait=True)


def make_pool(url: str, *, size: int, socket_timeout: float, wait: float = 2.0) -> Pool:
    """A bounded pool of raw RESP2 connections."""
    return Pool(url, size=size, socket_timeout=socket_timeout, wait=wait)


class Held:
    """A connection checked out of the pool for a sequence of batches."""

    def __init__(self, connection: AbstractConnection) -> None:
        self.connection = connection
        self.clean = True  # false while a WATCH is pending or after any failure
        self.watching = False

    async def run(self, commands: Sequence[Command], max_bytes: int | None = None) -> list[Reply]:
        """Send a batch in one round trip and read every reply (at most ``max_bytes`` of them)."""
        (outcome,) = await self.run_segments([(commands, max_bytes)])
        if isinstance(outcome, ExecutorError):
            raise outcome
        return outcome

    async def run_segments(
        self, segments: Sequence[tuple[Sequence[Command], int | None]]
    ) -> list[list[Reply] | ExecutorError]:
        """Send several batches in one round trip; each one's replies, or why they are lost.

        Each batch's replies are read within its own ``max_bytes``. One that runs
        past it ends the round trip: the batches before it have their replies,
        the batches after it were sent but are not read ("may have run"). A
        broken connection or a timeout raises ExecutorError for all of them.
        """
        if not self.clean and not self.watching:
            raise ExecutorError("connection already failed", maybe_ran=False)
        self.clean = False
        connection = self.connection
        # One deadline for the whole round trip, written and read straight on the
        # stream: redis-py's send/read helpers arm a timer (or a task) per call.
        reader, writer = streams(connection)
        sent = False
        outcomes: list[list[Reply] | ExecutorError]
        try:
            async with asyncio.timeout(connection.socket_timeout):
                writer.write(pack([command for batch, _ in segments for command in batch]))
                await writer.drain()
                sent = True
                outcomes = list(
                    await read_segments(reader, [(len(batch), limit) for batch, limit in segments])
                )
        except SegmentTooLarge as error:
            outcomes = list(error.done)
            outcomes.append(
                ExecutorError(
                    f"The reply was longer than {error.limit} bytes, so it was not read; "
                    "the command ran.",
                    maybe_ran=False,
                )
            )
            outcomes.extend(  # one exception each: each is raised in its own caller's task
                ExecutorError(
                    "The connection to Redis was dropped before this reply was read.",
                    maybe_ran=True,
                )
                for _ in segments[len(outcomes) :]
            )
            return outcomes  # not clean: the connection is dropped on release
        except (RedisError, OSError, TimeoutError) as error:
            raise ExecutorError(_lost(error), maybe_ran=sent) from None
        for batch, _ in segments:  # a connection left watching keys must not be reused
            for command in batch:
                if command[0] == b"WATCH":
                    self.watching = True
                elif command[0] in (b"EXEC", b"UNWATCH", b"DISCARD"):
                    self.watching = False
        self.clean = not self.watching
        return outcomes


class Executor:
    """Sends batches of raw commands on a pool and reads every reply."""

    def __init__(self, pool: Pool) -> None:
        self.pool = pool

    async def run(
        self,
        commands: Sequence[Command],
        max_bytes: int | None = None,
        expected: int | None = None,
    ) -> list[Reply]:
        """Send the commands in one round trip (not a transaction) and return their replies.

        ``max_bytes`` is the hard cap on the replies' bytes; ``expected`` the most the
        cost model says they take (a hint: executors that share round trips use it).

        The pool's socket timeout bounds the wait (never ``read_response``'s own
        timeout argument: on expiry it returns None and leaves the reply unread).
        """
        async with self.hold() as held:
            return await held.run(commands, max_bytes)

    async def run_segments(
        self, segments: Sequence[tuple[Sequence[Command], int | None]]
    ) -> list[list[Reply] | ExecutorError]:
        """Several batches in one round trip on one connection (``Held.run_segments``)."""
        async with self.hold() as held:
            return await held.run_segments(segments)

    @contextlib.asynccontextmanager
    async def hold(self) -> AsyncIterator[Held]:
        """One connection for several round trips (WATCH ... EXEC must share one).

        On exit the connection must be clean (``Held.clean``), or it is
        disconnected so that no state (a WATCH, a half-read reply) survives.
        """
        connection: AbstractConnection = await self._connection()
        held = Held(connection)
        try:
            yield held
        finally:
            if not held.clean:
                await connection.disconnect(nowait=True)
            await self.pool.release(connection)

    async def _connection(self) -> AbstractConnection:
        try:
            return await self.pool.get_connection()
        except RedisConnectionError as error:
            if "No connection available" in str(error):
                raise busy_error() from None
            raise ExecutorError(_lost(error), maybe_ran=False) from None
        except (TimeoutError, RedisError, OSError) as error:
            raise ExecutorError(_lost(error), maybe_ran=False) from None

    async def close(self) -> None:
        """Close every connection."""
        await self.pool.disconnect()


def busy_error() -> ExecutorError:
    """What a caller learns when no connection freed up within the pool's wait."""
    return ExecutorError(
        "The server is busy (every Redis connection is in use); try again.",
        maybe_ran=False,
        busy=True,
    )


def _lost(error: Exception) -> str:
    text = str(error).lower()
    if "timeout" in text or isinstance(error, asyncio.TimeoutError):
        return "Redis did not answer in time."
    return "Redis is unreachable right now."
