"""Sorted sets: every ZRANGE form, the numkeys family, blocking pops."""

from tryredis.repl.grammar import (
    W,
    count_limit,
    elements,
    key,
    keys,
    numkeys,
    scan_match_limit,
    store,
    timeout,
)
from tryredis.repl.options import zadd_elements
from tryredis.repl.spec import command

cmd = command("sorted-set")

# The Z*STORE sources may be plain sets too (scored 1): ZCARD answers WRONGTYPE for
# those, and the engine must then measure them with SCARD (or assume the cap).
COMMANDS = (
    cmd("bzmpop", -5, "write blocking movablekeys", timeout(1), numkeys(2, "mpop", W)),
    cmd("bzpopmax", -3, "write noscript blocking fast", keys(1, -2, write=W), timeout(-1)),
    cmd("bzpopmin", -3, "write noscript blocking fast", keys(1, -2, write=W), timeout(-1)),
    cmd("zadd", -4, "write denyoom fast", key(1, W), elements(1, b"ZCARD", zadd_elements)),
    cmd("zcard", 2, "readonly fast", key(1)),
    cmd("zcount", 4, "readonly fast", key(1)),
    cmd("zdiff", -3, "readonly movablekeys", numkeys(1, "zset")),
    cmd("zdiffstore", -4, "write denyoom movablekeys",
        key(1, W), numkeys(2, "zset"), store(b"ZCARD", "first")),
    cmd("zincrby", 4, "write denyoom fast", key(1, W), elements(1, b"ZCARD")),
    cmd("zinter", -3, "readonly movablekeys", numkeys(1, "zset")),
    cmd("zintercard", -3, "readonly movablekeys", numkeys(1, "zset")),
    cmd("zinterstore", -4, "write denyoom movablekeys",
        key(1, W), numkeys(2, "zset"), store(b"ZCARD", "min")),
    cmd("zlexcount", 4, "readonly fast", key(1)),
    cmd("zmpop", -4, "write movablekeys", numkeys(1, "mpop", W)),
    cmd("zmscore", -3, "readonly fast", key(1)),
    cmd("zpopmax", -2, "write fast", key(1, W)),
    cmd("zpopmin", -2, "write fast", key(1, W)),
    cmd("zrandmember", -2, "readonly", key(1), count_limit(2)),
    cmd("zrange", -4, "readonly", key(1)),
    cmd("zrangebylex", -4, "readonly", key(1)),
    cmd("zrangebyscore", -4, "readonly", key(1)),
    cmd("zrangestore", -5, "write denyoom", key(1, W), key(2), store(b"ZCARD", "first")),
    cmd("zrank", 3, "readonly fast", key(1)),
    cmd("zrem", -3, "write fast", key(1, W)),
    cmd("zremrangebylex", 4, "write", key(1, W)),
    cmd("zremrangebyrank", 4, "write", key(1, W)),
    cmd("zremrangebyscore", 4, "write", key(1, W)),
    cmd("zrevrange", -4, "readonly", key(1)),
    cmd("zrevrangebylex", -4, "readonly", key(1)),
    cmd("zrevrangebyscore", -4, "readonly", key(1)),
    cmd("zrevrank", 3, "readonly fast", key(1)),
    cmd("zscan", -3, "readonly", key(1), scan_match_limit(3)),
    cmd("zscore", 3, "readonly fast", key(1)),
    cmd("zunion", -3, "readonly movablekeys", numkeys(1, "zset")),
    cmd("zunionstore", -4, "write denyoom movablekeys",
        key(1, W), numkeys(2, "zset"), store(b"ZCARD", "sum")),
)  # fmt: skip
