"""Sets."""

from tryredis.repl.grammar import (
    W,
    count_limit,
    elements,
    key,
    keys,
    numkeys,
    rest,
    scan_match_limit,
    store,
)
from tryredis.repl.spec import command

cmd = command("set")

COMMANDS = (
    cmd("sadd", -3, "write denyoom fast", key(1, W), elements(1, b"SCARD", rest(2))),
    cmd("scard", 2, "readonly fast", key(1)),
    cmd("sdiff", -2, "readonly", keys(1)),
    cmd("sdiffstore", -3, "write denyoom", key(1, W), keys(2), store(b"SCARD", "first")),
    cmd("sinter", -2, "readonly", keys(1)),
    cmd("sintercard", -3, "readonly movablekeys", numkeys(1, "sintercard")),
    cmd("sinterstore", -3, "write denyoom", key(1, W), keys(2), store(b"SCARD", "min")),
    cmd("sismember", 3, "readonly fast", key(1)),
    cmd("smembers", 2, "readonly", key(1)),
    cmd("smismember", -3, "readonly fast", key(1)),
    cmd("smove", 4, "write fast", key(1, W), key(2, W), elements(2, b"SCARD")),
    cmd("spop", -2, "write fast", key(1, W)),
    cmd("srandmember", -2, "readonly", key(1), count_limit(2)),
    cmd("srem", -3, "write fast", key(1, W)),
    cmd("sscan", -3, "readonly", key(1), scan_match_limit(3)),
    cmd("sunion", -2, "readonly", keys(1)),
    cmd("sunionstore", -3, "write denyoom", key(1, W), keys(2), store(b"SCARD", "sum")),
)
