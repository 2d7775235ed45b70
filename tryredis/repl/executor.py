"""Running raw commands for learners: bounded pools, no retries, RESP2, typed replies.

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

try:  # redis-py keeps its parsers in a private module
    from redis._parsers.resp2 import _AsyncRESP2Parser
except ImportError:  # pragma: no cover - a future redis-py moved it
    raise ImportError("tryredis needs redis-py 8.x (redis._parsers.resp2)") from None

from tryredis.repl.replies import ErrorReply, Reply, Status

Command = Sequence[bytes | str | int]


class ExecutorError(Exception):
    """Redis could not be reached, or the connection broke; ``message`` is learner-facing."""

    def __init__(self, message: str, *, maybe_ran: bool) -> None:
        super().__init__(message)
        self.message = message
        self.maybe_ran = maybe_ran


class TypedRESP2Parser(_AsyncRESP2Parser):
    """RESP2 parser that keeps simple strings and errors distinguishable from bulk strings."""

    async def _read_response(self, disable_decoding: bool = False) -> Reply:  # type: ignore[override]
        raw: bytes = await self._readline()
        kind, payload = raw[:1], raw[1:]
        if kind == b"+":
            return Status(payload)
        if kind == b"-":
            return ErrorReply(payload)
        if kind == b":":
            return int(payload)
        if kind == b"$":
            length = int(payload)
            return None if length < 0 else bytes(await self._read(length))
        if kind == b"*":
            count = int(payload)
            if count < 0:
                return None
            return [await self._read_response(disable_decoding) for _ in range(count)]
        raise RedisConnectionError(f"protocol error: unexpected reply {raw[:40]!r}")


def pack(commands: Sequence[Command]) -> bytes:
    """RESP2-encode a batch of commands (redis-py's packer is 10x slower for small ones)."""
    out: list[bytes] = []
    append = out.append
    for command in commands:
        append(b"*%d\r\n" % len(command))
        for arg in command:
            if not isinstance(arg, bytes):  # most arguments already are
                arg = arg.encode() if isinstance(arg, str) else b"%d" % arg
            append(b"$%d\r\n" % len(arg))
            append(arg)
            append(b"\r\n")
    return b"".join(out)


class _Incomplete(Exception):
    """The buffer ends inside a reply: read more."""


def parse_reply(buffer: bytes, pos: int) -> tuple[Reply, int]:
    """One RESP2 reply from ``buffer`` at ``pos``, typed; and where the next one starts."""
    end = buffer.find(b"\r\n", pos)
    if end < 0:
        raise _Incomplete
    kind, payload, pos = buffer[pos], buffer[pos + 1 : end], end + 2
    if kind == 0x2B:  # +
        return Status(payload), pos
    if kind == 0x2D:  # -
        return ErrorReply(payload), pos
    if kind == 0x3A:  # :
        return int(payload), pos
    if kind == 0x24:  # $
        length = int(payload)
        if length < 0:
            return None, pos
        if len(buffer) < pos + length + 2:
            raise _Incomplete
        return buffer[pos : pos + length], pos + length + 2
    if kind == 0x2A:  # *
        count = int(payload)
        if count < 0:
            return None, pos
        items: list[Reply] = []
        for _ in range(count):
            item, pos = parse_reply(buffer, pos)
            items.append(item)
        return items, pos
    raise RedisConnectionError(f"protocol error: unexpected reply {buffer[pos - 2 : end][:40]!r}")


class ReplyStream:
    """Typed replies from a stream, parsed from whole reads (not one await per line)."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self.reader = reader
        self.buffer = b""
        self.pos = 0

    async def next(self) -> Reply:
        """The next complete reply."""
        while True:
            try:
                reply, self.pos = parse_reply(self.buffer, self.pos)
            except _Incomplete:
                chunk = await self.reader.read(65536)
                if not chunk:
                    raise RedisConnectionError("Connection closed by server.") from None
                self.buffer, self.pos = self.buffer[self.pos :] + chunk, 0
                continue
            return reply

    @property
    def drained(self) -> bool:
        """Whether every byte read so far has been parsed."""
        return self.pos == len(self.buffer)


async def read_replies(reader: asyncio.StreamReader, count: int) -> list[Reply]:
    """Read exactly ``count`` replies (more bytes than that is a protocol error)."""
    stream = ReplyStream(reader)
    replies = [await stream.next() for _ in range(count)]
    if not stream.drained:
        raise RedisConnectionError("protocol error: more replies than commands")
    return replies


def connection_factory(url: str, socket_timeout: float | None) -> Callable[[], AbstractConnection]:
    """Makes raw RESP2 connections to ``url`` (its user and password): unconnected, no retries."""
    template = ConnectionPool.from_url(
        url,
        parser_class=TypedRESP2Parser,
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


def make_pool(url: str, *, size: int, socket_timeout: float, wait: float = 2.0) -> Pool:
    """A bounded pool of raw RESP2 connections."""
    return Pool(url, size=size, socket_timeout=socket_timeout, wait=wait)


class Held:
    """A connection checked out of the pool for a sequence of batches."""

    def __init__(self, connection: AbstractConnection) -> None:
        self.connection = connection
        self.clean = True  # false while a WATCH is pending or after any failure
        self.watching = False

    async def run(self, commands: Sequence[Command]) -> list[Reply]:
        """Send a batch in one round trip and read every reply."""
        if not self.clean and not self.watching:
            raise ExecutorError("connection already failed", maybe_ran=False)
        self.clean = False
        connection = self.connection
        # One deadline for the whole batch, written and read straight on the
        # stream: redis-py's send/read helpers arm a timer (or a task) per call.
        reader, writer = connection._reader, connection._writer
        assert reader is not None and writer is not None
        sent = False
        try:
            async with asyncio.timeout(connection.socket_timeout):
                writer.write(pack(commands))
                await writer.drain()
                sent = True
                replies = await read_replies(reader, len(commands))
        except (RedisError, OSError, TimeoutError) as error:
            raise ExecutorError(_lost(error), maybe_ran=sent) from None
        for command in commands:  # a connection left watching keys must not be reused
            if command[0] == b"WATCH":
                self.watching = True
            elif command[0] in (b"EXEC", b"UNWATCH", b"DISCARD"):
                self.watching = False
        self.clean = not self.watching
        return replies


class Executor:
    """Sends batches of raw commands on a pool and reads every reply."""

    def __init__(self, pool: Pool) -> None:
        self.pool = pool

    async def run(self, commands: Sequence[Command]) -> list[Reply]:
        """Send the commands in one round trip (not a transaction) and return their replies.

        The pool's socket timeout bounds the wait (never ``read_response``'s own
        timeout argument: on expiry it returns None and leaves the reply unread).
        """
        async with self.hold() as held:
            return await held.run(commands)

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
                raise ExecutorError(
                    "The server is busy (every Redis connection is in use); try again.",
                    maybe_ran=False,
                ) from None
            raise ExecutorError(_lost(error), maybe_ran=False) from None
        except (TimeoutError, RedisError, OSError) as error:
            raise ExecutorError(_lost(error), maybe_ran=False) from None

    async def close(self) -> None:
        """Close every connection."""
        await self.pool.disconnect()


def _lost(error: Exception) -> str:
    text = str(error).lower()
    if "timeout" in text or isinstance(error, asyncio.TimeoutError):
        return "Redis did not answer in time."
    return "Redis is unreachable right now."
