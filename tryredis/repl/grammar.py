"""Rules: the small, reusable pieces a command entry is made of.

Each function returns a ``Rule`` (``Builder -> None``). Key rules record key
positions, ``numkeys`` also answers Redis's own errors for a bad count, limit
rules raise ``Refusal`` when an argument alone would break a sandbox limit, and
probe rules ask the engine to measure state (sizes) before the command runs.
A limit never parses a number more loosely than Redis does (``numbers.py``), so a
value Redis would reject is passed through for Redis to answer, and a value Redis
accepts is always checked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

from tryredis.repl.limits import setting_name
from tryredis.repl.numbers import redis_int
from tryredis.repl.spec import (
    Builder,
    CommandError,
    ElementCap,
    LcsCap,
    Refusal,
    Rule,
    StoreCap,
    StringCap,
    Timeout,
)

W = True
"""For readability in entries: ``key(1, W)`` is a key the command writes."""

Count = Callable[[Sequence[bytes]], int]
SYNTAX_ERROR = "ERR syntax error"


# -- keys ---------------------------------------------------------------------------


def key(index: int, write: bool = False) -> Rule:
    """``args[index]`` is a key."""

    def rule(b: Builder) -> None:
        b.key(index, write)

    return rule


def keys(first: int, last: int = -1, step: int = 1, write: bool = False) -> Rule:
    """Keys from ``first`` to ``last`` (inclusive; negative counts from the end) by ``step``."""

    def rule(b: Builder) -> None:
        end = len(b.args) + last if last < 0 else last
        for index in range(first, end + 1, step):
            b.key(index, write)

    return rule


def numkeys(index: int, style: Literal["zset", "mpop", "sintercard"], write: bool = False) -> Rule:
    """``args[index]`` counts the keys that follow it; a bad count gets Redis's own error.

    The three styles are the three error vocabularies of Redis 7.0: the Z*
    union/intersection family, the *MPOP family, and SINTERCARD.
    """

    def rule(b: Builder) -> None:
        count = redis_int(b.args[index])
        remaining = len(b.args) - index - 1
        if style == "zset":
            if count is None:
                raise CommandError("ERR value is not an integer or out of range")
            if count < 1:
                name = b.spec.name
                raise CommandError(f"ERR at least 1 input key is needed for '{name}' command")
        elif count is None or count < 1:
            raise CommandError("ERR numkeys should be greater than 0")
        if count > remaining:
            if style == "sintercard":
                raise CommandError("ERR Number of keys can't be greater than number of args")
            raise CommandError(SYNTAX_ERROR)
        for position in range(index + 1, index + 1 + count):
            b.key(position, write)

    return rule


def channels(first: int, last: int = -1) -> Rule:
    """Pub/sub channel (or pattern) names from ``first`` to ``last``: prefixed like keys."""

    def rule(b: Builder) -> None:
        end = len(b.args) + last if last < 0 else last
        b.channels.extend(range(first, end + 1))

    return rule


def timeout(index: int, unit: Literal["s", "ms"] = "s") -> Rule:
    """``args[index]`` (negative: from the end) is a blocking timeout for the engine to clamp."""

    def rule(b: Builder) -> None:
        b.timeout = Timeout(index if index >= 0 else len(b.args) + index, unit)

    return rule


# -- probes (limits that depend on the sandbox's state) -----------------------------


def rest(start: int) -> Count:
    """How many arguments there are from ``start`` on (LPUSH's elements)."""
    return lambda args: max(len(args) - start, 0)


def pairs(start: int) -> Count:
    """How many field/value pairs there are from ``start`` on (HSET's fields)."""
    return lambda args: max(len(args) - start, 0) // 2


def elements(key_index: int, measure: bytes, added: int | Count = 1) -> Rule:
    """``args[key_index]`` may gain up to ``added`` elements: ask for an ElementCap probe."""

    def rule(b: Builder) -> None:
        count = added if isinstance(added, int) else added(b.args)
        b.probes.append(ElementCap(key_index, measure, count))

    return rule


def store(measure: bytes, combine: Literal["sum", "min", "first"]) -> Rule:
    """A *STORE's result is bounded by its (read) source keys: ask for a StoreCap probe."""

    def rule(b: Builder) -> None:
        if sources := b.sources():
            b.probes.append(StoreCap(sources, measure, combine))

    return rule


def appended(key_index: int, value_index: int) -> Rule:
    """APPEND: the string grows by the value's length."""

    def rule(b: Builder) -> None:
        b.probes.append(StringCap(key_index, len(b.args[value_index])))

    return rule


def lcs(a: int, b_index: int) -> Rule:
    """LCS: its working memory is (STRLEN a + 1) * (STRLEN b + 1)."""

    def rule(b: Builder) -> None:
        b.probes.append(LcsCap(a, b_index))

    return rule


# -- argument-only limits -------------------------------------------------------------


def string_limit_error(what: str, size: int, max_bytes: int) -> Refusal:
    """The refusal for a string that would outgrow TRYREDIS_STRING_MAX_BYTES."""
    return Refusal(
        f"{what} would make a string of {size} bytes; the limit is {max_bytes} bytes "
        f"({setting_name('string_max_bytes')})"
    )


def setrange_limit(b: Builder) -> None:
    """SETRANGE key offset value: offset + len(value) within the string limit."""
    offset, value = redis_int(b.args[2]), b.args[3]
    limit = b.limits.string_max_bytes
    # An empty value never grows the string (Redis answers the current length).
    if offset is not None and offset >= 0 and value and offset + len(value) > limit:
        what = f"SETRANGE offset {offset} + {len(value)} bytes"
        raise string_limit_error(what, offset + len(value), limit)


def setbit_limit(b: Builder) -> None:
    """SETBIT key offset value: the bit offset within the string limit."""
    offset, limit = redis_int(b.args[2]), b.limits.string_max_bytes
    if offset is not None and offset >= limit * 8:
        raise string_limit_error(f"SETBIT offset {offset}", offset // 8 + 1, limit)


def reply_limit_error(what: str, items: int, cap: int) -> Refusal:
    """The refusal for a reply that would hold more than TRYREDIS_REPLY_MAX_ITEMS items."""
    return Refusal(
        f"{what} would return up to {items} items; the limit is {cap} items in one reply "
        f"({setting_name('reply_max_items')})"
    )


def count_limit(index: int) -> Rule:
    """SRANDMEMBER-style ``count`` at ``index`` (negative repeats elements): |count| <= cap."""

    def rule(b: Builder) -> None:
        count = redis_int(b.args[index]) if index < len(b.args) else None
        cap = b.limits.reply_max_items
        if count is not None and abs(count) > cap:
            raise reply_limit_error(f"{b.spec.display} count {count}", abs(count), cap)

    return rule


def check_pattern(b: Builder, index: int) -> None:
    """Refuse a glob pattern (``args[index]``) longer than TRYREDIS_PATTERN_MAX_BYTES."""
    size, cap = len(b.args[index]), b.limits.pattern_max_bytes
    if size > cap:
        raise Refusal(
            f"{b.spec.display} pattern is {size} bytes long; the limit is {cap} bytes "
            f"({setting_name('pattern_max_bytes')})"
        )


def pattern_limit(first: int, last: int = -1) -> Rule:
    """Arguments ``first``..``last`` are glob patterns (KEYS, PSUBSCRIBE)."""

    def rule(b: Builder) -> None:
        end = len(b.args) + last if last < 0 else last
        for index in range(first, end + 1):
            check_pattern(b, index)

    return rule


def scan_match_limit(start: int) -> Rule:
    """SCAN-family options from ``start`` (MATCH/COUNT/TYPE, each with a value): check MATCH."""

    def rule(b: Builder) -> None:
        index = start
        while index + 1 < len(b.args) and b.args[index].lower() in (b"match", b"count", b"type"):
            if b.args[index].lower() == b"match":
                check_pattern(b, index + 1)
            index += 2

    return rule
