"""Commands the sandbox answers itself: the keyspace views and transactions.

KEYS/SCAN/RANDOMKEY/DBSIZE would list every learner's keys, FLUSHDB/FLUSHALL would
wipe them, and MULTI/WATCH would leave state on a shared connection (security
notes 1.2 and 1.9): the engine emulates them inside the learner's namespace. Only
their arity, options and limits are checked here.
"""

from tryredis.repl.grammar import keys, pattern_limit, scan_match_limit
from tryredis.repl.options import flush_mode
from tryredis.repl.spec import command

cmd = command("generic", "emulated")
server = command("server", "emulated")
transaction = command("transactions", "transaction")

COMMANDS = (
    cmd("keys", 2, "readonly", pattern_limit(1)),
    cmd("randomkey", 1, "readonly"),
    cmd("scan", -2, "readonly", scan_match_limit(2)),
    server("dbsize", 1, "readonly fast"),
    server("flushall", -1, "write", flush_mode),
    server("flushdb", -1, "write", flush_mode),
    transaction("discard", 1, "noscript loading stale fast allow_busy"),
    transaction("exec", 1, "noscript loading stale skip_slowlog"),
    transaction("multi", 1, "noscript loading stale fast allow_busy"),
    transaction("unwatch", 1, "noscript loading stale fast allow_busy"),
    transaction("watch", -2, "noscript loading stale fast allow_busy", keys(1)),
)
