"""Option checks that never move keys: limits and counts hidden among options.

BITFIELD's offsets, COPY's DB, FLUSHALL's mode, ZADD/GEOADD's element counts and
the COUNTs that walk a stream group's pending list. Like ``special.py`` they
follow Redis 7.0.15's own option loops; where Redis would reject the command they
stop and leave the answer to Redis.
"""

from __future__ import annotations

from collections.abc import Sequence

from tryredis.repl.grammar import SYNTAX_ERROR, reply_limit_error, string_limit_error
from tryredis.repl.limits import setting_name
from tryredis.repl.numbers import redis_int
from tryredis.repl.spec import Builder, CommandError, Refusal, Rule


def _bitfield_bits(raw: bytes) -> int | None:
    # getBitfieldTypeFromArgument(): lower-case i/u, then string2ll up to a NUL byte.
    if raw[:1] not in (b"i", b"u"):
        return None
    bits = redis_int(raw[1:].split(b"\0", 1)[0])
    if bits is None or not 1 <= bits <= (64 if raw[:1] == b"i" else 63):
        return None
    return bits


def _bitfield_offset(raw: bytes, bits: int) -> int | None:
    # getBitOffsetFromArgument(): "#n" means n * bits.
    by_width = raw[:1] == b"#"
    offset = redis_int(raw[1:] if by_width else raw)
    if offset is None:
        return None
    offset *= bits if by_width else 1
    return offset if offset >= 0 else None


def bitfield(readonly: bool) -> Rule:
    """BITFIELD / BITFIELD_RO: every GET/SET/INCRBY ``type offset`` within the string limit.

    BITFIELD with only GETs does not write its key (Redis's bitfieldGetKeys says the
    same); anything else may.
    """

    def rule(b: Builder) -> None:
        args, limit = b.args, b.limits.string_max_bytes
        b.key(1, not readonly and _bitfield_writes(args))
        index = 2
        while index < len(args):
            word, left = args[index].lower(), len(args) - index - 1
            if word == b"overflow" and left >= 1:
                index += 2
                continue
            width = 2 if word == b"get" else 3 if word in (b"set", b"incrby") else 0
            if not width or left < width:
                break  # Redis answers its syntax error and runs nothing
            bits = _bitfield_bits(args[index + 1])
            offset = None if bits is None else _bitfield_offset(args[index + 2], bits)
            if bits is None or offset is None:
                break  # ditto: Redis rejects the whole command
            if offset + bits > limit * 8:
                what = f"BITFIELD {word.decode().upper()} at bit {offset} + {bits} bits"
                raise string_limit_error(what, (offset + bits + 7) // 8, limit)
            index += width + 1

    return rule


def _bitfield_writes(args: Sequence[bytes]) -> bool:
    # Redis's bitfieldGetKeys(): read-only unless a SET/INCRBY (or a syntax error) shows up.
    index = 2
    while index < len(args):
        word, left = args[index].lower(), len(args) - index - 1
        if word == b"get" and left >= 2:
            index += 3
        elif word == b"overflow" and left >= 1:
            index += 2
        else:
            return True
    return False


def copy_options(b: Builder) -> None:
    """COPY source destination [DB n] [REPLACE]: DB would copy outside the sandbox."""
    index = 3
    while index < len(b.args):
        word = b.args[index].lower()
        if word == b"db" and index + 1 < len(b.args):
            raise Refusal(
                "COPY ... DB is not available in the sandbox: your keys live in one "
                "namespace of database 0, and DB would copy outside it."
            )
        if word != b"replace":
            return  # Redis answers "syntax error"
        index += 1


def flush_mode(b: Builder) -> None:
    """FLUSHDB / FLUSHALL [ASYNC | SYNC], checked as Redis's getFlushCommandFlags()."""
    if len(b.args) > 2 or (len(b.args) == 2 and b.args[1].lower() not in (b"async", b"sync")):
        raise CommandError(SYNTAX_ERROR)


def odd_argc(b: Builder) -> None:
    """MSET / MSETNX need key/value pairs: Redis checks this after the arity."""
    if len(b.args) % 2 == 0:
        raise CommandError(f"ERR wrong number of arguments for '{b.spec.name}' command")


def zadd_elements(args: Sequence[bytes]) -> int:
    """How many members ZADD adds: pairs after its NX XX CH INCR GT LT flags."""
    start = 2
    while start < len(args) and args[start].lower() in (b"nx", b"xx", b"ch", b"incr", b"gt", b"lt"):
        start += 1
    return (len(args) - start) // 2


def geoadd_elements(args: Sequence[bytes]) -> int:
    """How many members GEOADD adds: triples after its NX XX CH flags."""
    start = 2
    while start < len(args) and args[start].lower() in (b"nx", b"xx", b"ch"):
        start += 1
    return (len(args) - start) // 3


def _reply_cap(b: Builder, what: str, count: int) -> None:
    cap = b.limits.reply_max_items
    if count > cap:
        raise reply_limit_error(what, count, cap)


def xpending_limit(b: Builder) -> None:
    """XPENDING key group [[IDLE ms] start end count [consumer]]: count <= reply cap.

    A group's pending list is not bounded by the stream's length (entries stay
    pending after XDEL/XTRIM), so only COUNT bounds the reply.
    """
    start = 5 if len(b.args) > 3 and b.args[3].lower() == b"idle" else 3
    if len(b.args) >= 6 and start + 2 < len(b.args):
        count = redis_int(b.args[start + 2])
        if count is not None:
            _reply_cap(b, f"XPENDING count {count}", count)


def xautoclaim_limit(b: Builder) -> None:
    """XAUTOCLAIM ... [COUNT count] [JUSTID]: COUNT <= reply cap (it walks the pending list)."""
    index = 6
    while index < len(b.args):
        word = b.args[index].lower()
        if word == b"count" and index + 1 < len(b.args):
            count = redis_int(b.args[index + 1])
            if count is not None:
                _reply_cap(b, f"XAUTOCLAIM COUNT {count}", count)
            index += 2
        elif word == b"justid":
            index += 1
        else:
            return


def xinfo_full_limit(b: Builder) -> None:
    """XINFO STREAM key FULL [COUNT n]: COUNT 0 (or negative) means everything; refuse it."""
    if len(b.args) < 4 or b.args[3].lower() != b"full":
        return
    count: int | None = 10  # Redis's default
    if len(b.args) == 6 and b.args[4].lower() == b"count":
        count = redis_int(b.args[5])
    if count is None or len(b.args) not in (4, 6):
        return  # Redis answers its own error
    cap = b.limits.reply_max_items
    if count <= 0 or count > cap:
        what = "every entry" if count <= 0 else f"up to {count} entries"
        raise Refusal(
            f"XINFO STREAM FULL COUNT {count} would list {what}, and as many pending entries "
            f"per group and consumer; give a COUNT from 1 to {cap} "
            f"({setting_name('reply_max_items')})"
        )
