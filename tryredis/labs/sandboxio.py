"""A small typed Redis client for labs, over ``Sandbox.execute``.

Labs never talk to Redis directly: every command goes through the learner's
sandbox (namespace, key index, limits), exactly like a line typed in the REPL.
The client counts the commands it sends (they are paid for from the learner's
rate limit) and keeps a short trace of them for the page to show.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from tryredis.repl import CommandError, Refusal, Sandbox, format_reply
from tryredis.wire import ErrorReply, Reply, Status

Arg = bytes | str | int | float

_PLAIN = re.compile(rb"[A-Za-z0-9_:./{}\-+*()\[\]=,@#$%^&!?<>|~`]+")
_INTEGER = re.compile(r"-?[0-9]{1,19}")
_HEADER_TEXT = re.compile(r"[\x20-\x7e]{0,512}")
INT64 = 2**63
"""Stored numbers are Redis's: 64-bit signed (anything larger would overflow a float)."""


class LabCommandFailed(Exception):
    """The sandbox refused a lab's command, or Redis answered it with an error."""


def _encode(arg: Arg) -> bytes:
    if isinstance(arg, bytes):
        return arg
    if isinstance(arg, float):
        return repr(arg).encode()
    return str(arg).encode()


def show_arg(arg: bytes) -> str:
    """An argument as one would type it in redis-cli (quoted when it needs to be)."""
    if _PLAIN.fullmatch(arg):
        return arg.decode()
    out = []
    for byte in arg:
        char = chr(byte)
        if char in '"\\':
            out.append("\\" + char)
        elif 0x20 <= byte < 0x7F:
            out.append(char)
        else:
            out.append(f"\\x{byte:02x}")
    return '"' + "".join(out) + '"'


def _text(value: Reply) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else ""


class SandboxRedis:
    """The commands labs need, each one run in the learner's sandbox."""

    def __init__(self, sandbox: Sandbox, *, trace_limit: int = 40) -> None:
        self.sandbox = sandbox
        self.commands = 0
        self.trace: list[str] = []
        self.trace_limit = trace_limit

    async def call(self, *args: Arg) -> Reply:
        """Run one command; raise ``LabCommandFailed`` on a refusal or an error reply."""
        raw = [_encode(a) for a in args]
        self.commands += 1
        try:
            reply = await self.sandbox.execute(raw)
        except (CommandError, Refusal) as error:
            self._record(raw, f"(refused) {error}")
            raise LabCommandFailed(f"{' '.join(map(show_arg, raw))}: {error}") from None
        self._record(raw, format_reply(reply))
        if isinstance(reply, ErrorReply):
            raise LabCommandFailed(f"{' '.join(map(show_arg, raw))}: (error) {_text(reply)}")
        return reply

    def _record(self, raw: Sequence[bytes], output: str) -> None:
        if len(self.trace) < self.trace_limit:
            shown = " ".join(show_arg(a) for a in raw)
            self.trace.append(f"{shown}  →  {output}".replace("\n", " "))

    # Strings and keys

    async def get(self, key: str) -> bytes | None:
        reply = await self.call("GET", key)
        return reply if isinstance(reply, bytes) else None

    async def set(
        self,
        key: str,
        value: Arg,
        *,
        ex: int | None = None,
        px: int | None = None,
        nx: bool = False,
    ) -> bool:
        """SET with its options; True when it was set (False: NX found the key)."""
        args: list[Arg] = ["SET", key, value]
        if ex is not None:
            args += ["EX", ex]
        if px is not None:
            args += ["PX", px]
        if nx:
            args.append("NX")
        return isinstance(await self.call(*args), Status)

    async def delete(self, *keys: str) -> int:
        return _int(await self.call("DEL", *keys))

    async def incr(self, key: str) -> int:
        return _int(await self.call("INCR", key))

    async def expire(self, key: str, seconds: int, *, nx: bool = False) -> bool:
        args: list[Arg] = ["EXPIRE", key, seconds]
        if nx:
            args.append("NX")
        return _int(await self.call(*args)) == 1

    async def pexpire(self, key: str, milliseconds: int) -> bool:
        return _int(await self.call("PEXPIRE", key, milliseconds)) == 1

    async def ttl(self, key: str) -> int:
        return _int(await self.call("TTL", key))

    async def pttl(self, key: str) -> int:
        return _int(await self.call("PTTL", key))

    # Hashes

    async def hset(self, key: str, mapping: Mapping[str, Arg]) -> int:
        flat: list[Arg] = [item for pair in mapping.items() for item in pair]
        return _int(await self.call("HSET", key, *flat))

    async def hsetnx(self, key: str, field: str, value: Arg) -> bool:
        return _int(await self.call("HSETNX", key, field, value)) == 1

    async def hincrby(self, key: str, field: str, amount: int) -> int:
        return _int(await self.call("HINCRBY", key, field, amount))

    async def hmget(self, key: str, *fields: str) -> list[bytes | None]:
        reply = await self.call("HMGET", key, *fields)
        items = reply if isinstance(reply, list) else []
        return [item if isinstance(item, bytes) else None for item in items]

    async def hgetall(self, key: str) -> dict[str, str]:
        reply = await self.call("HGETALL", key)
        items = [_text(item) for item in reply] if isinstance(reply, list) else []
        return dict(zip(items[::2], items[1::2], strict=True))

    # Sets and sorted sets

    async def sadd(self, key: str, *members: str) -> int:
        return _int(await self.call("SADD", key, *members))

    async def srem(self, key: str, *members: str) -> int:
        return _int(await self.call("SREM", key, *members))

    async def zadd(self, key: str, score: float | int, member: str) -> int:
        return _int(await self.call("ZADD", key, score, member))

    async def zremrangebyscore(self, key: str, low: str, high: int | str) -> int:
        return _int(await self.call("ZREMRANGEBYSCORE", key, low, high))

    async def zcard(self, key: str) -> int:
        return _int(await self.call("ZCARD", key))

    async def zrem(self, key: str, member: str) -> int:
        return _int(await self.call("ZREM", key, member))

    async def zrange_withscores(self, key: str, start: int, stop: int) -> list[tuple[str, float]]:
        reply = await self.call("ZRANGE", key, start, stop, "WITHSCORES")
        items = [_text(item) for item in reply] if isinstance(reply, list) else []
        return [
            (member, float(score)) for member, score in zip(items[::2], items[1::2], strict=True)
        ]


def _int(reply: Reply) -> int:
    if isinstance(reply, int):
        return reply
    raise LabCommandFailed(f"expected an integer reply, got {format_reply(reply)}")


def parse_int(value: bytes | str | None, where: str) -> int:
    """A number a lab stored; a clear 409 message if the learner changed it into something else.

    Only what Redis itself reads as an integer (ASCII digits, 64-bit), so no stored
    value can overflow the arithmetic a lab does with it.
    """
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else (value or "")
    if _INTEGER.fullmatch(text) and -INT64 <= int(text) < INT64:
        return int(text)
    raise LabCommandFailed(
        f"{where} holds {_shown(text)}, not a whole number: DEL it (or fix it) and try again"
    )


def header_value(text: str, where: str) -> str:
    """A stored value a lab sends as an HTTP header: visible ASCII only (409 otherwise)."""
    if _HEADER_TEXT.fullmatch(text):
        return text
    raise LabCommandFailed(
        f"{where} holds {_shown(text)}, which cannot be sent as an HTTP header (visible ASCII, "
        "at most 512 characters): DEL it (or fix it) and try again"
    )


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:40] + "...")
