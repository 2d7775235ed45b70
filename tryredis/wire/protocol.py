"""RESP2 on the wire: the packer and the one typed parser (whole reads, any chunking).

Replies keep their RESP type (``replies.Status`` for ``+OK``, ``ErrorReply`` for
``-ERR``, bytes, int, None, list), which redis-cli's output needs and redis-py's
parsers drop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from redis.exceptions import ConnectionError as RedisConnectionError

from tryredis.wire.replies import ErrorReply, Reply, Status

Command = Sequence[bytes | str | int]


# Headers of the common sizes, made once: formatting them per argument is most of packing.
_ARRAY_HEADERS = [b"*%d\r\n" % n for n in range(64)]
_BULK_HEADERS = [b"$%d\r\n" % n for n in range(1024)]


def pack(commands: Sequence[Command]) -> bytes:
    """RESP2-encode a batch of commands (redis-py's packer is 10x slower for small ones)."""
    out: list[bytes] = []
    append = out.append
    for command in commands:
        count = len(command)
        append(_ARRAY_HEADERS[count] if count < 64 else b"*%d\r\n" % count)
        for arg in command:
            # type() rather than isinstance(): cheaper, and a bytes subclass packs alike.
            data = arg if type(arg) is bytes else _encode(arg)
            size = len(data)
            append(_BULK_HEADERS[size] if size < 1024 else b"$%d\r\n" % size)
            append(data)
            append(b"\r\n")
    return b"".join(out)


def _encode(arg: bytes | str | int) -> bytes:
    if isinstance(arg, bytes):  # a subclass (Status, say)
        return bytes(arg)
    return arg.encode() if isinstance(arg, str) else b"%d" % arg


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


class ReplyTooLarge(RedisConnectionError):
    """The replies were longer than the reader's byte limit; the rest was not read."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the reply was longer than {limit} bytes")
        self.limit = limit


class ReplyStream:
    """Typed replies from a stream, parsed from whole reads (not one await per line).

    With ``max_bytes`` it stops reading (``ReplyTooLarge``) once that many bytes
    came in, so a reply bigger than expected never fills the worker's memory.
    """

    def __init__(self, reader: asyncio.StreamReader, max_bytes: int | None = None) -> None:
        self.reader = reader
        self.buffer = b""
        self.pos = 0
        self.max_bytes = max_bytes
        self.received = 0

    async def next(self) -> Reply:
        """The next complete reply."""
        while True:
            try:
                reply, self.pos = parse_reply(self.buffer, self.pos)
            except _Incomplete:
                chunk = await self.reader.read(65536)
                if not chunk:
                    raise RedisConnectionError("Connection closed by server.") from None
                self.received += len(chunk)
                if self.max_bytes is not None and self.received > self.max_bytes:
                    raise ReplyTooLarge(self.max_bytes) from None
                self.buffer, self.pos = self.buffer[self.pos :] + chunk, 0
                continue
            return reply

    @property
    def drained(self) -> bool:
        """Whether every byte read so far has been parsed."""
        return self.pos == len(self.buffer)

    @property
    def consumed(self) -> int:
        """Bytes of the stream parsed so far."""
        return self.received - (len(self.buffer) - self.pos)


class SegmentTooLarge(RedisConnectionError):
    """One segment's replies ran past its byte limit; ``done`` holds the segments before it."""

    def __init__(self, done: list[list[Reply]], limit: int) -> None:
        super().__init__(f"the reply was longer than {limit} bytes")
        self.done = done
        self.limit = limit


async def read_segments(
    reader: asyncio.StreamReader, segments: Sequence[tuple[int, int | None]]
) -> list[list[Reply]]:
    """The replies of pipelined segments, each ``(count, max_bytes)`` read within its own limit.

    A segment is cut only by its own bytes: while it is incomplete, nothing of
    the segments after it has arrived yet, so they never count against it.
    """
    stream = ReplyStream(reader)
    done: list[list[Reply]] = []
    for count, max_bytes in segments:
        start = stream.consumed
        stream.max_bytes = None if max_bytes is None else start + max_bytes
        try:
            replies = [await stream.next() for _ in range(count)]
        except ReplyTooLarge:
            raise SegmentTooLarge(done, max_bytes or 0) from None
        # Its bytes may have come in with an earlier segment's read: measured as parsed too.
        if max_bytes is not None and stream.consumed - start > max_bytes:
            raise SegmentTooLarge(done, max_bytes)
        done.append(replies)
    if not stream.drained:
        raise RedisConnectionError("protocol error: more replies than commands")
    return done
