"""Bitmaps: bit operations on strings."""

from tryredis.repl.grammar import W, key, keys, setbit_limit
from tryredis.repl.options import bitfield
from tryredis.repl.spec import command

cmd = command("bitmap")

# BITOP needs no probe: its result is as long as its longest source, and every
# source string is already within TRYREDIS_STRING_MAX_BYTES.
COMMANDS = (
    cmd("bitcount", -2, "readonly", key(1)),
    cmd("bitfield", -2, "write denyoom", bitfield(readonly=False)),
    cmd("bitfield_ro", -2, "readonly fast", bitfield(readonly=True)),
    cmd("bitop", -4, "write denyoom", key(2, W), keys(3)),
    cmd("bitpos", -3, "readonly", key(1)),
    cmd("getbit", 3, "readonly fast", key(1)),
    cmd("setbit", 4, "write denyoom", key(1, W), setbit_limit),
)
