"""Keyspace, expiry, SORT, OBJECT ENCODING, MEMORY USAGE."""

from tryredis.repl.grammar import W, key, keys
from tryredis.repl.options import copy_options
from tryredis.repl.spec import command
from tryredis.repl.special import sort

cmd = command("generic")

# No probe for COPY or SORT ... STORE: the result is a copy (or a sorted copy) of a
# single key that is already within every per-key cap; the memory quota is the
# engine's check after the write. MEMORY USAGE ... SAMPLES 0 walks the whole key,
# which is at most TRYREDIS_KEY_MAX_ELEMENTS elements: as cheap as HGETALL.
COMMANDS = (
    cmd("copy", -3, "write denyoom", key(1), key(2, W), copy_options),
    cmd("del", -2, "write", keys(1, write=W)),
    cmd("exists", -2, "readonly fast", keys(1)),
    cmd("expire", -3, "write fast", key(1, W)),
    cmd("expireat", -3, "write fast", key(1, W)),
    cmd("expiretime", 2, "readonly fast", key(1)),
    cmd("memory|help", 2, "loading stale"),
    cmd("memory|usage", -3, "readonly", key(2)),
    cmd("object|encoding", 3, "readonly", key(2)),
    cmd("object|help", 2, "loading stale"),
    cmd("persist", 2, "write fast", key(1, W)),
    cmd("pexpire", -3, "write fast", key(1, W)),
    cmd("pexpireat", -3, "write fast", key(1, W)),
    cmd("pexpiretime", 2, "readonly fast", key(1)),
    cmd("pttl", 2, "readonly fast", key(1)),
    cmd("rename", 3, "write", key(1, W), key(2, W)),
    cmd("renamenx", 3, "write fast", key(1, W), key(2, W)),
    cmd("sort", -2, "write denyoom movablekeys", sort(readonly=False)),
    cmd("sort_ro", -2, "readonly movablekeys", sort(readonly=True)),
    cmd("touch", -2, "readonly fast", keys(1)),
    cmd("ttl", 2, "readonly fast", key(1)),
    cmd("type", 2, "readonly fast", key(1)),
    cmd("unlink", -2, "write fast", keys(1, write=W)),
)
