"""Hashes."""

from tryredis.repl.grammar import W, count_limit, elements, key, pairs, scan_match_limit
from tryredis.repl.spec import command

cmd = command("hash")

COMMANDS = (
    cmd("hdel", -3, "write fast", key(1, W)),
    cmd("hexists", 3, "readonly fast", key(1)),
    cmd("hget", 3, "readonly fast", key(1)),
    cmd("hgetall", 2, "readonly", key(1)),
    cmd("hincrby", 4, "write denyoom fast", key(1, W), elements(1, b"HLEN")),
    cmd("hincrbyfloat", 4, "write denyoom fast", key(1, W), elements(1, b"HLEN")),
    cmd("hkeys", 2, "readonly", key(1)),
    cmd("hlen", 2, "readonly fast", key(1)),
    cmd("hmget", -3, "readonly fast", key(1)),
    cmd("hmset", -4, "write denyoom fast", key(1, W), elements(1, b"HLEN", pairs(2))),
    cmd("hrandfield", -2, "readonly", key(1), count_limit(2)),
    cmd("hscan", -3, "readonly", key(1), scan_match_limit(3)),
    cmd("hset", -4, "write denyoom fast", key(1, W), elements(1, b"HLEN", pairs(2))),
    cmd("hsetnx", 4, "write denyoom fast", key(1, W), elements(1, b"HLEN")),
    cmd("hstrlen", 3, "readonly fast", key(1)),
    cmd("hvals", 2, "readonly", key(1)),
)
