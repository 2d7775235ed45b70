"""Pub/sub within the sandbox's own channels (handled by the engine).

Channel names (and PSUBSCRIBE patterns) are prefixed like keys. Sharded pub/sub
(SPUBLISH, SSUBSCRIBE ...) is refused: it only matters on Redis Cluster.
"""

from tryredis.repl.grammar import channels, pattern_limit
from tryredis.repl.spec import command

cmd = command("pubsub", "pubsub")
forward = command("pubsub")

COMMANDS = (
    cmd("psubscribe", -2, "pubsub noscript loading stale", channels(1), pattern_limit(1)),
    cmd("publish", 3, "pubsub loading stale fast", channels(1, 1)),
    cmd("pubsub|channels", -2, "pubsub loading stale", channels(2), pattern_limit(2)),
    forward("pubsub|help", 2, "loading stale"),
    cmd("pubsub|numpat", 2, "pubsub loading stale"),
    cmd("pubsub|numsub", -2, "pubsub loading stale", channels(2)),
    cmd("punsubscribe", -1, "pubsub noscript loading stale", channels(1), pattern_limit(1)),
    cmd("subscribe", -2, "pubsub noscript loading stale", channels(1)),
    cmd("unsubscribe", -1, "pubsub noscript loading stale", channels(1)),
)
