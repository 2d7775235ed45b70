"""Streams and consumer groups."""

from tryredis.repl.grammar import W, elements, key
from tryredis.repl.options import xautoclaim_limit, xinfo_full_limit, xpending_limit
from tryredis.repl.spec import command
from tryredis.repl.special import xread

cmd = command("stream")

# XRANGE/XREVRANGE/XREAD COUNT need no limit: a stream holds at most
# TRYREDIS_KEY_MAX_ELEMENTS entries. A group's pending list does not shrink with
# the stream, so the commands that walk it (XPENDING, XAUTOCLAIM, XINFO FULL) do.
COMMANDS = (
    cmd("xack", -4, "write fast", key(1, W)),
    cmd("xadd", -5, "write denyoom fast", key(1, W), elements(1, b"XLEN")),
    cmd("xautoclaim", -6, "write fast", key(1, W), xautoclaim_limit),
    cmd("xclaim", -6, "write fast", key(1, W)),
    cmd("xdel", -3, "write fast", key(1, W)),
    cmd("xgroup|create", -5, "write denyoom", key(2, W)),
    cmd("xgroup|createconsumer", 5, "write denyoom", key(2, W)),
    cmd("xgroup|delconsumer", 5, "write", key(2, W)),
    cmd("xgroup|destroy", 4, "write", key(2, W)),
    cmd("xgroup|help", 2, "loading stale"),
    cmd("xgroup|setid", -5, "write", key(2, W)),
    cmd("xinfo|consumers", 4, "readonly", key(2)),
    cmd("xinfo|groups", 3, "readonly", key(2)),
    cmd("xinfo|help", 2, "loading stale"),
    cmd("xinfo|stream", -3, "readonly", key(2), xinfo_full_limit),
    cmd("xlen", 2, "readonly fast", key(1)),
    cmd("xpending", -3, "readonly", key(1), xpending_limit),
    cmd("xrange", -4, "readonly", key(1)),
    cmd("xread", -4, "readonly blocking movablekeys", xread(group=False)),
    cmd("xreadgroup", -7, "write blocking movablekeys", xread(group=True)),
    cmd("xrevrange", -4, "readonly", key(1)),
    cmd("xsetid", -3, "write denyoom fast", key(1, W)),
    cmd("xtrim", -4, "write", key(1, W)),
)
