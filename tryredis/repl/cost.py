"""The cost model: what a command may cost, bounded before it runs.

For every command the engine computes four upper bounds from the command table
(which arguments are keys, read or written), the arguments, and the sandbox's
key index (exact bytes, lengths and types):

* **reply**: bytes Redis may send back (``replysize.py``);
* **work**: elements Redis may touch, which bounds the time it holds the shared
  server (``REDIS_ELEMENTS_PER_MS`` converts it to milliseconds);
* **growth**: bytes the sandbox may grow by, and **new keys** it may create;
* the per-key caps of the table's probes (elements per key, string size, LCS).

A ``View`` is what the bounds are computed against. A *loose* view knows only
the sandbox's totals, which bound every key at once (a key holds at most what
the whole sandbox holds), so most commands of most learners are checked with no
Redis round trip at all. When a loose bound would refuse, the engine reads the
exact entries of the command's keys (one HMGET) and checks again: a refusal is
always computed from exact sizes. Whether a bound passes a limit, and the message
that says so, is ``refusals.py``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from tryredis.repl.keyindex import Entry, Usage
from tryredis.repl.limits import Limits
from tryredis.repl.replysize import argument_bytes, item_bytes, shape
from tryredis.repl.spec import Analysis, ElementCap, LcsCap, StoreCap

REDIS_ELEMENTS_PER_MS = 2_000
"""Elements Redis handles per millisecond in the slowest of its O(N) commands (a
ZUNIONSTORE with WEIGHTS, a SORT ALPHA): measured by bench/redis_time.py on the
reference machine (a shared 2-vCPU VM) with a margin; faster hardware only helps."""

STRING_BYTES_PER_ELEMENT = 64  # string commands (BITCOUNT, GETRANGE, BITOP) walk bytes
STREAM_FIELDS = 32  # a stream entry holds at most 32 field/value pairs of one line
KEY_OVERHEAD = 512  # a new key: its name, dict entry, object header, expiry slot
ELEMENT_OVERHEAD = 160  # one added element at worst: dict entry, skiplist node, sds header
CONVERSION = 128  # per element, when a small encoding (listpack, intset) converts
SMALL_ENCODING_MAX = 512  # set-max-intset-entries: the largest small encoding converted
STREAM_NODE = 8_192  # XADD may open a new listpack node (stream-node-max-bytes 4096)
HLL_DENSE = 16_384  # a HyperLogLog turning dense: 12 KB of registers
LCS_CELLS_PER_ELEMENT = 32  # LCS fills a table of (len(a)+1) * (len(b)+1) integers

_SHRINKS = frozenset({
    "del", "unlink", "getdel", "srem", "hdel", "zrem", "lrem", "ltrim", "lpop", "rpop", "spop",
    "zpopmin", "zpopmax", "lmpop", "zmpop", "blpop", "brpop", "blmpop", "bzpopmin", "bzpopmax",
    "bzmpop", "zremrangebyrank", "zremrangebyscore", "zremrangebylex", "xdel", "xtrim", "xack",
    "xgroup|destroy", "xgroup|delconsumer", "persist", "hgetdel", "hpersist",
})  # fmt: skip
# Writes that change existing keys only: a hash-field TTL on a missing key is a no-op (-2).
# They still grow the sandbox (a field's expiry takes room, a listpack may convert), which
# growth_bound counts like any write; a field expiring later is measured by the index.
_NO_NEW_KEYS = frozenset({"hexpire", "hexpireat", "hpexpire", "hpexpireat", "hgetex"})
_MOVES = frozenset({"lmove", "rpoplpush", "smove", "blmove", "brpoplpush"})
_COPIES = frozenset({"copy", "sort", "georadius", "georadiusbymember"})
_STRINGS = frozenset({"setrange", "setbit", "bitfield", "append"})
_CLAIMS = frozenset({"xreadgroup", "xclaim", "xautoclaim"})


@dataclass
class View:
    """The sandbox as the bounds see it: totals, and exact entries once read."""

    usage: Usage
    entries: dict[bytes, Entry | None] | None = None  # None: only the totals are known
    changed: set[bytes] = field(default_factory=set)  # keys a transaction wrote so far

    @property
    def exact(self) -> bool:
        """Whether the entries of the command's keys are known."""
        return self.entries is not None

    def entry(self, name: bytes) -> Entry | None:
        """The exact entry of key ``name`` (None: no such key); only on an exact view."""
        assert self.entries is not None
        return self.entries.get(name)


@dataclass(frozen=True)
class Bounds:
    """What one command may cost at most."""

    reply: int
    work: int
    growth: int
    new_keys: int
    added: int  # elements it may add


def _whole_reply(entry: Entry | None, limits: Limits) -> int:
    """At most how many bytes reading all of one key answers."""
    if entry is None:
        return 0
    if entry.kind == b"string":
        return entry.elements + item_bytes(0, False)
    if entry.kind == b"stream":  # field names are stored once per node, sent per entry
        return entry.elements * item_bytes(limits.line_max_bytes, False)
    return entry.size + entry.elements * item_bytes(0, True)


def _loose_reply(usage: Usage, limits: Limits) -> int:
    streams = usage.stream_entries * item_bytes(limits.line_max_bytes, False)
    return usage.size + usage.elements * item_bytes(0, True) + streams


def _work(entry: Entry | None) -> int:
    if entry is None:
        return 0
    if entry.kind == b"string":
        return entry.elements // STRING_BYTES_PER_ELEMENT + 1
    if entry.kind == b"stream":
        return entry.elements * STREAM_FIELDS
    return entry.elements


def _loose_work(usage: Usage) -> int:
    return (usage.elements + usage.stream_entries * STREAM_FIELDS
            + usage.size // STRING_BYTES_PER_ELEMENT)  # fmt: skip


def reply_bound(analysis: Analysis, args: Sequence[bytes], limits: Limits, view: View) -> int:
    """At most how many bytes the reply takes."""
    reply = shape(analysis.spec.name, args)
    total = argument_bytes(args)
    if not reply.data:
        return total
    names = [args[k.index] for k in analysis.keys]
    item = item_bytes(limits.line_max_bytes, reply.pairs)
    if reply.repeats and reply.items is not None:  # SRANDMEMBER k -N: N copies of elements
        biggest = limits.line_max_bytes
        if view.exact:
            biggest = max((e.size for e in map(view.entry, names) if e), default=0)
        return total + len(names) * reply.items * item_bytes(min(biggest, limits.line_max_bytes),
                                                             reply.pairs)  # fmt: skip
    capped = reply.items * item if reply.items is not None else None
    if view.exact:
        for name in names:
            whole = _whole_reply(view.entry(name), limits)
            total += whole if capped is None else min(whole, capped)
        return total
    most = max(Counter(names).values(), default=0) * _loose_reply(view.usage, limits)
    return total + (most if capped is None else min(most, capped * len(names)))


def work_bound(analysis: Analysis, args: Sequence[bytes], limits: Limits, view: View) -> int:
    """At most how many elements Redis touches (O(1) commands touch their arguments)."""
    spec = analysis.spec
    if "fast" in spec.flags:
        return len(args)
    names = [args[k.index] for k in analysis.keys]
    if view.exact:
        work = sum(_work(view.entry(name)) for name in names)
    else:
        work = max(Counter(names).values(), default=0) * _loose_work(view.usage)
    for probe in analysis.probes:
        if isinstance(probe, LcsCap) and view.exact:
            a, b = view.entry(args[probe.a]), view.entry(args[probe.b])
            cells = ((a.elements if a else 0) + 1) * ((b.elements if b else 0) + 1)
            work = max(work, cells // LCS_CELLS_PER_ELEMENT)
        elif isinstance(probe, LcsCap):  # each string is at most what the sandbox holds
            side = min(view.usage.size, limits.string_max_bytes) + 1
            work = max(work, side * side // LCS_CELLS_PER_ELEMENT)
    return work + len(args)


def _string_target(name: str, args: Sequence[bytes], limits: Limits) -> int:
    """The longest string SETRANGE/SETBIT/BITFIELD/APPEND can leave (before its own check)."""
    if name == "setrange" and len(args) == 4 and args[2].isdigit():
        return int(args[2]) + len(args[3])
    if name == "setbit" and len(args) == 4 and args[2].isdigit():
        return int(args[2]) // 8 + 1
    return limits.string_max_bytes


def growth_bound(analysis: Analysis, args: Sequence[bytes], limits: Limits, view: View) -> int:
    """At most how many bytes the sandbox grows by."""
    name = analysis.spec.name
    writes = analysis.written(args)
    if not writes or name in _SHRINKS:
        return 0
    sources = [args[k.index] for k in analysis.keys if not k.write]
    if name in _MOVES:
        return limits.line_max_bytes + ELEMENT_OVERHEAD + KEY_OVERHEAD
    if name in ("rename", "renamenx"):
        return KEY_OVERHEAD
    if name in ("pfadd", "pfmerge"):
        return HLL_DENSE + KEY_OVERHEAD
    if name in _STRINGS:
        target = _string_target(name, args, limits)
        current = view.entry(writes[0]) if view.exact else None
        if name == "append":
            length = current.elements if current else (0 if view.exact else view.usage.size)
            target = length + len(args[2])
        # Growing a string may allocate twice its new length (sds), replacing what it held.
        final = 2 * min(target, limits.string_max_bytes) + KEY_OVERHEAD
        return max(final - (current.size if current else 0), 0)
    store = any(isinstance(p, StoreCap) for p in analysis.probes) or name in _COPIES
    if store or name == "bitop":
        if view.exact:
            held = [e for e in (view.entry(s) for s in sources) if e]
            copied = sum(e.size + CONVERSION * e.elements for e in held)
        else:
            copied = len(sources) * (view.usage.size + CONVERSION * view.usage.elements)
        if name == "bitop":
            copied *= 2
        return copied + KEY_OVERHEAD
    if name in _CLAIMS:
        entries = (
            view.usage.elements
            if not view.exact
            else sum(e.elements for e in (view.entry(n) for n in writes) if e)
        )
        return 96 * (entries + 1) + KEY_OVERHEAD
    growth = 2 * sum(len(a) for a in args) + ELEMENT_OVERHEAD * len(args)
    growth += KEY_OVERHEAD * len(writes)
    if analysis.spec.group == "stream":
        growth += STREAM_NODE
    for written in writes:  # a small encoding may convert to a large one
        if view.exact:
            entry = view.entry(written)
            if entry and entry.kind in (b"set", b"hash", b"zset"):
                growth += CONVERSION * min(entry.elements + len(args), SMALL_ENCODING_MAX)
        else:
            growth += CONVERSION * min(view.usage.elements + len(args), SMALL_ENCODING_MAX)
    return growth


def new_keys(analysis: Analysis, args: Sequence[bytes], view: View) -> int:
    """At most how many keys the command creates."""
    if analysis.spec.name in _SHRINKS or analysis.spec.name in _NO_NEW_KEYS:
        return 0
    writes = analysis.written(args)
    if not view.exact:
        return len(writes)
    return sum(1 for name in writes if view.entry(name) is None and name not in view.changed)


def bounds(analysis: Analysis, args: Sequence[bytes], limits: Limits, view: View) -> Bounds:
    """Every bound of one command against ``view``."""
    added = sum(p.added for p in analysis.probes if isinstance(p, ElementCap))
    return Bounds(
        reply=reply_bound(analysis, args, limits, view),
        work=work_bound(analysis, args, limits, view),
        growth=growth_bound(analysis, args, limits, view),
        new_keys=new_keys(analysis, args, view),
        added=added,
    )
