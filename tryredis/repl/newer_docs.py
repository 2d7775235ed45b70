# ruff: noqa: E501
"""Help text for the commands added since Redis 7.0.15 that the table knows.

Offered only on a server whose ``COMMAND`` lists them (``server.py``). The hash-field
expiry family and the other 7.2-8.0 entries are rendered from the recorded ``COMMAND DOCS``
of a Redis build between 7.4 and 8.0 and of a Valkey 8 build (``tests/data/redis-commands``;
``tests/repl/test_newer.py`` checks them). Redis 8.0's HGETDEL, HGETEX and HSETEX are in
neither dump: their syntax and versions follow the Redis command reference, the summaries
are ours. The connected server's own ``COMMAND DOCS`` replaces all of these in ``help``.
"""

# fmt: off
NEWER_DOCS: dict[str, tuple[str, str, str, str]] = {
    'client|capa': ('connection', 'A client claims its capability.', 'CLIENT CAPA capability [capability ...]', '8.0.0'),
    'client|no-touch': ('connection', 'Controls whether commands sent by the client affect the LRU/LFU of accessed keys.', 'CLIENT NO-TOUCH <ON | OFF>', '7.2.0'),
    'client|setinfo': ('connection', 'Sets information specific to the client or connection.', 'CLIENT SETINFO <LIB-NAME libname | LIB-VER libver>', '7.2.0'),
    'cluster|myshardid': ('cluster', 'Returns the shard ID of a node.', 'CLUSTER MYSHARDID', '7.2.0'),
    'cluster|slot-stats': ('cluster', 'Return an array of slot usage statistics for slots assigned to the current node.', 'CLUSTER SLOT-STATS <SLOTSRANGE start-slot end-slot | ORDERBY metric [LIMIT limit] [ASC | DESC]>', '8.0.0'),
    'hexpire': ('hash', 'Set expiry for hash field using relative time to expire (seconds)', 'HEXPIRE key seconds [NX | XX | GT | LT] FIELDS numfields field [field ...]', '7.4.0'),
    'hexpireat': ('hash', 'Set expiry for hash field using an absolute Unix timestamp (seconds)', 'HEXPIREAT key unix-time-seconds [NX | XX | GT | LT] FIELDS numfields field [field ...]', '7.4.0'),
    'hexpiretime': ('hash', 'Returns the expiration time of a hash field as a Unix timestamp, in seconds.', 'HEXPIRETIME key FIELDS numfields field [field ...]', '7.4.0'),
    'hgetdel': ('hash', 'Get the values of hash fields and delete those fields (and the key with its last field)', 'HGETDEL key FIELDS numfields field [field ...]', '8.0.0'),
    'hgetex': ('hash', 'Get the values of hash fields, optionally setting or removing their expiry', 'HGETEX key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | PERSIST] FIELDS numfields field [field ...]', '8.0.0'),
    'hpersist': ('hash', 'Removes the expiration time for each specified field', 'HPERSIST key FIELDS numfields field [field ...]', '7.4.0'),
    'hpexpire': ('hash', 'Set expiry for hash field using relative time to expire (milliseconds)', 'HPEXPIRE key milliseconds [NX | XX | GT | LT] FIELDS numfields field [field ...]', '7.4.0'),
    'hpexpireat': ('hash', 'Set expiry for hash field using an absolute Unix timestamp (milliseconds)', 'HPEXPIREAT key unix-time-milliseconds [NX | XX | GT | LT] FIELDS numfields field [field ...]', '7.4.0'),
    'hpexpiretime': ('hash', 'Returns the expiration time of a hash field as a Unix timestamp, in msec.', 'HPEXPIRETIME key FIELDS numfields field [field ...]', '7.4.0'),
    'hpttl': ('hash', 'Returns the TTL in milliseconds of a hash field.', 'HPTTL key FIELDS numfields field [field ...]', '7.4.0'),
    'hsetex': ('hash', 'Set hash fields, optionally only if none or all exist, and optionally with an expiry', 'HSETEX key [FNX | FXX] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL] FIELDS numfields field value [field value ...]', '8.0.0'),
    'httl': ('hash', 'Returns the TTL in seconds of a hash field.', 'HTTL key FIELDS numfields field [field ...]', '7.4.0'),
    'script|show': ('scripting', 'Show server-side Lua script in the script cache.', 'SCRIPT SHOW sha1', '8.0.0'),
    'waitaof': ('generic', 'Blocks until all of the preceding write commands sent by the connection are written to the append-only file of the master and/or replicas.', 'WAITAOF numlocal numreplicas timeout', '7.2.0'),
}
# fmt: on
