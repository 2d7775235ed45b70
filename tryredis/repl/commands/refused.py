"""Everything Redis 7.0.15 has that the sandbox refuses, each with its reason.

The learner sees ``<COMMAND> is not available in the sandbox: <reason>``. The
arity and flags are Redis's own (checked against ``COMMAND INFO`` by the tests),
so a refused command still gets Redis's wrong-number-of-arguments error first.
"""

from tryredis.repl.spec import CommandSpec, command

USERS = "it manages the server's users and passwords."
CLIENTS = "it lists or changes client connections, which many learners share."
CLUSTER = "it manages Redis Cluster routing, not your data."
COMMAND = "it describes the server's command table; type `help` instead."
CONFIG = "it reads and changes the whole server's configuration."
DEBUG = "it is a debugging tool that can stall or crash the server."
DUMP = "its payload is only useful to RESTORE, which is refused too."
RESTORE = "it loads raw serialized data, and crafted payloads have crashed Redis."
SCRIPTS = (
    "scripts can reach keys outside your sandbox and can freeze the server; "
    "use MULTI/EXEC for atomic steps."
)
SHARED_SCRIPTS = "functions and the script cache are shared by the whole server."
REPLICATION = "it controls replication between servers, which the sandbox does not have."
SERVER_INFO = "it reports on the whole server and its other clients, not your sandbox."
MIGRATE = "it copies keys to another server over the network."
MODULE = "it loads native code into the server."
MONITOR = "it shows other clients' commands and arguments, including other learners'."
DATABASES = "your sandbox is one namespace in database 0; this would reach other databases."
PERSISTENCE = "it saves, loads or stops the whole server, which the site manages."
CONNECTION = (
    "the sandbox manages its shared connections itself; this would change their user, "
    "protocol or state."
)
SHARDED = "sharded pub/sub is for Redis Cluster; use PUBLISH and SUBSCRIBE."
OBJECT_FREQ = "it reads the server's LFU eviction counter, which depends on its maxmemory-policy."
OBJECT_IDLETIME = (
    "the sandbox itself reads your keys around your commands, so the idle time would "
    "mislead (and it depends on the server's maxmemory-policy)."
)
OBJECT_REFCOUNT = "it shows how the server shares values internally, not anything about your data."

cmd = command("sandbox", "refused")

# fmt: off
ROWS: tuple[tuple[str, int, str, str], ...] = (
    ("acl|cat", -2, "noscript loading stale", USERS),
    ("acl|deluser", -3, "admin noscript loading stale", USERS),
    ("acl|dryrun", -4, "admin noscript loading stale", USERS),
    ("acl|genpass", -2, "noscript loading stale", USERS),
    ("acl|getuser", 3, "admin noscript loading stale", USERS),
    ("acl|help", 2, "loading stale", USERS),
    ("acl|list", 2, "admin noscript loading stale", USERS),
    ("acl|load", 2, "admin noscript loading stale", USERS),
    ("acl|log", -2, "admin noscript loading stale", USERS),
    ("acl|save", 2, "admin noscript loading stale", USERS),
    ("acl|setuser", -3, "admin noscript loading stale", USERS),
    ("acl|users", 2, "admin noscript loading stale", USERS),
    ("acl|whoami", 2, "noscript loading stale", USERS),
    ("client|caching", 3, "noscript loading stale", CLIENTS),
    ("client|getname", 2, "noscript loading stale", CLIENTS),
    ("client|getredir", 2, "noscript loading stale", CLIENTS),
    ("client|help", 2, "loading stale", CLIENTS),
    ("client|id", 2, "noscript loading stale", CLIENTS),
    ("client|info", 2, "noscript loading stale", CLIENTS),
    ("client|kill", -3, "admin noscript loading stale", CLIENTS),
    ("client|list", -2, "admin noscript loading stale", CLIENTS),
    ("client|no-evict", 3, "admin noscript loading stale", CLIENTS),
    ("client|pause", -3, "admin noscript loading stale", CLIENTS),
    ("client|reply", 3, "noscript loading stale", CLIENTS),
    ("client|setname", 3, "noscript loading stale", CLIENTS),
    ("client|tracking", -3, "noscript loading stale", CLIENTS),
    ("client|trackinginfo", 2, "noscript loading stale", CLIENTS),
    ("client|unblock", -3, "admin noscript loading stale", CLIENTS),
    ("client|unpause", 2, "admin noscript loading stale", CLIENTS),
    ("asking", 1, "fast", CLUSTER),
    ("cluster|addslots", -3, "admin stale no_async_loading", CLUSTER),
    ("cluster|addslotsrange", -4, "admin stale no_async_loading", CLUSTER),
    ("cluster|bumpepoch", 2, "admin stale no_async_loading", CLUSTER),
    ("cluster|count-failure-reports", 3, "admin stale", CLUSTER),
    ("cluster|countkeysinslot", 3, "stale", CLUSTER),
    ("cluster|delslots", -3, "admin stale no_async_loading", CLUSTER),
    ("cluster|delslotsrange", -4, "admin stale no_async_loading", CLUSTER),
    ("cluster|failover", -2, "admin stale no_async_loading", CLUSTER),
    ("cluster|flushslots", 2, "admin stale no_async_loading", CLUSTER),
    ("cluster|forget", 3, "admin stale no_async_loading", CLUSTER),
    ("cluster|getkeysinslot", 4, "stale", CLUSTER),
    ("cluster|help", 2, "loading stale", CLUSTER),
    ("cluster|info", 2, "stale", CLUSTER),
    ("cluster|keyslot", 3, "stale", CLUSTER),
    ("cluster|links", 2, "stale", CLUSTER),
    ("cluster|meet", -4, "admin stale no_async_loading", CLUSTER),
    ("cluster|myid", 2, "stale", CLUSTER),
    ("cluster|nodes", 2, "stale", CLUSTER),
    ("cluster|replicas", 3, "admin stale", CLUSTER),
    ("cluster|replicate", 3, "admin stale no_async_loading", CLUSTER),
    ("cluster|reset", -2, "admin noscript stale", CLUSTER),
    ("cluster|saveconfig", 2, "admin stale no_async_loading", CLUSTER),
    ("cluster|set-config-epoch", 3, "admin stale no_async_loading", CLUSTER),
    ("cluster|setslot", -4, "admin stale no_async_loading", CLUSTER),
    ("cluster|shards", 2, "stale", CLUSTER),
    ("cluster|slaves", 3, "admin stale", CLUSTER),
    ("cluster|slots", 2, "stale", CLUSTER),
    ("readonly", 1, "loading stale fast", CLUSTER),
    ("readwrite", 1, "loading stale fast", CLUSTER),
    ("command", -1, "loading stale", COMMAND),
    ("command|count", 2, "loading stale", COMMAND),
    ("command|docs", -2, "loading stale", COMMAND),
    ("command|getkeys", -4, "loading stale", COMMAND),
    ("command|getkeysandflags", -4, "loading stale", COMMAND),
    ("command|help", 2, "loading stale", COMMAND),
    ("command|info", -2, "loading stale", COMMAND),
    ("command|list", -2, "loading stale", COMMAND),
    ("config|get", -3, "admin noscript loading stale", CONFIG),
    ("config|help", 2, "loading stale", CONFIG),
    ("config|resetstat", 2, "admin noscript loading stale", CONFIG),
    ("config|rewrite", 2, "admin noscript loading stale", CONFIG),
    ("config|set", -4, "admin noscript loading stale", CONFIG),
    ("debug", -2, "admin noscript loading stale", DEBUG),
    ("pfdebug", 3, "write denyoom admin", DEBUG),
    ("pfselftest", 1, "admin", DEBUG),
    ("dump", 2, "readonly", DUMP),
    ("restore", -4, "write denyoom", RESTORE),
    ("restore-asking", -4, "write denyoom asking", RESTORE),
    ("eval", -3, "noscript stale skip_monitor no_mandatory_keys movablekeys", SCRIPTS),
    ("eval_ro", -3, "readonly noscript stale skip_monitor no_mandatory_keys movablekeys", SCRIPTS),
    ("evalsha", -3, "noscript stale skip_monitor no_mandatory_keys movablekeys", SCRIPTS),
    ("evalsha_ro", -3, "readonly noscript stale skip_monitor no_mandatory_keys movablekeys", SCRIPTS),  # noqa: E501
    ("fcall", -3, "noscript stale skip_monitor no_mandatory_keys movablekeys", SCRIPTS),
    ("fcall_ro", -3, "readonly noscript stale skip_monitor no_mandatory_keys movablekeys", SCRIPTS),
    ("function|delete", 3, "write noscript", SHARED_SCRIPTS),
    ("function|dump", 2, "noscript", SHARED_SCRIPTS),
    ("function|flush", -2, "write noscript", SHARED_SCRIPTS),
    ("function|help", 2, "loading stale", SHARED_SCRIPTS),
    ("function|kill", 2, "noscript allow_busy", SHARED_SCRIPTS),
    ("function|list", -2, "noscript", SHARED_SCRIPTS),
    ("function|load", -3, "write denyoom noscript", SHARED_SCRIPTS),
    ("function|restore", -3, "write denyoom noscript", SHARED_SCRIPTS),
    ("function|stats", 2, "noscript allow_busy", SHARED_SCRIPTS),
    ("script|debug", 3, "noscript", SHARED_SCRIPTS),
    ("script|exists", -3, "noscript", SHARED_SCRIPTS),
    ("script|flush", -2, "noscript", SHARED_SCRIPTS),
    ("script|help", 2, "loading stale", SHARED_SCRIPTS),
    ("script|kill", 2, "noscript allow_busy", SHARED_SCRIPTS),
    ("script|load", 3, "noscript stale", SHARED_SCRIPTS),
    ("failover", -1, "admin noscript stale", REPLICATION),
    ("psync", -3, "admin noscript no_async_loading no_multi", REPLICATION),
    ("replconf", -1, "admin noscript loading stale allow_busy", REPLICATION),
    ("replicaof", 3, "admin noscript stale no_async_loading", REPLICATION),
    ("role", 1, "noscript loading stale fast", REPLICATION),
    ("slaveof", 3, "admin noscript stale no_async_loading", REPLICATION),
    ("sync", 1, "admin noscript no_async_loading no_multi", REPLICATION),
    ("wait", 3, "noscript", REPLICATION),
    ("info", -1, "loading stale", SERVER_INFO),
    ("latency|doctor", 2, "admin noscript loading stale", SERVER_INFO),
    ("latency|graph", 3, "admin noscript loading stale", SERVER_INFO),
    ("latency|help", 2, "loading stale", SERVER_INFO),
    ("latency|histogram", -2, "admin noscript loading stale", SERVER_INFO),
    ("latency|history", 3, "admin noscript loading stale", SERVER_INFO),
    ("latency|latest", 2, "admin noscript loading stale", SERVER_INFO),
    ("latency|reset", -2, "admin noscript loading stale", SERVER_INFO),
    ("lolwut", -1, "readonly fast", SERVER_INFO),
    ("memory|doctor", 2, "", SERVER_INFO),
    ("memory|malloc-stats", 2, "", SERVER_INFO),
    ("memory|purge", 2, "", SERVER_INFO),
    ("memory|stats", 2, "", SERVER_INFO),
    ("migrate", -6, "write movablekeys", MIGRATE),
    ("module|help", 2, "loading stale", MODULE),
    ("module|list", 2, "admin noscript", MODULE),
    ("module|load", -3, "admin noscript no_async_loading", MODULE),
    ("module|loadex", -3, "admin noscript no_async_loading", MODULE),
    ("module|unload", 3, "admin noscript no_async_loading", MODULE),
    ("monitor", 1, "admin noscript loading stale", MONITOR),
    ("slowlog|get", -2, "admin loading stale", MONITOR),
    ("slowlog|help", 2, "loading stale", MONITOR),
    ("slowlog|len", 2, "admin loading stale", MONITOR),
    ("slowlog|reset", 2, "admin loading stale", MONITOR),
    ("move", 3, "write fast", DATABASES),
    ("select", 2, "loading stale fast", DATABASES),
    ("swapdb", 3, "write fast", DATABASES),
    ("bgrewriteaof", 1, "admin noscript no_async_loading", PERSISTENCE),
    ("bgsave", -1, "admin noscript no_async_loading", PERSISTENCE),
    ("lastsave", 1, "loading stale fast", PERSISTENCE),
    ("save", 1, "admin noscript no_async_loading no_multi", PERSISTENCE),
    ("shutdown", -1, "admin noscript loading stale no_multi allow_busy", PERSISTENCE),
    ("auth", -2, "noscript loading stale fast no_auth allow_busy", CONNECTION),
    ("hello", -1, "noscript loading stale fast no_auth allow_busy", CONNECTION),
    ("quit", -1, "noscript loading stale fast no_auth allow_busy", CONNECTION),
    ("reset", 1, "noscript loading stale fast no_auth allow_busy", CONNECTION),
    ("pubsub|shardchannels", -2, "pubsub loading stale", SHARDED),
    ("pubsub|shardnumsub", -2, "pubsub loading stale", SHARDED),
    ("spublish", 3, "pubsub loading stale fast", SHARDED),
    ("ssubscribe", -2, "pubsub noscript loading stale", SHARDED),
    ("sunsubscribe", -1, "pubsub noscript loading stale", SHARDED),
    ("object|freq", 3, "readonly", OBJECT_FREQ),
    ("object|idletime", 3, "readonly", OBJECT_IDLETIME),
    ("object|refcount", 3, "readonly", OBJECT_REFCOUNT),
)
# fmt: on

COMMANDS: tuple[CommandSpec, ...] = tuple(
    cmd(name, arity, flags, refusal=reason) for name, arity, flags, reason in ROWS
)
