"""HyperLogLog: PFADD, PFCOUNT, PFMERGE (PFDEBUG and PFSELFTEST are refused)."""

from tryredis.repl.grammar import W, key, keys
from tryredis.repl.spec import command

cmd = command("hyperloglog")

# An HLL is at most 12 KiB (dense encoding), so no probe. PFCOUNT is a write for
# the key: it may refresh the cached cardinality stored in the value.
COMMANDS = (
    cmd("pfadd", -2, "write denyoom fast", key(1, W)),
    cmd("pfcount", -2, "readonly", keys(1, write=W)),
    cmd("pfmerge", -2, "write denyoom", key(1, W), keys(2)),
)
