"""How big a command's reply can be, before it runs.

The bound has two sources. The stored data: a command whose reply carries the
keys' contents answers at most what those keys hold (from the key index, exact
to the byte). And the arguments: a range (``LRANGE k 0 9``, ``COUNT 10``) caps
how many elements come back, each at most ``TRYREDIS_LINE_MAX_BYTES`` (every
element of a collection was once an argument). The bound is the smaller of the
two, except for counts that may repeat elements (``SRANDMEMBER k -1000``),
whose reply can outgrow the key.

Commands that answer only counts, flags, scores or statuses (``SMALL``) carry no
stored data. A command not listed there is assumed to carry data, so a command
added to the table later is bounded, never forgotten.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tryredis.repl.numbers import redis_int

ITEM_OVERHEAD = 48  # RESP framing of one element, plus a score or an ID beside it
BASE = 64

SMALL = frozenset({
    "append", "bitcount", "bitop", "bitpos", "copy", "dbsize", "decr", "decrby", "del",
    "exists", "expire", "expireat", "expiretime", "geoadd", "geodist", "geosearchstore",
    "getbit", "hdel", "hexists", "hincrby", "hincrbyfloat", "hlen", "hset", "hsetnx",
    "hstrlen", "incr", "incrby", "incrbyfloat", "linsert", "llen", "lpush", "lpushx", "lrem",
    "lset", "ltrim", "memory|usage", "mset", "msetnx", "object|encoding", "persist", "pexpire",
    "pexpireat", "pexpiretime", "pfadd", "pfcount", "pfmerge", "ping", "psetex", "pttl",
    "publish", "rename", "renamenx", "rpush", "rpushx", "sadd", "scard", "sdiffstore",
    "setbit", "setex", "setnx", "setrange", "sinterstore", "sintercard", "sismember",
    "smismember", "smove", "srem", "strlen", "sunionstore", "time", "touch", "ttl", "type",
    "unlink", "xack", "xadd", "xdel", "xgroup|create", "xgroup|createconsumer",
    "xgroup|delconsumer", "xgroup|destroy", "xgroup|setid", "xlen", "xtrim", "zadd", "zcard",
    "zcount", "zdiffstore", "zincrby", "zintercard", "zinterstore", "zlexcount", "zmscore",
    "zrangestore", "zrank", "zrem", "zremrangebylex", "zremrangebyrank", "zremrangebyscore",
    "zrevrank", "zscore", "zunionstore",
    # Newer hash commands (offered where the server has them): one integer per field.
    "hexpire", "hexpireat", "hexpiretime", "hpersist", "hpexpire", "hpexpireat",
    "hpexpiretime", "hpttl", "hsetex", "httl",
})  # fmt: skip
"""Replies bounded by the arguments alone (numbers, statuses, one score per member)."""

_POPS = frozenset({"spop", "lpop", "rpop", "zpopmin", "zpopmax"})
_RANDOM = frozenset({"srandmember", "zrandmember", "hrandfield"})
_INDEX_RANGES = frozenset({"lrange", "zrange", "zrevrange"})
_LIMITED = frozenset({"zrangebyscore", "zrevrangebyscore", "zrangebylex", "zrevrangebylex"})


@dataclass(frozen=True)
class ReplyShape:
    """What bounds one command's reply: data or not, and a cap on its elements."""

    data: bool
    items: int | None = None  # at most this many elements (None: no cap from the arguments)
    repeats: bool = False  # elements may repeat (negative RANDMEMBER counts)
    pairs: bool = False  # each element comes with a second value (WITHSCORES, WITHVALUES)


def _word_after(args: Sequence[bytes], word: bytes, start: int, skip: int = 1) -> int | None:
    """The integer after the last ``word`` (case-insensitive) from ``start`` on, if any."""
    found = None
    for index in range(start, len(args) - skip):
        if args[index].lower() == word:
            found = redis_int(args[index + skip])
    return found


def _has(args: Sequence[bytes], word: bytes, start: int) -> bool:
    return any(arg.lower() == word for arg in args[start:])


def shape(name: str, args: Sequence[bytes]) -> ReplyShape:
    """The reply shape of ``args`` (a command of the table, already analysed)."""
    if name in SMALL:
        return ReplyShape(data=False)
    by_value = _has(args, b"byscore", 4) or _has(args, b"bylex", 4)
    if name in _INDEX_RANGES and len(args) >= 4 and not by_value:
        start, stop = redis_int(args[2]), redis_int(args[3])
        pairs = _has(args, b"withscores", 4)
        if start is not None and stop is not None and 0 <= start <= stop:
            return ReplyShape(True, stop - start + 1, pairs=pairs)
        return ReplyShape(True, pairs=pairs)
    if name in _INDEX_RANGES or name in _LIMITED:
        count = _word_after(args, b"limit", 4, 2)
        pairs = _has(args, b"withscores", 4)
        return ReplyShape(True, count if count is not None and count >= 0 else None, pairs=pairs)
    if name in ("getrange", "substr") and len(args) == 4:
        start, end = redis_int(args[2]), redis_int(args[3])
        if start is not None and end is not None and 0 <= start <= end:
            return ReplyShape(True, end - start + 1)
        return ReplyShape(True)
    if name in ("xrange", "xrevrange"):
        count = _word_after(args, b"count", 4)
        return ReplyShape(True, count if count is not None and count >= 0 else None)
    if name in _POPS and len(args) >= 3:
        count = redis_int(args[2])
        return ReplyShape(True, count if count is not None and count >= 0 else None,
                          pairs=name.startswith("z"))  # fmt: skip
    if name in _RANDOM and len(args) >= 3:
        count = redis_int(args[2])
        pairs = _has(args, b"withscores", 3) or _has(args, b"withvalues", 3)
        if count is None:
            return ReplyShape(True, pairs=pairs)
        return ReplyShape(True, abs(count), repeats=count < 0, pairs=pairs)
    if name in ("lmpop", "zmpop", "blmpop", "bzmpop", "xread", "xreadgroup", "sort", "sort_ro"):
        word = b"limit" if name.startswith("sort") else b"count"
        count = _word_after(args, word, 2, 2 if word == b"limit" else 1)
        pairs = name in ("zmpop", "bzmpop")
        return ReplyShape(True, count if count is not None and count >= 0 else None, pairs=pairs)
    return ReplyShape(data=True)


def argument_bytes(args: Sequence[bytes]) -> int:
    """What the arguments alone may add to a reply (echoed fields, one number per argument)."""
    return BASE + sum(len(arg) for arg in args) * 2 + 24 * len(args)


def item_bytes(element_max: int, pairs: bool) -> int:
    """At most how many bytes one element of a reply takes."""
    return (element_max + ITEM_OVERHEAD) * (2 if pairs else 1)
