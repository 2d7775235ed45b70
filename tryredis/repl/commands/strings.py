"""Strings and counters."""

from tryredis.repl.grammar import W, appended, key, keys, lcs, setrange_limit
from tryredis.repl.options import odd_argc
from tryredis.repl.spec import command

cmd = command("string")

# A string only grows past the line length through SETRANGE (checked here), APPEND
# (probed) and the bitmap commands; SET/GETSET/MSET values are bounded by the line.
COMMANDS = (
    cmd("append", 3, "write denyoom fast", key(1, W), appended(1, 2)),
    cmd("decr", 2, "write denyoom fast", key(1, W)),
    cmd("decrby", 3, "write denyoom fast", key(1, W)),
    cmd("get", 2, "readonly fast", key(1)),
    cmd("getdel", 2, "write fast", key(1, W)),
    cmd("getex", -2, "write fast", key(1, W)),
    cmd("getrange", 4, "readonly", key(1)),
    cmd("getset", 3, "write denyoom fast", key(1, W)),
    cmd("incr", 2, "write denyoom fast", key(1, W)),
    cmd("incrby", 3, "write denyoom fast", key(1, W)),
    cmd("incrbyfloat", 3, "write denyoom fast", key(1, W)),
    cmd("lcs", -3, "readonly", key(1), key(2), lcs(1, 2)),
    cmd("mget", -2, "readonly fast", keys(1)),
    cmd("mset", -3, "write denyoom", odd_argc, keys(1, -1, 2, W)),
    cmd("msetnx", -3, "write denyoom", odd_argc, keys(1, -1, 2, W)),
    cmd("psetex", 4, "write denyoom", key(1, W)),
    cmd("set", -3, "write denyoom", key(1, W)),
    cmd("setex", 4, "write denyoom", key(1, W)),
    cmd("setnx", 3, "write denyoom fast", key(1, W)),
    cmd("setrange", 4, "write denyoom", key(1, W), setrange_limit),
    cmd("strlen", 2, "readonly fast", key(1)),
    cmd("substr", 4, "readonly", key(1)),
)
