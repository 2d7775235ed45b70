"""The engine's semantics through the API: transactions and WATCH compared with a real
Redis connection, limits, the key index, blocking commands."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from starlette.testclient import TestClient

from tests.conftest import ApiSession, settings_for
from tests.support.redis_servers import RedisServer
from tryredis.app import create_app
from tryredis.repl.formatter import format_reply
from tryredis.repl.tokenizer import split_line
from tryredis.wire import Executor, make_pool


@pytest.fixture
def learner(module_client: TestClient) -> ApiSession:
    return ApiSession.open(module_client)


async def real_redis_outputs(server: RedisServer, lines: list[str]) -> list[str]:
    """What redis-cli prints for each line, all on ONE connection (as a terminal session)."""
    executor = Executor(make_pool(server.url, size=1, socket_timeout=5))
    outputs = []
    try:
        async with executor.hold() as held:
            (flushed,) = await held.run([(b"FLUSHALL",)])
            assert flushed == b"OK"
            for line in lines:
                (reply,) = await held.run([tuple(split_line(line))])
                outputs.append(format_reply(reply))
            await held.run([(b"UNWATCH",)])
            await held.run([(b"DISCARD",)])
    finally:
        await executor.close()
    return outputs


SEQUENCES = [
    ["MULTI", "SET a 1", "INCR a", "GET a", "EXEC", "GET a"],
    ["MULTI", "MULTI", "INCR a", "EXEC"],
    ["EXEC", "DISCARD", "MULTI", "DISCARD", "EXEC"],
    ["MULTI", "INCR a", "GET", "EXEC", "GET a"],
    ["MULTI", "INCR a", "NOSUCHCOMMAND", "EXEC", "GET a"],
    ["SET s text", "MULTI", "INCR s", "SET t 1", "LPUSH s x", "EXEC", "GET t"],
    ["MULTI", "EXEC"],
    ["MULTI", "WATCH a", "SET a 1", "EXEC"],
    ["SET a 1", "WATCH a", "SET a 2", "MULTI", "INCR a", "EXEC", "GET a"],
    ["SET a 1", "WATCH a", "MULTI", "INCR a", "EXEC", "GET a"],
    ["WATCH a b", "UNWATCH", "SET a 1", "MULTI", "INCR a", "EXEC"],
    ["SET a 1", "WATCH a", "DEL a", "MULTI", "SET a 5", "EXEC", "GET a"],
    ["WATCH nothere", "MULTI", "SET nothere 1", "EXEC"],
    ["SET a 1", "WATCH a", "MULTI", "SET a 2", "DISCARD", "SET a 3", "MULTI", "INCR a", "EXEC"],
    ["MULTI", "BLPOP q 0", "LPUSH q x", "EXEC"],
    ["MULTI", "ZUNIONSTORE d 0 a", "SET k v", "EXEC", "GET k"],
    ["MULTI", "UNWATCH", "PING", "EXEC"],
    ["RPUSH l a b c", "MULTI", "LRANGE l 0 -1", "LPOP l 2", "EXEC"],
    ["SET a 1", "WATCH a", "FLUSHALL", "MULTI", "SET a 2", "EXEC"],
]


@pytest.mark.parametrize("lines", SEQUENCES, ids=[" / ".join(s)[:70] for s in SEQUENCES])
def test_transactions_match_a_real_connection(
    server: RedisServer, module_client: TestClient, lines: list[str]
) -> None:
    expected = asyncio.run(real_redis_outputs(server, lines))
    learner = ApiSession.open(module_client)
    assert [learner.out(line) for line in lines] == expected


def test_watch_sees_writes_made_through_another_worker(server: RedisServer) -> None:
    # Two app instances on one Redis stand for two uvicorn workers: no shared memory.
    settings = settings_for(server)
    with TestClient(create_app(settings)) as one, TestClient(create_app(settings)) as two:
        learner = ApiSession.open(one)
        elsewhere = ApiSession(two, learner.token)
        assert learner.out("SET balance 100") == "OK"
        assert learner.out("WATCH balance") == "OK"
        assert elsewhere.out("DECRBY balance 30") == "(integer) 70"
        assert learner.out("MULTI") == "OK"
        assert elsewhere.out("INCR balance") == "QUEUED"  # the MULTI state is shared too
        assert learner.out("EXEC") == "(nil)"
        assert elsewhere.out("GET balance") == '"70"'


def test_watched_key_that_expires_aborts(learner: ApiSession) -> None:
    assert learner.out("SET k v PX 200") == "OK"
    assert learner.out("WATCH k") == "OK"
    time.sleep(0.3)
    assert learner.out("MULTI") == "OK"
    assert learner.out("SET k again") == "QUEUED"
    assert learner.out("EXEC") == "(nil)"


def test_transaction_queue_cap_makes_exec_abort(
    module_client: TestClient, server: RedisServer
) -> None:
    with TestClient(create_app(settings_for(server, multi_max_commands=3))) as client:
        learner = ApiSession.open(client)
        learner.run("MULTI")
        for _ in range(3):
            assert learner.out("INCR n") == "QUEUED"
        over = learner.run("INCR n")
        assert over["kind"] == "refused" and "TRYREDIS_MULTI_MAX_COMMANDS" in over["output"]
        assert learner.out("EXEC").startswith("(error) EXECABORT")
        assert learner.out("GET n") == "(nil)"


def test_refused_command_while_queuing_aborts_exec(learner: ApiSession) -> None:
    learner.run("MULTI")
    assert learner.run("CONFIG GET maxmemory")["kind"] == "refused"
    assert learner.out("EXEC") == (
        "(error) EXECABORT Transaction discarded because of previous errors."
    )


def test_element_cap(learner: ApiSession) -> None:
    members = " ".join(str(i) for i in range(60))
    for _ in range(16):
        learner.run(f"RPUSH big {members}")
    assert learner.out("LLEN big") == "(integer) 960"
    refused = learner.run(f"RPUSH big {members}")
    assert refused["kind"] == "refused" and "1000 elements" in refused["output"]
    assert learner.out("LLEN big") == "(integer) 960"  # nothing was written


def test_store_cap_counts_plain_set_sources(learner: ApiSession) -> None:
    members = " ".join(str(i) for i in range(60))
    for name in ("s1", "s2"):
        for block in range(9):
            learner.run(f"SADD {name} " + " ".join(f"{name}-{block}-{m}" for m in members.split()))
    assert learner.out("SCARD s1") == "(integer) 540"
    result = learner.run("ZUNIONSTORE dest 2 s1 s2")
    assert result["kind"] == "refused", result
    assert learner.out("EXISTS dest") == "(integer) 0"


def test_string_cap_on_append(learner: ApiSession) -> None:
    chunk = "x" * 4000
    for _ in range(16):
        assert learner.run(f"APPEND s {chunk}")["kind"] == "reply"
    refused = learner.run(f"APPEND s {chunk}")
    assert refused["kind"] == "refused" and "65536 bytes" in refused["output"]
    assert learner.out("STRLEN s") == "(integer) 64000"


def test_sandbox_key_and_memory_quotas(server: RedisServer) -> None:
    settings = settings_for(server, sandbox_max_keys=5, sandbox_max_bytes=20_000)
    with TestClient(create_app(settings)) as client:
        learner = ApiSession.open(client)
        for i in range(5):
            assert learner.out(f"SET k{i} v") == "OK"
        refused = learner.run("SET k5 v")
        assert refused["kind"] == "refused" and "TRYREDIS_SANDBOX_MAX_KEYS" in refused["output"]
        assert learner.out("SET k0 overwrite") == "OK"  # an existing key is not a new one
        learner.run("FLUSHALL")
        # A string grown by APPEND may take twice its length (sds): the bound counts it,
        # and the quota is never passed, not even by one command.
        results = [learner.run(f"APPEND big {'y' * 4000}") for _ in range(4)]
        assert [r["kind"] for r in results[:2]] == ["reply", "reply"]
        assert results[-1]["kind"] == "refused"
        assert "TRYREDIS_SANDBOX_MAX_BYTES" in results[-1]["output"]
        used = server.client().memory_usage(f"tryredis:u:{{{learner.learner_id}}}:big", 0)
        assert used is not None and used <= 20_000
        assert learner.out("DEL big") == "(integer) 1"
        assert learner.out("SET other 1") == "OK"


def test_reply_cap(learner: ApiSession) -> None:
    for block in range(20):
        fields = " ".join(f"f{block}-{i} v" for i in range(30))
        assert learner.run(f"HSET h {fields}")["kind"] == "reply"
    refused = learner.run("HGETALL h")
    assert refused["kind"] == "refused" and "TRYREDIS_REPLY_MAX_ITEMS" in refused["output"]
    assert learner.out("HLEN h") == "(integer) 600"


WRITES = [
    "SET a 1",
    "MSET b 2 c 3",
    "MSETNX d 4",
    "SETNX e 5",
    "APPEND f x",
    "SETRANGE g 3 x",
    "INCRBYFLOAT h 1.5",
    "SETBIT i 7 1",
    "BITOP OR j a b",
    "PFADD k x",
    "PFMERGE l k",
    "HSET m f v",
    "HINCRBY n f 1",
    "LPUSH o x y",
    "RPOPLPUSH o p",
    "LMOVE o q LEFT RIGHT",
    "SADD r x y",
    "SMOVE r s x",
    "SUNIONSTORE t r s",
    "SINTERSTORE u r s",
    "SDIFFSTORE v r s",
    "ZADD w 1 x 2 y",
    "ZUNIONSTORE x 1 w",
    "ZRANGESTORE y w 0 -1",
    "ZINCRBY z 1 m",
    "GEOADD geo 13.36 38.11 Palermo",
    "GEOSEARCHSTORE geo2 geo FROMMEMBER Palermo BYRADIUS 1 km",
    "XADD st 1-0 f v",
    "XGROUP CREATE st2 g $ MKSTREAM",
    "RPUSH srt 3 1 2",
    "SORT srt STORE sorted",
    "COPY a acopy",
    "RENAME b brenamed",
    "RENAMENX c crenamed",
    "SET gone 1",
    "DEL gone",
    "SET tmp 1 PX 1",
    "GETDEL e",
    "LPUSH bl x",
    "BLMOVE bl bl2 LEFT LEFT 1",
]


def test_every_written_key_is_in_the_index(server: RedisServer, learner: ApiSession) -> None:
    for line in WRITES:
        assert learner.run(line)["kind"] in ("reply", "error"), line
    time.sleep(0.01)
    listed = sorted(line.split(") ", 1)[1] for line in learner.out("KEYS *").split("\n"))
    token_id = learner.token.split(".")[0]
    prefix = f"tryredis:u:{{{token_id}}}:".encode()
    keys = [k if isinstance(k, bytes) else k.encode() for k in server.client().keys(prefix + b"*")]
    real = sorted(k[len(prefix) :].decode() for k in keys)
    assert [name.strip('"') for name in listed] == real
    assert learner.out("DBSIZE") == f"(integer) {len(real)}"


def test_hex_blocking_timeouts_are_capped(learner: ApiSession) -> None:
    started = time.monotonic()
    assert learner.out("BLPOP empty 0x10") == "(nil)"  # Redis reads 16 s; the cap is 1 s
    assert time.monotonic() - started < 5


def test_blocking_commands_never_delay_other_learners(server: RedisServer) -> None:
    app = create_app(settings_for(server, block_max_seconds=2.0))

    async def scenario() -> tuple[float, list[str]]:
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://test") as http,
        ):
            tokens = [
                (await http.post("/api/v1/sessions", json={})).json()["token"] for _ in range(2)
            ]

            async def run(token: str, line: str) -> str:
                response = await http.post(
                    "/api/v1/run", json={"line": line}, headers={"Authorization": f"Bearer {token}"}
                )
                output: str = response.json()["results"][0]["output"]
                return output

            blocked = asyncio.create_task(run(tokens[0], "BLPOP q 2"))
            second = asyncio.create_task(run(tokens[0], "BLPOP q2 2"))
            await asyncio.sleep(0.2)
            started = time.monotonic()
            other = await run(tokens[1], "PING")
            elapsed = time.monotonic() - started
            return elapsed, [await blocked, await second, other]

    elapsed, outputs = asyncio.run(scenario())
    assert outputs[2] == "PONG"
    assert elapsed < 1.0  # answered while the first learner's BLPOP still waits
    assert sorted(outputs[:2])[0] == "(nil)"
    assert any("one at a time" in output for output in outputs[:2])


def test_publish_stays_in_the_sandbox(server: RedisServer, learner: ApiSession) -> None:
    pubsub = server.client().pubsub()  # type: ignore[no-untyped-call]
    pubsub.subscribe("news")
    pubsub.get_message(timeout=1)
    assert learner.out("PUBLISH news hello") == "(integer) 0"
    assert pubsub.get_message(timeout=0.2) is None
    pubsub.close()


def test_help(learner: ApiSession) -> None:
    overview = learner.out("help")
    assert "ZADD" in overview and "CONFIG" not in overview.split("Sandbox")[0]
    assert "summary: Set the string value of a key" in learner.out("help set")
    assert "not available" in learner.out("help config")
    assert "No help" in learner.out("help nosuchthing")
