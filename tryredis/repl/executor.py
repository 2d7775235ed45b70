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
from collections.abc import AsyncIterator, Sequence
from typing import Any, cast

from redis.asyncio import BlockingConnectionPool
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


def make_pool(url: str, *, size: int, socket_timeout: float, wait: float = 2.0) -> Any:
    """A bounded pool of raw RESP2 connections for learner commands."""
    return BlockingConnectionPool.from_url(
        url,
        max_connections=size,
        timeout=wait,
        parser_class=TypedRESP2Parser,
        protocol=2,
        retry=None,
        socket_timeout=socket_timeout,
        socket_connect_timeout=min(socket_timeout, 2.0),
        driver_info=None,  # no CLIENT SETINFO: the sandbox's ACL user may not run CLIENT
    )


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
        packed = connection.pack_commands([tuple(c) for c in commands])
        try:
            await connection.send_packed_command(packed, check_health=False)
        except RedisError as error:
            raise ExecutorError(_lost(error), maybe_ran=False) from None
        try:
            replies = [await connection.read_response() for _ in commands]
        except RedisError as error:
            raise ExecutorError(_lost(error), maybe_ran=True) from None
        for command in commands:  # a connection left watching keys must not be reused
            if command[0] == b"WATCH":
                self.watching = True
            elif command[0] in (b"EXEC", b"UNWATCH", b"DISCARD"):
                self.watching = False
        self.clean = not self.watching
        return replies


class Executor:
    """Sends batches of raw commands on a pool and reads every reply."""

    def __init__(self, pool: Any) -> None:
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

    async def transaction(
        self, before: Sequence[Command], commands: Sequence[Command]
    ) -> tuple[list[Reply], Reply]:
        """Send ``before`` then ``MULTI``, the commands and ``EXEC`` as one batch.

        Returns the replies of ``before`` and the reply of EXEC (a list, None
        when a WATCH aborted it, or an ErrorReply for EXECABORT).
        """
        batch: list[Command] = [*before, (b"MULTI",), *commands, (b"EXEC",)]
        replies = await self.run(batch)
        return replies[: len(before)], replies[-1]

    async def _connection(self) -> AbstractConnection:
        try:
            return cast(AbstractConnection, await self.pool.get_connection())
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
