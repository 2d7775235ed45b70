"""KEYS, SCAN, RANDOMKEY, DBSIZE, FLUSHDB and FLUSHALL, answered inside the sandbox.

Redis's own versions walk the whole server (and would list other learners'
keys); these walk the learner's key index. Their replies, errors and option
parsing follow Redis 7.0 (``keysCommand``, ``scanGenericCommand``,
``parseScanCursorOrReply``, ``getFlushCommandFlags``).

SCAN's cursor never reaches Redis: keys are visited in the order of a hash of
their name (``crc32``), and the cursor is the hash position to resume from, so
a key present for the whole iteration is returned exactly once even if other
keys come and go, as Redis guarantees.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Sequence

from tryredis.repl.glob import glob_match
from tryredis.repl.keyindex import KeyIndex
from tryredis.repl.spec import Refusal
from tryredis.wire import ErrorReply, Reply, Status

ULONG_MAX = 2**64 - 1
SYNTAX_ERROR = ErrorReply(b"ERR syntax error")
NOT_AN_INTEGER = ErrorReply(b"ERR value is not an integer or out of range")
OK = Status(b"OK")


def scan_position(name: bytes) -> int:
    """Where a key sits in SCAN order (never 0: cursor 0 means start and end)."""
    return zlib.crc32(name) + 1


def parse_cursor(raw: bytes) -> int | None:
    """A SCAN cursor as Redis parses it (``strtoul``, no leading space); None if invalid."""
    if raw[:1].isspace():
        return None
    text = raw.lstrip(b" \t\n\v\f\r")
    sign = 1
    if text[:1] in (b"+", b"-"):
        sign = -1 if text[:1] == b"-" else 1
        text = text[1:]
    if not text:
        return 0 if not raw else None  # "" is cursor 0; a lone sign is invalid
    if not text.isdigit():
        return None
    value = int(text)
    if value > ULONG_MAX:
        return None
    return value if sign > 0 else (-value) % (ULONG_MAX + 1)


def _parse_long(raw: bytes) -> int | None:
    try:
        value = int(raw)
    except ValueError:
        return None
    if raw != str(value).encode() or not -(2**63) <= value < 2**63:
        return None
    return value


class Emulated:
    """The keyspace commands for one learner, over their key index."""

    def __init__(self, index: KeyIndex, pattern_max_bytes: int) -> None:
        self.index = index
        self.pattern_max_bytes = pattern_max_bytes

    def _check_pattern(self, pattern: bytes) -> None:
        if len(pattern) > self.pattern_max_bytes:
            raise Refusal(
                f"the pattern is {len(pattern)} bytes; the limit is {self.pattern_max_bytes} "
                "bytes (TRYREDIS_PATTERN_MAX_BYTES)"
            )

    async def run(self, name: str, args: Sequence[bytes]) -> Reply:
        """Answer one emulated command (``name`` is the table's lowercase name)."""
        if name == "keys":
            return await self.keys(args[1])
        if name == "scan":
            return await self.scan(args[1:])
        if name == "randomkey":
            live = await self.index.live_keys()
            return random.choice(live) if live else None  # noqa: S311 - not security
        if name == "dbsize":
            return len(await self.index.live_keys())
        if name in ("flushdb", "flushall"):
            if len(args) > 2 or (len(args) == 2 and args[1].lower() not in (b"async", b"sync")):
                return SYNTAX_ERROR
            await self.index.flush()
            return OK
        raise ValueError(f"{name} is not emulated")

    async def keys(self, pattern: bytes) -> Reply:
        """KEYS pattern."""
        self._check_pattern(pattern)
        live: list[Reply] = [
            name for name in await self.index.live_keys() if glob_match(pattern, name)
        ]
        return live

    async def scan(self, args: Sequence[bytes]) -> Reply:
        """SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]."""
        cursor = parse_cursor(args[0])
        if cursor is None:
            return ErrorReply(b"ERR invalid cursor")
        count, pattern, type_name = 10, None, None
        i = 1
        while i < len(args):
            option, remaining = args[i].lower(), len(args) - i
            if option == b"count" and remaining >= 2:
                value = _parse_long(args[i + 1])
                if value is None:
                    return NOT_AN_INTEGER
                if value < 1:
                    return SYNTAX_ERROR
                count = value
            elif option == b"match" and remaining >= 2:
                pattern = args[i + 1]
                self._check_pattern(pattern)
            elif option == b"type" and remaining >= 2:
                type_name = args[i + 1]
            else:
                return SYNTAX_ERROR
            i += 2
        live = await self.index.live_keys()
        ordered = sorted((scan_position(n), n) for n in live if scan_position(n) >= cursor)
        page = ordered[:count]
        # Keys sharing the last position must come in the same page, or be skipped.
        while len(page) < len(ordered) and ordered[len(page)][0] == page[-1][0]:
            page.append(ordered[len(page)])
        next_cursor = ordered[len(page)][0] if len(page) < len(ordered) else 0
        names = [n for _, n in page if pattern in (None, b"*") or glob_match(pattern, n)]
        if type_name is not None and names:
            types = await self.index.executor.run(
                [(b"TYPE", self.index.namespace.key(n)) for n in names]
            )
            names = [n for n, t in zip(names, types, strict=True) if _same_type(t, type_name)]
        return [str(next_cursor).encode(), list[Reply](names)]


def _same_type(reply: Reply, wanted: bytes) -> bool:
    return isinstance(reply, bytes) and reply.lower() == wanted.lower()
