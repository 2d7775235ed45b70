"""Lists, blocking pops included (their timeouts are clamped by the engine)."""

from tryredis.repl.grammar import W, elements, key, keys, numkeys, rest, timeout
from tryredis.repl.spec import command

cmd = command("list")

COMMANDS = (
    cmd("blmove", 6, "write denyoom noscript blocking",
        key(1, W), key(2, W), timeout(5), elements(2, b"LLEN")),
    cmd("blmpop", -5, "write blocking movablekeys", timeout(1), numkeys(2, "mpop", W)),
    cmd("blpop", -3, "write noscript blocking", keys(1, -2, write=W), timeout(-1)),
    cmd("brpop", -3, "write noscript blocking", keys(1, -2, write=W), timeout(-1)),
    cmd("brpoplpush", 4, "write denyoom noscript blocking",
        key(1, W), key(2, W), timeout(3), elements(2, b"LLEN")),
    cmd("lindex", 3, "readonly", key(1)),
    cmd("linsert", 5, "write denyoom", key(1, W), elements(1, b"LLEN")),
    cmd("llen", 2, "readonly fast", key(1)),
    cmd("lmove", 5, "write denyoom", key(1, W), key(2, W), elements(2, b"LLEN")),
    cmd("lmpop", -4, "write movablekeys", numkeys(1, "mpop", W)),
    cmd("lpop", -2, "write fast", key(1, W)),
    cmd("lpos", -3, "readonly", key(1)),
    cmd("lpush", -3, "write denyoom fast", key(1, W), elements(1, b"LLEN", rest(2))),
    cmd("lpushx", -3, "write denyoom fast", key(1, W), elements(1, b"LLEN", rest(2))),
    cmd("lrange", 4, "readonly", key(1)),
    cmd("lrem", 4, "write", key(1, W)),
    cmd("lset", 4, "write denyoom", key(1, W)),
    cmd("ltrim", 4, "write", key(1, W)),
    cmd("rpop", -2, "write fast", key(1, W)),
    cmd("rpoplpush", 3, "write denyoom", key(1, W), key(2, W), elements(2, b"LLEN")),
    cmd("rpush", -3, "write denyoom fast", key(1, W), elements(1, b"LLEN", rest(2))),
    cmd("rpushx", -3, "write denyoom fast", key(1, W), elements(1, b"LLEN", rest(2))),
)  # fmt: skip
