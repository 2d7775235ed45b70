"""The sandbox key index: every key a learner has, with its exact size, type and expiry.

KEYS, SCAN, DBSIZE, RANDOMKEY and FLUSHALL are answered from it, the quotas and
the cost model read it, and the keys panel lists it. It lives next to the
learner's keys (same hash tag, so the same Cluster slot), in four Redis keys:

* ``P u:{id}``: learner key -> ``"<bytes> <elements> <type> <expire-ms>"``, where
  bytes is ``MEMORY USAGE ... SAMPLES 0`` (every element counted, never sampled),
  elements the length (``STRLEN`` for strings), type one letter of ``TYPE``;
* ``P u:{id}.t``: the totals of those entries (``b`` bytes, ``e`` elements, ``k`` keys,
  ``s`` stream entries);
* ``P u:{id}.x``: learner key -> when to measure it again: its expiry time, or its
  soonest hash-field expiry (Redis 7.4+), to find keys that expired or shrank by themselves;
* ``P u:{id}.d``: keys written ahead of a command whose outcome is not yet recorded.

Only the ``SYNC`` script changes the index: it measures the keys it is given,
every key left in ``.d`` and every key whose expiry time has passed, all
atomically. The engine runs it inside the same MULTI/EXEC as the write itself,
so a write and its record can never be separated (a timeout or a dropped
connection loses both or neither), and it writes the keys a command may create
into ``.d`` *before* the command, in the same round trip, so that even a
command whose record failed (a blocking command, a script cache flushed by a
restart) is found and measured by the next sync. FLUSHALL, DELETE and the
janitor delete ``.d`` keys too: nothing the sandbox writes escapes the index.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tryredis.repl.namespace import Namespace
from tryredis.wire import ALONE, Command, Executor, Reply, is_noscript

# Run as the sandbox's Redis user, so its key and command rules apply inside.
# KEYS: index, totals, expiries, dirty. ARGV: the namespace prefix, then names.
SYNC_SCRIPT = """
local index, totals, expiries, dirty = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local prefix = ARGV[1]
local hfe = false
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local codes = {string='s', list='l', set='t', zset='z', hash='h', stream='x'}
local lengths = {string='STRLEN', list='LLEN', set='SCARD', zset='ZCARD', hash='HLEN',
                 stream='XLEN'}
local db, de, dk, ds = 0, 0, 0, 0
local seen = {}
-- When a hash must be measured again because of its fields' own expiry: the soonest
-- field expiry, or in a second if fields expired but the server has not reclaimed them.
local function fields_due(real, count, due)
  local fields = redis.call('HKEYS', real)
  if #fields < count then due = now_ms + 1000 end
  for i = 1, #fields, 500 do
    local batch = {}
    for j = i, math.min(i + 499, #fields) do batch[#batch + 1] = fields[j] end
    for _, t in ipairs(redis.call('HPEXPIRETIME', real, 'FIELDS', #batch, unpack(batch))) do
      if t > 0 and (due <= 0 or t < due) then due = t end
    end
  end
  return due
end
local function measure(name)
  if seen[name] then return end
  seen[name] = true
  local old = redis.call('HGET', index, name)
  local ob, oe, os = 0, 0, 0
  if old then
    local b, e, t = string.match(old, '^(%d+) (%d+) (%a)')
    ob, oe = tonumber(b) or 0, tonumber(e) or 0
    if t == 's' then oe = 1 end
    if t == 'x' then os = oe end
  end
  local real = prefix .. name
  local kind = redis.call('TYPE', real)['ok']
  if kind == 'none' or lengths[kind] == nil then
    if old then
      redis.call('HDEL', index, name)
      dk = dk - 1
    end
    redis.call('ZREM', expiries, name)
    db, de, ds = db - ob, de - oe, ds - os
    return
  end
  local bytes = redis.call('MEMORY', 'USAGE', real, 'SAMPLES', '0')
  local count = redis.call(lengths[kind], real)
  local expire = redis.call('PEXPIRETIME', real)
  if expire < 0 then expire = 0 end
  local due = expire
  if hfe and kind == 'hash' then due = fields_due(real, count, due) end
  if due > 0 then
    redis.call('ZADD', expiries, due, name)
  else
    redis.call('ZREM', expiries, name)
  end
  redis.call('HSET', index, name, bytes .. ' ' .. count .. ' ' .. codes[kind] .. ' ' .. expire)
  if not old then dk = dk + 1 end
  -- Totals count a string as one element (its length is in the entry), and keep
  -- stream entries apart: a stream's reply repeats field names it stores once.
  local elements = count
  if kind == 'string' then elements = 1 end
  local streamed = 0
  if kind == 'stream' then streamed = count end
  db, de, ds = db + bytes - ob, de + elements - oe, ds + streamed - os
end
for i = 2, #ARGV do measure(ARGV[i]) end
for _, name in ipairs(redis.call('SMEMBERS', dirty)) do measure(name) end
redis.call('DEL', dirty)
for _, name in ipairs(redis.call('ZRANGEBYSCORE', expiries, '-inf', now_ms, 'LIMIT', 0, 1000)) do
  measure(name)
end
if db ~= 0 then redis.call('HINCRBY', totals, 'b', db) end
if de ~= 0 then redis.call('HINCRBY', totals, 'e', de) end
if dk ~= 0 then redis.call('HINCRBY', totals, 'k', dk) end
if ds ~= 0 then redis.call('HINCRBY', totals, 's', ds) end
return redis.call('HMGET', totals, 'b', 'e', 'k', 's')
"""

# KEYS: index, totals, expiries, dirty. ARGV: the namespace prefix.
FLUSH_SCRIPT = """
local names = redis.call('HKEYS', KEYS[1])
for _, name in ipairs(redis.call('SMEMBERS', KEYS[4])) do table.insert(names, name) end
for i = 1, #names, 100 do
  local batch = {}
  for j = i, math.min(i + 99, #names) do table.insert(batch, ARGV[1] .. names[j]) end
  redis.call('UNLINK', unpack(batch))
end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
return #names
"""

# On a server with hash-field expiry (HPEXPIRETIME), a hash whose fields expire on their
# own shrinks, or vanishes with its last field, without any command of the learner's: the
# index keeps it in ``.x`` at its soonest field expiry, so the next sync measures it again.
SYNC_FIELDS_SCRIPT = SYNC_SCRIPT.replace("local hfe = false", "local hfe = true", 1)

SCRIPTS = {
    "sync": (SYNC_SCRIPT, hashlib.sha1(SYNC_SCRIPT.encode()).hexdigest().encode()),  # noqa: S324
    "sync_fields": (
        SYNC_FIELDS_SCRIPT,
        hashlib.sha1(SYNC_FIELDS_SCRIPT.encode()).hexdigest().encode(),  # noqa: S324
    ),
    "flush": (FLUSH_SCRIPT, hashlib.sha1(FLUSH_SCRIPT.encode()).hexdigest().encode()),  # noqa: S324
}

TYPE_NAMES = {
    b"s": b"string", b"l": b"list", b"t": b"set", b"z": b"zset", b"h": b"hash", b"x": b"stream",
}  # fmt: skip


@dataclass(frozen=True)
class Usage:
    """A sandbox's totals (expired keys count until pruned).

    ``size`` (bytes) is exact; ``elements`` counts collection elements and one per
    string; ``stream_entries`` is the part of ``elements`` that are stream entries.
    """

    size: int = 0
    elements: int = 0
    keys: int = 0
    stream_entries: int = 0

    @classmethod
    def parse(cls, reply: Reply) -> Usage:
        """From ``HMGET totals b e k s`` (missing fields are 0)."""
        values = reply if isinstance(reply, list) else []
        numbers = [int(v) if isinstance(v, bytes) and v.lstrip(b"-").isdigit() else 0
                   for v in values]  # fmt: skip
        numbers = [max(n, 0) for n in numbers] + [0] * (4 - len(numbers))
        return cls(*numbers[:4])

    def grown(self, size: int, keys: int, elements: int) -> Usage:
        """These totals after a write that adds (at most) so much."""
        return Usage(self.size + size, self.elements + elements, self.keys + keys,
                     self.stream_entries)  # fmt: skip


@dataclass(frozen=True)
class Entry:
    """One key of the index: bytes in Redis, length, type name, expiry (unix ms, 0: none)."""

    size: int
    elements: int
    kind: bytes
    expire_ms: int

    @classmethod
    def parse(cls, raw: Reply) -> Entry | None:
        """From the index's value; None for a key the index does not hold."""
        if not isinstance(raw, bytes):
            return None
        parts = raw.split(b" ")
        if len(parts) != 4:
            return None
        return cls(int(parts[0]), int(parts[1]), TYPE_NAMES.get(parts[2], b"none"), int(parts[3]))


class KeyIndex:
    """One learner's key index."""

    def __init__(
        self, executor: Executor, namespace: Namespace, index_key: bytes, field_expiry: bool = False
    ) -> None:
        self.executor = executor
        self.sync_sha = SCRIPTS["sync_fields" if field_expiry else "sync"][1]
        self.namespace = namespace
        self.key = index_key
        self.keys = (index_key, index_key + b".t", index_key + b".x", index_key + b".d")

    def write_ahead(self, names: Sequence[bytes]) -> list[Command]:
        """Commands to send before a write: its keys are known before they can exist."""
        return [(b"SADD", self.keys[3], *names)] if names else []

    def sync(self, names: Iterable[bytes] = ()) -> Command:
        """The EVALSHA that measures ``names`` (and every pending key); replies the totals."""
        return (b"EVALSHA", self.sync_sha, b"4", *self.keys, self.namespace.prefix, *names)

    async def run_script(
        self, commands: Sequence[Command], expected: int | None = None
    ) -> list[Reply]:
        """Run commands, loading the index scripts if Redis forgot them (a restart)."""
        replies = await self.executor.run(commands, expected=expected)
        if any(is_noscript(reply) for reply in replies):
            await self.load_scripts()
            replies = await self.executor.run(commands, expected=expected)
        return replies

    async def load_scripts(self) -> None:
        """SCRIPT LOAD the index scripts on this sandbox's node."""
        await self.executor.run([(b"SCRIPT", b"LOAD", text) for text, _ in SCRIPTS.values()])

    async def resync(self, names: Sequence[bytes]) -> Usage:
        """Measure ``names`` (after a sync that could not run in its transaction)."""
        (reply,) = await self.run_script([self.sync(names)])
        return Usage.parse(reply)

    async def usage(self) -> Usage:
        """The totals now, after pruning expired and pending keys."""
        (reply,) = await self.run_script([self.sync()])
        return Usage.parse(reply)

    async def entries(self, names: Sequence[bytes]) -> dict[bytes, Entry | None]:
        """The index entries of ``names`` (one HMGET); None for names not in the sandbox."""
        if not names:
            return {}
        unique = list(dict.fromkeys(names))
        (reply,) = await self.executor.run([(b"HMGET", self.key, *unique)])
        values = reply if isinstance(reply, list) else [None] * len(unique)
        return {name: Entry.parse(value) for name, value in zip(unique, values, strict=True)}

    async def listing(self) -> tuple[Usage, dict[bytes, Entry]]:
        """Every key with its entry, after pruning (one round trip)."""
        # Every key name of the sandbox: no small bound, so on a connection of its own.
        replies = await self.run_script([self.sync(), (b"HGETALL", self.key)], expected=ALONE)
        flat = replies[1] if isinstance(replies[1], list) else []
        found: dict[bytes, Entry] = {}
        for name, value in zip(flat[0::2], flat[1::2], strict=True):
            entry = Entry.parse(value)
            if isinstance(name, bytes) and entry is not None:
                found[name] = entry
        return Usage.parse(replies[0]), found

    async def flush(self) -> int:
        """Delete every key of the sandbox (indexed or pending) and the index itself."""
        command = (b"EVALSHA", SCRIPTS["flush"][1], b"4", *self.keys, self.namespace.prefix)
        (reply,) = await self.run_script([command])
        return reply if isinstance(reply, int) else 0
