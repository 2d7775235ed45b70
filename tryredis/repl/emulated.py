"""KEYS, SCAN, RANDOMKEY, DBSIZE, FLUSHDB and FLUSHALL, answered inside the sandbox.

Redis's own versions walk the whole server (and would list other learners'
keys); these walk the learner's key index. Their replies, errors and option
parsing follow Redis 7.0 (``keysCommand``, ``scanGenericCommand``,
``parseScanCursorOrReply``, ``getFlushCommandFlags``).

SCAN's cursor never reaches Redis: keys are visited in the order of a hash of
their name (``crc32``), and the cursor is the hash position to resume from, so
a key present for the whole iteration is returned exactly once even if other
keys come and go, as Redis guarantees.

Each costs one round trip whatever the number of keys (the index is read whole,
expired keys pruned in the same call), and matching a pattern costs the worker
one step per byte of key names: it yields to other requests every
``TRYREDIS_MATCH_CHUNK_BYTES`` (about a millisecond) and is paid for from the
learner's rate limit past 64 KiB.
KEYS and SCAN replies count against ``TRYREDIS_REPLY_MAX_BYTES`` and the
request's ``TRYREDIS_REQUEST_REPLY_MAX_BYTES`` like any reply, measured on the
matched names before the reply is formatted.
"""

from __future__ import annotations

import asyncio
import random
import zlib
from collections.abc import Iterable, Sequence

from tryredis.repl.context import Context
from tryredis.repl.glob import Glob, compile_glob
from tryredis.repl.refusals import reply_refusal
from tryredis.repl.replysize import BASE, item_bytes
from tryredis.repl.runner import Meter
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


async def matching(glob: Glob, names: Iterable[bytes], chunk_bytes: int) -> list[bytes]:
    """The names that match, yielding to other requests between chunks of at most
    ``chunk_bytes`` of them (or one name, when a name alone is longer)."""
    found, done = [], 0
    for name in names:
        cost = Glob.cost(name)
        if done and done + cost > chunk_bytes:
            done = 0
            await asyncio.sleep(0)
        if glob.matches(name):
            found.append(name)
        done += cost
    return found


def names_bytes(names: Iterable[bytes]) -> int:
    """What matching a pattern against ``names`` costs (steps)."""
    return sum(Glob.cost(name) for name in names)


class Emulated:
    """The keyspace commands for one learner, over their key index."""

    def __init__(self, context: Context, meter: Meter) -> None:
        self.index = context.index
        self.limits = context.limits
        self.meter = meter

    async def _answer(self, command: str, names: list[bytes]) -> list[Reply]:
        """``names`` as a reply, once its bytes fit the reply limits (Refusal if not); paid."""
        size = BASE + sum(item_bytes(len(name), False) for name in names)
        refused = reply_refusal(command, size, self.limits, self.meter.reply_left)
        if refused is not None:
            raise refused
        await self.meter.spend(size)
        return list[Reply](names)

    async def _match(self, pattern: bytes | None, names: Sequence[bytes]) -> list[bytes]:
        if pattern is None or pattern == b"*":
            return list(names)
        await self.meter.pay(names_bytes(names), f"matching a pattern over {len(names)} key names")
        return await matching(compile_glob(pattern), names, self.limits.match_chunk_bytes)

    async def run(self, name: str, args: Sequence[bytes]) -> Reply:
        """Answer one emulated command (``name`` is the table's lowercase name).

        The table has checked arity, the pattern's length and FLUSHALL's mode.
        """
        if name == "keys":
            _, entries = await self.index.listing()
            return await self._answer("KEYS", await self._match(args[1], list(entries)))
        if name == "scan":
            return await self.scan(args[1:])
        if name == "randomkey":
            _, entries = await self.index.listing()
            return random.choice(list(entries)) if entries else None  # noqa: S311 - not security
        if name == "dbsize":
            return (await self.index.usage()).keys
        if name in ("flushdb", "flushall"):
            await self.index.flush()
            return OK
        raise ValueError(f"{name} is not emulated")

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
            elif option == b"type" and remaining >= 2:
                type_name = args[i + 1]
            else:
                return SYNTAX_ERROR
            i += 2
        _, entries = await self.index.listing()
        ordered = sorted((scan_position(n), n) for n in entries if scan_position(n) >= cursor)
        page = ordered[:count]
        # Keys sharing the last position must come in the same page, or be skipped.
        while len(page) < len(ordered) and ordered[len(page)][0] == page[-1][0]:
            page.append(ordered[len(page)])
        next_cursor = ordered[len(page)][0] if len(page) < len(ordered) else 0
        names = await self._match(pattern, [n for _, n in page])
        if type_name is not None:
            wanted = type_name.lower()
            names = [n for n in names if entries[n].kind == wanted]
        return [str(next_cursor).encode(), await self._answer("SCAN", names)]


ELEMENT_SCANS = {"sscan": 1, "hscan": 2, "zscan": 2}
"""The SCAN family on one key, and how many reply items each element takes."""


def without_match(args: Sequence[bytes]) -> tuple[list[bytes], bytes | None]:
    """``XSCAN key cursor ...`` without its MATCH options, and the pattern that applied.

    Redis matches after it has collected the elements, so matching in the worker
    instead returns exactly the same elements, and Redis never spends its time on
    a learner's pattern. Options are walked as Redis walks them; anything it would
    reject is left in place for Redis to answer.
    """
    kept, pattern, index = list(args[:3]), None, 3
    while index < len(args):
        word = args[index].lower()
        if word in (b"match", b"count") and index + 1 < len(args):
            if word == b"match":
                pattern = args[index + 1]
            else:
                kept += args[index : index + 2]
            index += 2
        else:
            kept += args[index:]
            break
    return kept, pattern


async def filter_scan(reply: Reply, pattern: bytes, width: int, meter: Meter) -> Reply:
    """An XSCAN reply keeping the elements whose name matches ``pattern``."""
    if pattern == b"*" or not isinstance(reply, list) or len(reply) != 2:
        return reply
    items = reply[1]
    if not isinstance(items, list):
        return reply
    names = [item for item in items[::width] if isinstance(item, bytes)]
    await meter.pay(names_bytes(names), f"matching a pattern over {len(names)} elements")
    chunk = meter.context.limits.match_chunk_bytes
    keep = set(await matching(compile_glob(pattern), names, chunk))
    kept: list[Reply] = []
    for start in range(0, len(items), width):
        if items[start] in keep:
            kept += items[start : start + width]
    return [reply[0], kept]
