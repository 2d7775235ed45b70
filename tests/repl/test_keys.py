"""Key analysis against the real server: positions, roles, errors, limits, probes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.repl.test_table import RawRedis
from tests.support.redis_servers import REDIS_SERVER, RedisServer, running_redis
from tryredis.repl import Limits, table
from tryredis.repl.spec import (
    Analysis,
    CommandError,
    ElementCap,
    LcsCap,
    Refusal,
    StoreCap,
    StringCap,
    Timeout,
)
from tryredis.repl.table import resolve
from tryredis.wire import ErrorReply, Reply

pytestmark = pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server not installed")
SETTINGS = Limits()
PREFIX = b"tryredis:u:{abc}:"
WRITE_FLAGS = {b"RW", b"OW", b"RM", b"insert", b"delete", b"update"}


@pytest.fixture
def raw(redis_server: RedisServer) -> Iterator[RawRedis]:
    """A bare RESP2 connection to the session's server (admin user)."""
    client = RawRedis(redis_server.socket)
    yield client
    client.close()


def split(line: str) -> list[bytes]:
    """A sample line as arguments (samples never need quoting)."""
    return [word.encode() for word in line.split()]


def analyze(line: str | Sequence[bytes], settings: Limits = SETTINGS) -> Analysis:
    """resolve() then analyze(), as the engine does."""
    args = split(line) if isinstance(line, str) else list(line)
    return resolve(args).analyze(args, settings)


def key_positions(line: str | Sequence[bytes]) -> dict[int, bool]:
    """index -> write, for the keys of ``line``."""
    return {ref.index: ref.write for ref in analyze(line).keys}


# Several valid argument lists for every command the sandbox offers; keys are
# sometimes named like options (STORE, STREAMS, LIMIT ...).
SAMPLES: dict[str, list[str]] = {
    "append": ["APPEND k v"],
    "decr": ["DECR k"],
    "decrby": ["DECRBY k 2"],
    "get": ["GET k", "GET STORE"],
    "getdel": ["GETDEL k"],
    "getex": ["GETEX k", "GETEX k EX 10", "GETEX PERSIST PERSIST"],
    "getrange": ["GETRANGE k 0 -1"],
    "getset": ["GETSET k v"],
    "incr": ["INCR k"],
    "incrby": ["INCRBY k 5"],
    "incrbyfloat": ["INCRBYFLOAT k 1.5"],
    "lcs": ["LCS a b", "LCS a b LEN", "LCS a b IDX MINMATCHLEN 2 WITHMATCHLEN"],
    "mget": ["MGET a", "MGET a b STORE"],
    "mset": ["MSET a 1", "MSET a 1 b 2 STORE 3"],
    "msetnx": ["MSETNX a 1", "MSETNX a 1 b 2"],
    "psetex": ["PSETEX k 100 v"],
    "set": ["SET k v", "SET k v NX GET EX 10", "SET STORE v KEEPTTL"],
    "setex": ["SETEX k 10 v"],
    "setnx": ["SETNX k v"],
    "setrange": ["SETRANGE k 5 v"],
    "strlen": ["STRLEN k"],
    "substr": ["SUBSTR k 0 1"],
    "bitcount": ["BITCOUNT k", "BITCOUNT k 0 -1 BIT"],
    "bitfield": ["BITFIELD k", "BITFIELD k GET u8 0 SET i5 #2 3 OVERFLOW SAT INCRBY u2 100 1"],
    "bitfield_ro": ["BITFIELD_RO k GET u8 0", "BITFIELD_RO k"],
    "bitop": ["BITOP AND d a b", "BITOP NOT d a"],
    "bitpos": ["BITPOS k 1", "BITPOS k 0 1 2 BYTE"],
    "getbit": ["GETBIT k 7"],
    "setbit": ["SETBIT k 7 1"],
    "pfadd": ["PFADD h", "PFADD h a b"],
    "pfcount": ["PFCOUNT h", "PFCOUNT h g"],
    "pfmerge": ["PFMERGE d", "PFMERGE d a b"],
    "hdel": ["HDEL h f g"],
    "hexists": ["HEXISTS h f"],
    "hget": ["HGET h f"],
    "hgetall": ["HGETALL h"],
    "hincrby": ["HINCRBY h f 1"],
    "hincrbyfloat": ["HINCRBYFLOAT h f 1.5"],
    "hkeys": ["HKEYS h"],
    "hlen": ["HLEN h"],
    "hmget": ["HMGET h f g"],
    "hmset": ["HMSET h f v g w"],
    "hrandfield": ["HRANDFIELD h", "HRANDFIELD h -5 WITHVALUES"],
    "hscan": ["HSCAN h 0", "HSCAN h 0 MATCH f* COUNT 10"],
    "hset": ["HSET h f v", "HSET h f v g w"],
    "hsetnx": ["HSETNX h f v"],
    "hstrlen": ["HSTRLEN h f"],
    "hvals": ["HVALS h"],
    "blmove": ["BLMOVE a b LEFT RIGHT 0"],
    "blmpop": ["BLMPOP 0 1 a LEFT", "BLMPOP 1.5 2 a b RIGHT COUNT 2", "BLMPOP 0 2 LEFT COUNT LEFT"],
    "blpop": ["BLPOP a 0", "BLPOP a b 1.5"],
    "brpop": ["BRPOP a 0", "BRPOP a b 1"],
    "brpoplpush": ["BRPOPLPUSH a b 0"],
    "lindex": ["LINDEX l 0"],
    "linsert": ["LINSERT l BEFORE a b"],
    "llen": ["LLEN l"],
    "lmove": ["LMOVE a b LEFT RIGHT"],
    "lmpop": ["LMPOP 1 a LEFT", "LMPOP 2 a b RIGHT COUNT 3"],
    "lpop": ["LPOP l", "LPOP l 2"],
    "lpos": ["LPOS l a RANK 1 COUNT 0 MAXLEN 10"],
    "lpush": ["LPUSH l a b"],
    "lpushx": ["LPUSHX l a"],
    "lrange": ["LRANGE l 0 -1"],
    "lrem": ["LREM l 0 a"],
    "lset": ["LSET l 0 a"],
    "ltrim": ["LTRIM l 0 1"],
    "rpop": ["RPOP l"],
    "rpoplpush": ["RPOPLPUSH a b"],
    "rpush": ["RPUSH l a b c"],
    "rpushx": ["RPUSHX l a"],
    "sadd": ["SADD s a b"],
    "scard": ["SCARD s"],
    "sdiff": ["SDIFF a b"],
    "sdiffstore": ["SDIFFSTORE d a b"],
    "sinter": ["SINTER a b c"],
    "sintercard": ["SINTERCARD 1 a", "SINTERCARD 2 a LIMIT LIMIT 5"],
    "sinterstore": ["SINTERSTORE d a"],
    "sismember": ["SISMEMBER s a"],
    "smembers": ["SMEMBERS s"],
    "smismember": ["SMISMEMBER s a b"],
    "smove": ["SMOVE a b m"],
    "spop": ["SPOP s", "SPOP s 2"],
    "srandmember": ["SRANDMEMBER s", "SRANDMEMBER s -3"],
    "srem": ["SREM s a"],
    "sscan": ["SSCAN s 0 MATCH a*"],
    "sunion": ["SUNION a b"],
    "sunionstore": ["SUNIONSTORE d a b"],
    "bzmpop": ["BZMPOP 0 1 z MIN", "BZMPOP 1 2 a b MAX COUNT 2"],
    "bzpopmax": ["BZPOPMAX a b 0"],
    "bzpopmin": ["BZPOPMIN a 0.5"],
    "zadd": ["ZADD z 1 a", "ZADD z NX CH 1 a 2 b", "ZADD z XX INCR 1 a"],
    "zcard": ["ZCARD z"],
    "zcount": ["ZCOUNT z -inf +inf"],
    "zdiff": ["ZDIFF 2 a b WITHSCORES"],
    "zdiffstore": ["ZDIFFSTORE d 2 a b"],
    "zincrby": ["ZINCRBY z 1 a"],
    "zinter": ["ZINTER 2 a b WEIGHTS 1 2 AGGREGATE MAX WITHSCORES"],
    "zintercard": ["ZINTERCARD 2 a b LIMIT 1", "ZINTERCARD 1 LIMIT"],
    "zinterstore": ["ZINTERSTORE d 2 a b WEIGHTS 1 2"],
    "zlexcount": ["ZLEXCOUNT z - +"],
    "zmpop": ["ZMPOP 1 z MIN", "ZMPOP 2 a b MAX COUNT 5"],
    "zmscore": ["ZMSCORE z a b"],
    "zpopmax": ["ZPOPMAX z 2"],
    "zpopmin": ["ZPOPMIN z"],
    "zrandmember": ["ZRANDMEMBER z -2 WITHSCORES"],
    "zrange": ["ZRANGE z 0 -1", "ZRANGE z (1 5 BYSCORE REV LIMIT 0 2 WITHSCORES"],
    "zrangebylex": ["ZRANGEBYLEX z - + LIMIT 0 1"],
    "zrangebyscore": ["ZRANGEBYSCORE z -inf +inf WITHSCORES LIMIT 0 1"],
    "zrangestore": ["ZRANGESTORE d z 0 -1", "ZRANGESTORE d z 0 5 BYSCORE LIMIT 0 1"],
    "zrank": ["ZRANK z a"],
    "zrem": ["ZREM z a b"],
    "zremrangebylex": ["ZREMRANGEBYLEX z - +"],
    "zremrangebyrank": ["ZREMRANGEBYRANK z 0 1"],
    "zremrangebyscore": ["ZREMRANGEBYSCORE z 0 1"],
    "zrevrange": ["ZREVRANGE z 0 -1 WITHSCORES"],
    "zrevrangebylex": ["ZREVRANGEBYLEX z + -"],
    "zrevrangebyscore": ["ZREVRANGEBYSCORE z +inf -inf"],
    "zrevrank": ["ZREVRANK z a"],
    "zscan": ["ZSCAN z 0 COUNT 5"],
    "zscore": ["ZSCORE z a"],
    "zunion": ["ZUNION 2 a b", "ZUNION 1 WEIGHTS WEIGHTS 2"],
    "zunionstore": ["ZUNIONSTORE d 2 a b WEIGHTS 1 2 AGGREGATE MIN", "ZUNIONSTORE WEIGHTS 1 W"],
    "geoadd": ["GEOADD g 13.36 38.11 P", "GEOADD g NX CH 13.36 38.11 P 15.08 37.50 C"],
    "geodist": ["GEODIST g a b km"],
    "geohash": ["GEOHASH g a b"],
    "geopos": ["GEOPOS g a"],
    "georadius": [
        "GEORADIUS g 15 37 200 km",
        "GEORADIUS g 15 37 200 km WITHDIST COUNT 2 ASC",
        "GEORADIUS g 15 37 200 km STORE d",
        "GEORADIUS g 15 37 200 km STOREDIST STORE",
        "GEORADIUS g 15 37 200 km COUNT 3 ANY STORE COUNT",
        "GEORADIUS STORE 15 37 200 km DESC STORE STOREDIST",
    ],
    "georadius_ro": ["GEORADIUS_RO g 15 37 200 km WITHCOORD"],
    "georadiusbymember": [
        "GEORADIUSBYMEMBER g P 200 km STORE d",
        "GEORADIUSBYMEMBER g P 200 km",
        "GEORADIUSBYMEMBER g STORE 200 km STOREDIST x",
    ],
    "georadiusbymember_ro": ["GEORADIUSBYMEMBER_RO g P 200 km ASC"],
    "geosearch": ["GEOSEARCH g FROMMEMBER a BYRADIUS 10 km ASC COUNT 2 WITHDIST"],
    "geosearchstore": ["GEOSEARCHSTORE d g FROMLONLAT 15 37 BYBOX 400 400 km COUNT 3 STOREDIST"],
    "xack": ["XACK s g 0-1 0-2"],
    "xadd": ["XADD s * f v", "XADD s NOMKSTREAM MAXLEN ~ 10 * f v", "XADD s MINID = 0 1-1 f v"],
    "xautoclaim": ["XAUTOCLAIM s g c 0 0-0", "XAUTOCLAIM s g c 0 0-0 COUNT 10 JUSTID"],
    "xclaim": ["XCLAIM s g c 0 0-1 IDLE 0 RETRYCOUNT 1 FORCE JUSTID"],
    "xdel": ["XDEL s 0-1"],
    "xgroup|create": ["XGROUP CREATE s g $ MKSTREAM"],
    "xgroup|createconsumer": ["XGROUP CREATECONSUMER s g c"],
    "xgroup|delconsumer": ["XGROUP DELCONSUMER s g c"],
    "xgroup|destroy": ["XGROUP DESTROY s g"],
    "xgroup|help": ["XGROUP HELP"],
    "xgroup|setid": ["XGROUP SETID s g 0"],
    "xinfo|consumers": ["XINFO CONSUMERS s g"],
    "xinfo|groups": ["XINFO GROUPS s"],
    "xinfo|help": ["XINFO HELP"],
    "xinfo|stream": ["XINFO STREAM s", "XINFO STREAM s FULL", "XINFO STREAM s FULL COUNT 5"],
    "xlen": ["XLEN s"],
    "xpending": ["XPENDING s g", "XPENDING s g - + 10", "XPENDING s g IDLE 10 - + 10 c"],
    "xrange": ["XRANGE s - + COUNT 10"],
    "xread": [
        "XREAD STREAMS s 0",
        "XREAD COUNT 1 BLOCK 10 STREAMS a b 0 0",
        "XREAD STREAMS STREAMS x 0 0",
        "XREAD BLOCK 5 BLOCK 0 STREAMS COUNT BLOCK $ $",
    ],
    "xreadgroup": [
        "XREADGROUP GROUP g c STREAMS s >",
        "XREADGROUP GROUP g c COUNT 1 BLOCK 0 NOACK STREAMS a b > >",
        "XREADGROUP GROUP STREAMS STREAMS STREAMS s >",
        "XREADGROUP COUNT 2 GROUP g c STREAMS GROUP 0",
    ],
    "xrevrange": ["XREVRANGE s + - COUNT 1"],
    "xsetid": ["XSETID s 5-0", "XSETID s 5-0 ENTRIESADDED 1 MAXDELETEDID 0-0"],
    "xtrim": ["XTRIM s MAXLEN 10", "XTRIM s MINID ~ 0 LIMIT 5"],
    "copy": ["COPY a b", "COPY a b REPLACE"],
    "del": ["DEL a b"],
    "exists": ["EXISTS a b a"],
    "expire": ["EXPIRE k 10 NX"],
    "expireat": ["EXPIREAT k 10"],
    "expiretime": ["EXPIRETIME k"],
    "memory|help": ["MEMORY HELP"],
    "memory|usage": ["MEMORY USAGE k", "MEMORY USAGE k SAMPLES 0"],
    "object|encoding": ["OBJECT ENCODING k"],
    "object|help": ["OBJECT HELP"],
    "persist": ["PERSIST k"],
    "pexpire": ["PEXPIRE k 10 GT"],
    "pexpireat": ["PEXPIREAT k 10"],
    "pexpiretime": ["PEXPIRETIME k"],
    "pttl": ["PTTL k"],
    "rename": ["RENAME a b"],
    "renamenx": ["RENAMENX a b"],
    "sort": [
        "SORT l",
        "SORT l BY nosort LIMIT 0 1 DESC ALPHA STORE d",
        "SORT l STORE STORE",
        "SORT l STORE by",
        "SORT l LIMIT 0 1 STORE LIMIT",
        "SORT l BY store STORE x",
    ],
    "sort_ro": ["SORT_RO l ALPHA DESC LIMIT 0 5", "SORT_RO l BY nosort"],
    "touch": ["TOUCH a b"],
    "ttl": ["TTL k"],
    "type": ["TYPE k"],
    "unlink": ["UNLINK a b"],
    "echo": ["ECHO hi"],
    "ping": ["PING", "PING hi"],
    "time": ["TIME"],
    "keys": ["KEYS *"],
    "randomkey": ["RANDOMKEY"],
    "scan": ["SCAN 0", "SCAN 0 MATCH * COUNT 10 TYPE string"],
    "dbsize": ["DBSIZE"],
    "flushall": ["FLUSHALL", "FLUSHALL ASYNC"],
    "flushdb": ["FLUSHDB sync"],
    "discard": ["DISCARD"],
    "exec": ["EXEC"],
    "multi": ["MULTI"],
    "unwatch": ["UNWATCH"],
    "watch": ["WATCH a b"],
    "psubscribe": ["PSUBSCRIBE news.* b"],
    "publish": ["PUBLISH ch hi"],
    "pubsub|channels": ["PUBSUB CHANNELS", "PUBSUB CHANNELS n*"],
    "pubsub|help": ["PUBSUB HELP"],
    "pubsub|numpat": ["PUBSUB NUMPAT"],
    "pubsub|numsub": ["PUBSUB NUMSUB a b"],
    "punsubscribe": ["PUNSUBSCRIBE"],
    "subscribe": ["SUBSCRIBE a b"],
    "unsubscribe": ["UNSUBSCRIBE", "UNSUBSCRIBE a"],
}

ALL_SAMPLES = [(name, line) for name, lines in SAMPLES.items() for line in lines]


def available() -> list[str]:
    """Every entry a learner may run."""
    return sorted(
        spec.name
        for specs in table.commands_by_group().values()
        for spec in specs
        if spec.handler != "refused"
    )


def test_samples_cover_every_available_command() -> None:
    assert sorted(SAMPLES) == available()


def getkeys(raw: RawRedis, args: Sequence[bytes]) -> list[bytes] | None:
    """What Redis's own key extraction (and so its ACL check) finds, or None if it cannot."""
    reply = raw.call("COMMAND", "GETKEYS", *args)
    if isinstance(reply, ErrorReply):
        return None
    assert isinstance(reply, list)
    return [key for key in reply if isinstance(key, bytes)]


def check_against_getkeys(raw: RawRedis, args: list[bytes], analysis: Analysis) -> None:
    """The analysis finds every key Redis finds; once prefixed, Redis finds only prefixed keys."""
    found = getkeys(raw, args)
    if found is None:
        return
    mine = Counter(args[ref.index] for ref in analysis.keys)
    assert not Counter(found) - mine, (args, found)
    rewritten = list(args)
    for ref in analysis.keys:
        rewritten[ref.index] = PREFIX + args[ref.index]
    after = getkeys(raw, rewritten) or []
    assert all(key.startswith(PREFIX) for key in after), (args, after)


@pytest.mark.parametrize(("name", "line"), ALL_SAMPLES, ids=[line for _, line in ALL_SAMPLES])
def test_sample_keys_include_redis_keys(raw: RawRedis, name: str, line: str) -> None:
    args = split(line)
    analysis = analyze(args)
    assert analysis.spec.name == name
    check_against_getkeys(raw, args, analysis)


def command_info(raw: RawRedis, name: str) -> list[Reply]:
    """COMMAND INFO of one command or subcommand."""
    reply = raw.call("COMMAND", "INFO", name)
    assert isinstance(reply, list) and isinstance(reply[0], list)
    return reply[0]


@pytest.mark.parametrize(("name", "line"), ALL_SAMPLES, ids=[line for _, line in ALL_SAMPLES])
def test_fixed_keys_match_legacy_positions(raw: RawRedis, name: str, line: str) -> None:
    info = command_info(raw, name)
    flags, first, last, step = info[2], info[3], info[4], info[5]
    assert isinstance(flags, list) and isinstance(first, int)
    assert isinstance(last, int) and isinstance(step, int)
    args = split(line)
    mine = set(key_positions(args))
    if b"movablekeys" in flags or first == 0:
        assert not mine or first == 0 or first in mine
        return
    end = len(args) + last if last < 0 else last
    assert mine == set(range(first, end + 1, step)), line


@pytest.mark.parametrize(("name", "line"), ALL_SAMPLES, ids=[line for _, line in ALL_SAMPLES])
def test_write_roles_match_key_specs(raw: RawRedis, name: str, line: str) -> None:
    args = split(line)
    reply = raw.call("COMMAND", "GETKEYSANDFLAGS", *args)
    if isinstance(reply, ErrorReply):
        return
    assert isinstance(reply, list)
    by_name: dict[bytes, set[bool]] = {}
    for ref in analyze(args).keys:
        by_name.setdefault(args[ref.index], set()).add(ref.write)
    for entry in reply:
        assert isinstance(entry, list) and isinstance(entry[0], bytes)
        assert isinstance(entry[1], list)
        write = bool(WRITE_FLAGS & {flag for flag in entry[1] if isinstance(flag, bytes)})
        if name == "xreadgroup":
            write = True  # deliberate: it changes the group's pending list and consumers
        assert write in by_name[entry[0]], (line, entry)


def test_channels() -> None:
    assert analyze("PUBLISH ch hi").channels == (1,)
    assert analyze("SUBSCRIBE a b c").channels == (1, 2, 3)
    assert analyze("UNSUBSCRIBE").channels == ()
    assert analyze("PSUBSCRIBE n.* m.*").channels == (1, 2)
    assert analyze("PUBSUB CHANNELS n*").channels == (2,)
    assert analyze("PUBSUB NUMSUB a b").channels == (2, 3)
    assert analyze("PUBSUB NUMPAT").channels == ()
    assert analyze("PUBLISH ch hi").keys == ()
    assert analyze("WATCH a b").keys[1].index == 2
    assert not any(ref.write for ref in analyze("WATCH a b").keys)


def command_error(args: Sequence[bytes]) -> bytes | None:
    """The CommandError text the table answers for ``args``, or None."""
    try:
        analyze(args)
    except CommandError as error:
        return error.reply
    return None


PARSE_ERRORS = [
    "ZUNIONSTORE d 0 a", "ZUNIONSTORE d -1 a", "ZUNIONSTORE d abc a", "ZUNIONSTORE d 3 a b",
    "ZUNIONSTORE d 99999999999999999999 a", "ZUNIONSTORE d 01 a", "ZUNIONSTORE d +1 a",
    "ZINTERSTORE d 0 a", "ZDIFFSTORE d 0 a", "ZDIFFSTORE d 2 a", "ZUNION 0 a", "ZUNION abc a",
    "ZUNION 5 a", "ZINTER 0 a", "ZINTER 3 a b", "ZDIFF -1 a", "ZDIFF 3 a", "ZINTERCARD 0 a",
    "ZINTERCARD abc a", "ZINTERCARD 3 a", "SINTERCARD 0 a", "SINTERCARD -1 a", "SINTERCARD abc a",
    "SINTERCARD 3 a", "SINTERCARD 99999999999999999999 a", "SINTERCARD 1.0 a",
    "LMPOP 0 a LEFT", "LMPOP abc a LEFT", "LMPOP -1 a LEFT", "LMPOP 3 a LEFT", "ZMPOP 0 a MIN",
    "ZMPOP x a MIN", "ZMPOP 3 a MIN", "BLMPOP 0 0 a LEFT", "BLMPOP 0 abc a LEFT",
    "BLMPOP 0 3 a LEFT", "BLMPOP x 0 a LEFT", "BLMPOP -1 0 a LEFT", "BZMPOP 0 0 a MIN",
    "BZMPOP x abc a MIN", "BZMPOP 0 3 a MIN",
    "XREAD STREAMS a b c", "XREADGROUP GROUP g c STREAMS a b c", "XREAD FOO STREAMS a 0",
    "XREAD COUNT x FOO STREAMS a 0", "XREAD BLOCK -1 FOO STREAMS a 0", "XREAD BLOCK x STREAMS a 0",
    "XREAD BLOCK 1.5 STREAMS a 0", "XREAD BLOCK +1 STREAMS a 0", "XREAD GROUP a b STREAMS a 0",
    "XREAD NOACK STREAMS a 0", "XREAD COUNT 1 BLOCK 1", "XREAD COUNT 1 STREAMS", "XREAD STREAMS a",
    "XREAD COUNT -5 STREAMS a", "XREADGROUP COUNT 1 BLOCK 1 STREAMS a 0",
    "XREADGROUP GROUP g c COUNT 1 STREAMS", "XREADGROUP GROUP g c NOACK FOO STREAMS a >",
    "XREADGROUP GROUP g STREAMS a >", "XREAD COUNT 1 COUNT x STREAMS a 0",
    "SORT l STORE", "SORT l LIMIT a b", "SORT l LIMIT 0 x", "SORT l foo", "SORT_RO l STORE x",
    "SORT l LIMIT 0", "SORT l ASC BY", "SORT l STORE x ALPHA foo", "SORT l LIMIT 01 1",
    "FLUSHALL LAZY", "FLUSHDB ASYNC SYNC", "MSET a", "MSET a 1 b", "MSETNX a 1 b 2 c",
]  # fmt: skip


@pytest.mark.parametrize("line", PARSE_ERRORS)
def test_parse_errors_match_redis(raw: RawRedis, line: str) -> None:
    args = split(line)
    expected = raw.call(*args)
    assert isinstance(expected, ErrorReply), expected
    assert command_error(args) == expected


# Security notes 1.1: every escape either has all its keys found (so the engine
# prefixes them) or is refused. Expected: {index: write} or the start of a refusal.
ESCAPES: list[tuple[str, dict[int, bool] | str]] = [
    ("SORT mylist BY nosort GET # GET site:*", "SORT GET is not available in the sandbox"),
    ("SORT mylist BY w_*", "SORT BY with a pattern is not available in the sandbox"),
    ("SORT mylist BY w_*->f", "SORT BY with a pattern is not available"),
    ("SORT mylist GET #", "SORT GET is not available"),
    ("SORT_RO mylist GET site:*", "SORT_RO GET is not available"),
    ("SORT_RO mylist BY site:*", "SORT_RO BY with a pattern is not available"),
    ("SORT l STORE by STORE site:pwned", "STORE given twice"),
    ("SORT l STORE a STORE site:pwned", "STORE given twice"),
    ("SORT mylist BY nosort", {1: False}),
    ("SORT mylist STORE site:x", {1: False, 3: True}),
    ("EVAL x 0", "EVAL is not available"),
    ("EVALSHA x 0", "EVALSHA is not available"),
    ("EVAL_RO x 1 site:k", "EVAL_RO is not available"),
    ("EVALSHA_RO x 0", "EVALSHA_RO is not available"),
    ("FCALL f 0", "FCALL is not available"),
    ("FCALL_RO f 0", "FCALL_RO is not available"),
    ("FUNCTION LOAD x", "FUNCTION LOAD is not available"),
    ("SCRIPT LOAD x", "SCRIPT LOAD is not available"),
    ("SCRIPT FLUSH", "SCRIPT FLUSH is not available"),
    ("OBJECT ENCODING site:secret", {2: False}),
    ("OBJECT FREQ site:secret", "OBJECT FREQ is not available"),
    ("OBJECT IDLETIME site:secret", "OBJECT IDLETIME is not available"),
    ("OBJECT REFCOUNT site:secret", "OBJECT REFCOUNT is not available"),
    ("MIGRATE attacker 6379 x 0 5000 KEYS site:secret", "MIGRATE is not available"),
    ("RENAME a site:secret", {1: True, 2: True}),
    ("RENAMENX a site:secret", {1: True, 2: True}),
    ("COPY a site:x REPLACE", {1: False, 2: True}),
    ("COPY site:x a", {1: False, 2: True}),
    ("COPY a b DB 5", "COPY ... DB is not available"),
    ("COPY a b REPLACE db 0", "COPY ... DB is not available"),
    ("SMOVE a site:x m", {1: True, 2: True}),
    ("LMOVE a site:x LEFT RIGHT", {1: True, 2: True}),
    ("BLMOVE a site:x LEFT RIGHT 0", {1: True, 2: True}),
    ("RPOPLPUSH a site:x", {1: True, 2: True}),
    ("BRPOPLPUSH a site:x 0", {1: True, 2: True}),
    ("ZUNIONSTORE out 1 a site:z", {1: True, 3: False}),
    ("ZUNIONSTORE out 2 a site:z WEIGHTS 1 2", {1: True, 3: False, 4: False}),
    ("ZINTERSTORE out 2 a site:z AGGREGATE MAX", {1: True, 3: False, 4: False}),
    ("ZDIFFSTORE out 2 a site:z", {1: True, 3: False, 4: False}),
    ("ZUNION 2 a site:z", {2: False, 3: False}),
    ("ZINTER 2 a site:z", {2: False, 3: False}),
    ("ZDIFF 2 a site:z", {2: False, 3: False}),
    ("ZINTERCARD 2 a site:z", {2: False, 3: False}),
    ("SINTERCARD 2 a site:z LIMIT 3", {2: False, 3: False}),
    ("LMPOP 2 a site:b LEFT", {2: True, 3: True}),
    ("ZMPOP 2 a site:b MIN", {2: True, 3: True}),
    ("BLMPOP 0 2 a site:b LEFT", {3: True, 4: True}),
    ("BZMPOP 0 2 a site:b MIN", {3: True, 4: True}),
    ("XREAD STREAMS site:stream 0", {2: False}),
    ("XREAD STREAMS STREAMS x 0 0", {2: False, 3: False}),
    ("XREAD COUNT 1 BLOCK 0 STREAMS s1 site:s 0 0", {6: False, 7: False}),
    ("XREADGROUP GROUP g c STREAMS site:s >", {5: True}),
    ("XREADGROUP GROUP STREAMS STREAMS STREAMS site:s >", {5: True}),
    ("XREADGROUP NOACK GROUP g STREAMS STREAMS site:s 0", "Redis 7.0 would check a different"),
    ("XREADGROUP COUNT 1 GROUP STREAMS c STREAMS s >", "Redis 7.0 would check a different"),
    ("GEORADIUS g 15 37 200 km STORE ok STORE site:pwned", "STORE/STOREDIST given twice"),
    ("GEORADIUS g 15 37 200 km STOREDIST ok STOREDIST site:pwned2", "STORE/STOREDIST given twice"),
    ("GEORADIUSBYMEMBER g Palermo 200 km STORE ok STORE site:pwned4", "STORE/STOREDIST given"),
    ("GEORADIUS g 15 37 200 km STORE site:pwned3 STORE ok", "STORE/STOREDIST given twice"),
    ("GEORADIUS g 15 37 200 km STORE a STOREDIST site:b", "STORE/STOREDIST given twice"),
    ("GEORADIUS g 15 37 200 km STORE site:x", {1: False, 7: True}),
    ("GEORADIUS g 15 37 200 km STOREDIST STORE ASC", "Redis 7.0 would check a different"),
    ("GEORADIUSBYMEMBER g m 200 km STOREDIST site:x", {1: False, 6: True}),
    ("GEORADIUS_RO g 15 37 200 km STORE site:x", {1: False}),
    ("GEOSEARCHSTORE site:d site:s FROMMEMBER m BYRADIUS 1 km", {1: True, 2: False}),
    ("BITOP OR site:x a", {2: True, 3: False}),
    ("BITOP NOT d site:x", {2: True, 3: False}),
    ("MSET a 1 site:b 2", {1: True, 3: True}),
    ("MSETNX a 1 site:b 2", {1: True, 3: True}),
    ("MGET a site:b", {1: False, 2: False}),
    ("DEL a site:b", {1: True, 2: True}),
    ("UNLINK a site:b", {1: True, 2: True}),
    ("EXISTS a site:b", {1: False, 2: False}),
    ("TOUCH a site:b", {1: False, 2: False}),
    ("WATCH a site:b", {1: False, 2: False}),
    ("BLPOP a site:q 0", {1: True, 2: True}),
    ("BRPOP a site:q 0", {1: True, 2: True}),
    ("BZPOPMIN a site:q 0", {1: True, 2: True}),
    ("PFMERGE dst a site:b", {1: True, 2: False, 3: False}),
    ("PFCOUNT a site:b", {1: True, 2: True}),
    ("MEMORY USAGE site:k SAMPLES 0", {2: False}),
    ("DEBUG OBJECT k", "DEBUG is not available"),
    ("SUNIONSTORE site:d a site:b", {1: True, 2: False, 3: False}),
    ("LCS a site:b", {1: False, 2: False}),
    ("XGROUP CREATE site:s g $ MKSTREAM", {2: True}),
    ("XINFO STREAM site:s", {2: False}),
    ("SELECT 1", "SELECT is not available"),
    ("SWAPDB 0 1", "SWAPDB is not available"),
    ("MOVE k 1", "MOVE is not available"),
    ("DUMP k", "DUMP is not available"),
    ("RESTORE k 0 x", "RESTORE is not available"),
    ("CLIENT LIST", "CLIENT LIST is not available"),
    ("CLIENT REPLY OFF", "CLIENT REPLY is not available"),
    ("HELLO 3", "HELLO is not available"),
    ("AUTH default x", "AUTH is not available"),
    ("RESET", "RESET is not available"),
    ("QUIT", "QUIT is not available"),
    ("MONITOR", "MONITOR is not available"),
    ("WAIT 1 0", "WAIT is not available"),
    ("PFDEBUG GETREG k", "PFDEBUG is not available"),
    ("PUBSUB SHARDCHANNELS", "PUBSUB SHARDCHANNELS is not available"),
]


@pytest.mark.parametrize(("line", "expected"), ESCAPES, ids=[line for line, _ in ESCAPES])
def test_escapes_are_prefixed_or_refused(
    raw: RawRedis, line: str, expected: dict[int, bool] | str
) -> None:
    args = split(line)
    if isinstance(expected, str):
        with pytest.raises(Refusal, match="^" + expected.replace("*", r"\*").replace(".", r"\.")):
            analyze(args)
        return
    analysis = analyze(args)
    assert key_positions(args) == expected
    check_against_getkeys(raw, args, analysis)


def test_emulated_commands_send_no_keys() -> None:
    for line in ("KEYS *", "SCAN 0 MATCH site:*", "RANDOMKEY", "DBSIZE", "FLUSHALL", "FLUSHDB"):
        analysis = analyze(line)
        assert analysis.spec.handler == "emulated" and analysis.keys == ()
    assert analyze("MULTI").spec.handler == "transaction"
    assert analyze("PUBSUB CHANNELS").spec.handler == "pubsub"
    assert analyze("PUBSUB HELP").spec.handler == "redis"


SMALL = Limits(string_max_bytes=100, reply_max_items=10, pattern_max_bytes=8)


def refused(line: str | Sequence[bytes], settings: Limits = SMALL) -> str | None:
    """The refusal for ``line`` under ``settings``, or None if it is accepted."""
    try:
        analyze(line, settings)
    except Refusal as refusal:
        return str(refusal)
    return None


@pytest.mark.parametrize(
    ("at_limit", "over_limit"),
    [
        ("SETRANGE k 99 x", "SETRANGE k 100 x"),
        ("SETRANGE k 98 xy", "SETRANGE k 99 xy"),
        ("SETBIT k 799 1", "SETBIT k 800 1"),
        ("BITFIELD k SET u8 792 1", "BITFIELD k SET u8 793 1"),
        ("BITFIELD k SET u8 #99 1", "BITFIELD k SET u8 #100 1"),
        ("BITFIELD k GET i64 736", "BITFIELD k GET i64 737"),
        ("BITFIELD k INCRBY u2 798 1", "BITFIELD k INCRBY u2 799 1"),
        ("BITFIELD k GET u8 0 OVERFLOW SAT SET i1 #799 0", "BITFIELD k OVERFLOW SAT SET i1 #800 0"),
        ("BITFIELD_RO k GET u8 #99", "BITFIELD_RO k GET u8 0 GET u8 #100"),
        ("SRANDMEMBER s -10", "SRANDMEMBER s -11"),
        ("SRANDMEMBER s 10", "SRANDMEMBER s 11"),
        ("ZRANDMEMBER z -10 WITHSCORES", "ZRANDMEMBER z -11 WITHSCORES"),
        ("HRANDFIELD h -10", "HRANDFIELD h -11 WITHVALUES"),
        ("XPENDING s g - + 10", "XPENDING s g - + 11"),
        ("XPENDING s g IDLE 5 - + 10 c", "XPENDING s g IDLE 5 - + 11 c"),
        ("XAUTOCLAIM s g c 0 0 COUNT 10", "XAUTOCLAIM s g c 0 0 JUSTID COUNT 11"),
        ("XINFO STREAM s FULL COUNT 10", "XINFO STREAM s FULL COUNT 11"),
        ("XINFO STREAM s FULL COUNT 1", "XINFO STREAM s FULL COUNT 0"),
        ("XINFO STREAM s FULL", "XINFO STREAM s FULL COUNT -1"),
        ("HSCAN h 0 MATCH 12345678", "HSCAN h 0 MATCH 123456789"),
        ("SSCAN s 0 COUNT 5 MATCH 12345678", "SSCAN s 0 COUNT 5 MATCH 123456789"),
        ("ZSCAN z 0 MATCH a*", "ZSCAN z 0 MATCH a MATCH 123456789"),
        ("SCAN 0 MATCH 12345678 TYPE list", "SCAN 0 TYPE list MATCH 123456789"),
        ("KEYS 12345678", "KEYS 123456789"),
        ("PSUBSCRIBE a* 12345678", "PSUBSCRIBE a* 123456789"),
        ("PUBSUB CHANNELS 12345678", "PUBSUB CHANNELS 123456789"),
    ],
)
def test_argument_limits(at_limit: str, over_limit: str) -> None:
    assert refused(at_limit) is None
    message = refused(over_limit)
    assert message is not None
    assert "TRYREDIS_" in message


def test_limit_messages_name_the_limit() -> None:
    assert refused("SETRANGE k 600000 x", SETTINGS) == (
        "SETRANGE offset 600000 + 1 bytes would make a string of 600001 bytes; "
        "the limit is 65536 bytes (TRYREDIS_STRING_MAX_BYTES)"
    )
    assert refused("SETBIT k 4294967295 1", SETTINGS) == (
        "SETBIT offset 4294967295 would make a string of 536870912 bytes; "
        "the limit is 65536 bytes (TRYREDIS_STRING_MAX_BYTES)"
    )
    assert refused("BITFIELD k SET u8 #536870911 1", SETTINGS) == (
        "BITFIELD SET at bit 4294967288 + 8 bits would make a string of 536870912 bytes; "
        "the limit is 65536 bytes (TRYREDIS_STRING_MAX_BYTES)"
    )
    assert refused("SRANDMEMBER s -5000000", SETTINGS) == (
        "SRANDMEMBER count -5000000 would return up to 5000000 items; "
        "the limit is 1000 items in one reply (TRYREDIS_REPLY_MAX_ITEMS)"
    )
    assert refused("KEYS " + "*" * 129, SETTINGS) == (
        "KEYS pattern is 129 bytes long; the limit is 128 bytes (TRYREDIS_PATTERN_MAX_BYTES)"
    )


@pytest.mark.parametrize(
    "line",
    [
        "SETRANGE k -1 x", "SETRANGE k abc x", "SETRANGE k +5000 x", "SETRANGE k 0500 x",
        "SETBIT k -1 1", "SETBIT k 8e9 1", "SETBIT k 99999999999999999999 1",
        "BITFIELD k SET u64 #100 1", "BITFIELD k SET U8 #100 1", "BITFIELD k SET u8 #-1 1",
        "BITFIELD k SET u8 1.5 1", "BITFIELD k FOO SET u8 #100 1", "BITFIELD k SET u8 #100",
        "SRANDMEMBER s abc", "SRANDMEMBER s 1e9", "XPENDING s g - + x", "XINFO STREAM s FULL X 0",
    ],
)  # fmt: skip
def test_values_redis_rejects_are_left_to_redis(line: str) -> None:
    assert refused(line) is None


def test_setrange_with_an_empty_value_never_grows() -> None:
    assert refused([b"SETRANGE", b"k", b"1000000", b""]) is None
    assert refused([b"SETRANGE", b"k", b"1000000", b"x"]) is not None


def test_limits_are_exact_on_the_real_server(raw: RawRedis) -> None:
    """At the limit, Redis makes a string of exactly TRYREDIS_STRING_MAX_BYTES bytes."""
    limit = SETTINGS.string_max_bytes
    cases = [
        ("SETRANGE tk:a {} x", limit - 1),
        ("SETBIT tk:b {} 1", limit * 8 - 1),
        ("BITFIELD tk:c SET u8 #{} 1", limit - 1),
        ("BITFIELD tk:d SET i64 {} 1", limit * 8 - 64),
    ]
    for line, value in cases:
        args = split(line.format(value))
        assert refused(args, SETTINGS) is None
        assert not isinstance(raw.call(*args), ErrorReply)
        assert raw.call("STRLEN", args[1]) == limit
        assert refused(line.format(value + 1), SETTINGS) is not None
    raw.call("DEL", "tk:a", "tk:b", "tk:c", "tk:d")


@pytest.mark.parametrize(
    ("line", "probes"),
    [
        ("LPUSH l a b c", (ElementCap(1, b"LLEN", 3),)),
        ("RPUSHX l a", (ElementCap(1, b"LLEN", 1),)),
        ("LINSERT l BEFORE a b", (ElementCap(1, b"LLEN", 1),)),
        ("SADD s a b", (ElementCap(1, b"SCARD", 2),)),
        ("ZADD z NX CH 1 a 2 b", (ElementCap(1, b"ZCARD", 2),)),
        ("ZADD z XX INCR 1 a", (ElementCap(1, b"ZCARD", 1),)),
        ("ZINCRBY z 1 a", (ElementCap(1, b"ZCARD", 1),)),
        ("HSET h f v g w", (ElementCap(1, b"HLEN", 2),)),
        ("HMSET h f v", (ElementCap(1, b"HLEN", 1),)),
        ("HSETNX h f v", (ElementCap(1, b"HLEN", 1),)),
        ("HINCRBY h f 1", (ElementCap(1, b"HLEN", 1),)),
        ("HINCRBYFLOAT h f 1", (ElementCap(1, b"HLEN", 1),)),
        ("XADD s MAXLEN 10 * f v", (ElementCap(1, b"XLEN", 1),)),
        ("GEOADD g NX 1 2 a 3 4 b", (ElementCap(1, b"ZCARD", 2),)),
        ("SMOVE a b m", (ElementCap(2, b"SCARD", 1),)),
        ("LMOVE a b LEFT RIGHT", (ElementCap(2, b"LLEN", 1),)),
        ("BLMOVE a b LEFT RIGHT 1", (ElementCap(2, b"LLEN", 1),)),
        ("RPOPLPUSH a b", (ElementCap(2, b"LLEN", 1),)),
        ("BRPOPLPUSH a b 1", (ElementCap(2, b"LLEN", 1),)),
        ("SUNIONSTORE d a b", (StoreCap((2, 3), b"SCARD", "sum"),)),
        ("SINTERSTORE d a b", (StoreCap((2, 3), b"SCARD", "min"),)),
        ("SDIFFSTORE d a b", (StoreCap((2, 3), b"SCARD", "first"),)),
        ("ZUNIONSTORE d 2 a b WEIGHTS 1 2", (StoreCap((3, 4), b"ZCARD", "sum"),)),
        ("ZINTERSTORE d 2 a b", (StoreCap((3, 4), b"ZCARD", "min"),)),
        ("ZDIFFSTORE d 2 a b", (StoreCap((3, 4), b"ZCARD", "first"),)),
        ("ZRANGESTORE d z 0 -1", (StoreCap((2,), b"ZCARD", "first"),)),
        ("GEOSEARCHSTORE d g FROMLONLAT 1 2 BYRADIUS 1 km", (StoreCap((2,), b"ZCARD", "first"),)),
        ("GEORADIUS g 1 2 3 km STORE d", (StoreCap((1,), b"ZCARD", "first"),)),
        ("GEORADIUSBYMEMBER g m 3 km STOREDIST d", (StoreCap((1,), b"ZCARD", "first"),)),
        ("GEORADIUS g 1 2 3 km", ()),
        ("APPEND k hello", (StringCap(1, 5),)),
        ("LCS a b", (LcsCap(1, 2),)),
        ("GET k", ()),
        ("SET k v", ()),
        ("SORT l STORE d", ()),
        ("COPY a b", ()),
        ("BITOP OR d a b", ()),
    ],
)
def test_probes(line: str, probes: tuple[object, ...]) -> None:
    assert analyze(line).probes == probes


@pytest.mark.parametrize(
    ("line", "timeout"),
    [
        ("BLPOP a b 5", Timeout(3, "s")),
        ("BRPOP a 0", Timeout(2, "s")),
        ("BZPOPMIN a 1.5", Timeout(2, "s")),
        ("BZPOPMAX a 1.5", Timeout(2, "s")),
        ("BLMPOP 5 1 a LEFT", Timeout(1, "s")),
        ("BZMPOP 5 1 a MIN", Timeout(1, "s")),
        ("BLMOVE a b LEFT LEFT 0", Timeout(5, "s")),
        ("BRPOPLPUSH a b 3", Timeout(3, "s")),
        ("XREAD BLOCK 10 STREAMS s 0", Timeout(2, "ms")),
        ("XREAD BLOCK 5 COUNT 1 BLOCK 0 STREAMS s 0", Timeout(6, "ms")),
        ("XREADGROUP GROUP g c BLOCK 0 STREAMS s >", Timeout(5, "ms")),
        ("XREAD STREAMS s 0", None),
        ("LPOP a", None),
    ],
)
def test_timeouts(line: str, timeout: Timeout | None) -> None:
    assert analyze(line).timeout == timeout


def test_timeout_values_are_read_like_redis(raw: RawRedis) -> None:
    rejected = ["abc", "-1", "inf", "-inf", "infinity", "1e16", "nan", " 1", "1 ", "1e", "0x",
                "1_0", "", "1e5000", "1e-5000", "--1", "0x1p99999", "1\x00"]  # fmt: skip
    for value in rejected:
        assert Timeout(0, "s").seconds([value.encode()]) is None, value
        assert isinstance(raw.call("BLPOP", "tk:none", value), ErrorReply), value
    accepted = {"0.01": 0.01, ".01": 0.01, "1e-2": 0.01, "+0.01": 0.01, "0.0109": 0.01,
                "0x1.47ae147ae147bp-7": 0.01}  # fmt: skip
    for value, seconds in accepted.items():
        assert Timeout(0, "s").seconds([value.encode()]) == seconds, value
        assert raw.call("BLPOP", "tk:none", value) is None, value
    assert Timeout(0, "s").seconds([b"-0.0009"]) == 0.0  # Redis: block forever
    assert Timeout(0, "s").seconds([b"0x10"]) == 16.0
    assert Timeout(0, "s").seconds([b"1e15"]) == 1e15
    assert Timeout(0, "ms").seconds([b"1500"]) == 1.5
    for value in ("-1", "1.5", "+1", "01", "-0", " 1", "99999999999999999999"):
        assert Timeout(0, "ms").seconds([value.encode()]) is None, value
        reply = raw.call("XREAD", "BLOCK", value, "STREAMS", "tk:none", "$")
        assert isinstance(reply, ErrorReply), value


def test_rewritten_samples_pass_the_acl_backstop(fresh_redis: RedisServer) -> None:
    """Run every sample as a key-restricted ACL user after prefixing the analysis's keys."""
    admin = RawRedis(fresh_redis.socket)
    rules = ["+" + name for name in table.acl_command_names()]
    pattern = "~" + PREFIX.decode() + "*"
    assert admin.call("ACL", "SETUSER", "learner", "on", ">pw", pattern, *rules) == b"OK"
    learner = RawRedis(fresh_redis.socket, timeout=5)
    assert learner.call("AUTH", "learner", "pw") == b"OK"
    try:
        for _, line in ALL_SAMPLES:
            analysis = analyze(line)
            if analysis.spec.handler != "redis":
                continue
            args = split(line)
            for ref in analysis.keys:
                args[ref.index] = PREFIX + args[ref.index]
            if analysis.timeout is not None:
                args[analysis.timeout.index] = b"0.01" if analysis.timeout.unit == "s" else b"10"
            reply = learner.call(*args)
            denied = isinstance(reply, ErrorReply) and reply.startswith(b"NOPERM")
            assert not denied, (line, reply)
    finally:
        learner.close()
        admin.close()


@pytest.fixture(scope="module")
def own_raw() -> Iterator[RawRedis]:
    """A private server for commands whose outcome is not known in advance."""
    with running_redis() as server:
        client = RawRedis(server.socket)
        yield client
        client.close()


WORDS = """STORE STOREDIST STREAMS BY GET SET INCRBY OVERFLOW SAT LIMIT COUNT BLOCK GROUP NOACK
ASC DESC ALPHA WEIGHTS AGGREGATE SUM MAX MIN LEFT RIGHT ANY WITHDIST WITHCOORD WITHHASH REPLACE
DB JUSTID km u8 i5 #3 0 1 2 3 -1 10 $ > a b c nosort w_* # 1.5 x"""
TOKENS = st.sampled_from(WORDS.split())
MOVABLE = {
    "sort": ["SORT", "l"],
    "sort_ro": ["SORT_RO", "l"],
    "georadius": ["GEORADIUS", "g", "15", "37", "200", "km"],
    "georadiusbymember": ["GEORADIUSBYMEMBER", "g", "m", "200", "km"],
    "xread": ["XREAD"],
    "xreadgroup": ["XREADGROUP"],
    "xreadgroup-group": ["XREADGROUP", "GROUP"],
    "zunionstore": ["ZUNIONSTORE", "d"],
    "zinterstore": ["ZINTERSTORE", "d"],
    "zdiffstore": ["ZDIFFSTORE", "d"],
    "zunion": ["ZUNION"],
    "zinter": ["ZINTER"],
    "zdiff": ["ZDIFF"],
    "zintercard": ["ZINTERCARD"],
    "sintercard": ["SINTERCARD"],
    "lmpop": ["LMPOP"],
    "zmpop": ["ZMPOP"],
    "blmpop": ["BLMPOP", "0.01"],
    "bzmpop": ["BZMPOP", "0.01"],
    "bitfield": ["BITFIELD", "k"],
    "bitfield_ro": ["BITFIELD_RO", "k"],
    "copy": ["COPY", "a", "b"],
}


def check_random(raw: RawRedis, args: list[bytes]) -> None:
    """Analysis of arbitrary args: Redis's own error, a refusal, or every Redis key found."""
    error = None
    try:
        analysis = analyze(args)
    except Refusal:
        return
    except CommandError as exc:
        error = exc.reply
    if error is not None:
        # Redis answers the very same error (and so runs nothing).
        assert raw.call(*args) == error, args
        return
    check_against_getkeys(raw, args, analysis)


@pytest.mark.parametrize("name", sorted(MOVABLE))
@settings(max_examples=120, deadline=None)
@given(tokens=st.lists(TOKENS, max_size=9))
def test_random_arguments(own_raw: RawRedis, name: str, tokens: list[str]) -> None:
    check_random(own_raw, [word.encode() for word in MOVABLE[name] + tokens])


OPTION_GROUPS = st.sampled_from(
    [["COUNT", "1"], ["BLOCK", "10"], ["GROUP", "g", "c"], ["GROUP", "STREAMS", "STREAMS"],
     ["NOACK"], ["COUNT", "STREAMS"], ["BLOCK", "-1"], ["GROUP", "g"], ["STREAMS"]]
)  # fmt: skip


@st.composite
def xread_args(draw: st.DrawFn) -> list[str]:
    """XREAD/XREADGROUP with option groups, then STREAMS, keys (named like options) and ids."""
    words = [draw(st.sampled_from(["XREAD", "XREADGROUP"]))]
    for group in draw(st.lists(OPTION_GROUPS, max_size=3)):
        words += group
    count = draw(st.integers(0, 3))
    words += ["STREAMS", *draw(st.lists(TOKENS, min_size=count, max_size=count))]
    words += draw(st.lists(st.sampled_from(["0", "$", ">"]), min_size=count, max_size=count + 1))
    return words


@st.composite
def numkeys_args(draw: st.DrawFn) -> list[str]:
    """A numkeys command with a small count, key-like words and options."""
    prefix = draw(st.sampled_from([m for n, m in MOVABLE.items() if "STORE" not in m[0]
                                   and n not in ("xread", "xreadgroup", "xreadgroup-group")
                                   and not n.startswith(("sort", "geo", "bitfield", "copy"))]
                                  + [MOVABLE["zunionstore"], MOVABLE["zinterstore"]]))  # fmt: skip
    number = str(draw(st.integers(-1, 4)))
    return [*prefix, number, *draw(st.lists(TOKENS, max_size=6))]


@st.composite
def sort_args(draw: st.DrawFn) -> list[str]:
    """SORT/SORT_RO with well-formed option groups, some naming keys like options."""
    words = [draw(st.sampled_from(["SORT", "SORT_RO"])), "l"]
    groups = st.sampled_from(
        [["ASC"], ["DESC"], ["ALPHA"], ["LIMIT", "0", "1"], ["BY", "nosort"], ["BY", "store"],
         ["STORE", "d"], ["STORE", "by"], ["STORE", "STORE"], ["STORE", "limit"], ["GET", "#"]]
    )  # fmt: skip
    for group in draw(st.lists(groups, max_size=4)):
        words += group
    return words


@settings(max_examples=400, deadline=None)
@given(words=st.one_of(xread_args(), numkeys_args(), sort_args()))
def test_random_structured_arguments(own_raw: RawRedis, words: list[str]) -> None:
    check_random(own_raw, [word.encode() for word in words])
