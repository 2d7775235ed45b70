"""Commands newer than Redis 7.0: checked against recorded command tables, gated per server.

The dumps (``tests/data/redis-commands``) are what a Redis build between 7.4 and
8.0 and a Valkey 8 build print for COMMAND INFO/DOCS; the entries are checked
against them the way ``test_table.py`` checks 7.0.15's against the live server.
The live tests run on the machine's redis-server (7.0.15: the newer commands stay
unknown), and on a newer server when one is given (``TRYREDIS_TEST_NEWER_REDIS``,
a redis-server 7.4+) or a ``valkey-server`` is on PATH (or ``TRYREDIS_TEST_VALKEY``).
On a newer server every exercise of the course must also be solvable (encodings differ
from 7.0's: a small set is a listpack on 7.2+).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.conftest import ApiSession, settings_for
from tests.lessons.course import Learner
from tests.repl.test_engine import real_redis_outputs
from tests.support.clidump import command_info, dump_names, read_dump
from tests.support.live import serving
from tests.support.redis_servers import REDIS_SERVER, RedisServer, running_redis
from tryredis.app import create_app
from tryredis.cli import newer_command_names, sandbox_command_names
from tryredis.lessons import load_lessons
from tryredis.redisconf import AclUsers, sandbox_command_rules, user_rules
from tryredis.repl import Limits, ServerInfo, help_text, probe_server, table
from tryredis.repl.command_docs import DOCS
from tryredis.repl.commands import NEWER
from tryredis.repl.commands.newer import fields_set
from tryredis.repl.cost import View, bounds
from tryredis.repl.docs_render import docs_from_reply
from tryredis.repl.keyindex import SCRIPTS, Usage
from tryredis.repl.newer_docs import NEWER_DOCS
from tryredis.repl.spec import CommandError, CommandSpec
from tryredis.settings import PROJECT_ROOT
from tryredis.wire import Executor, make_pool

DUMPED = ["redis-unstable-2024-10", "valkey-unstable-2024-10"]
HASH_TTL = {"hexpire", "hexpireat", "hpexpire", "hpexpireat", "httl", "hpttl", "hexpiretime",
            "hpexpiretime", "hpersist"}  # fmt: skip
REDIS_8 = {"hgetdel", "hgetex", "hsetex"}
LIMITS = Limits()


def as_map(flat: list[Any]) -> dict[str, Any]:
    """A RESP2 map (``[k1, v1, k2, v2 ...]``) as a dict."""
    return dict(zip(flat[::2], flat[1::2], strict=True))


def offered_by(server: str) -> frozenset[str]:
    """The newer entries a dumped server has."""
    return frozenset(NEWER & dump_names(server))


def specs(offered: frozenset[str]) -> dict[str, CommandSpec]:
    """The table as offered on a server with ``offered``: leaves and their containers."""
    found = {s.name: s for group in table.commands_by_group(offered).values() for s in group}
    for name in list(found):
        parent = name.partition("|")[0]
        if parent not in found and (container := table.find_spec(parent, offered)) is not None:
            found[parent] = container
    return found


def test_the_base_table_is_7_0_15s_recorded_one() -> None:
    assert set(specs(frozenset())) == dump_names("redis-7.0.15")
    assert docs_from_reply(read_dump("redis-7.0.15-docs")) == DOCS


@pytest.mark.parametrize("server", DUMPED)
def test_table_has_exactly_the_dumped_servers_commands(server: str) -> None:
    assert set(specs(offered_by(server))) == dump_names(server)


def test_every_newer_entry_is_in_a_dump_or_is_redis_8s() -> None:
    dumped = set().union(*(offered_by(server) for server in DUMPED))
    assert NEWER - dumped == REDIS_8
    assert offered_by("redis-unstable-2024-10") >= HASH_TTL
    assert not HASH_TTL & offered_by("valkey-unstable-2024-10")  # Valkey 8 has none


@pytest.mark.parametrize("server", DUMPED)
def test_arity_flags_and_key_specs_match_command_info(server: str) -> None:
    info = command_info(server)
    redis_info = command_info("redis-unstable-2024-10")
    for name in offered_by(server):
        spec = specs(offered_by(server))[name]
        entry = redis_info.get(name, info[name])  # flags: Redis's own where it has the command
        assert spec.arity == info[name][1], name
        assert spec.flags == set(entry[2]), name
        if spec.handler != "redis":
            continue
        (key_spec,) = [as_map(k) for k in info[name][8]]
        begin, find = as_map(key_spec["begin_search"]), as_map(key_spec["find_keys"])
        assert begin["type"] == "index" and find["type"] == "range", name
        assert find["spec"][:2] == ["lastkey", 0], name  # exactly one key ...
        position = begin["spec"][1]  # ... at this position
        args = [name.encode(), b"h", b"10", b"FIELDS", b"2", b"f", b"g", b"v"]
        analysis = spec.analyze(args, LIMITS)
        assert [k.index for k in analysis.keys] == [position], name
        assert analysis.keys[0].write == ("RW" in key_spec["flags"]), name


def test_redis_8_entries_follow_the_command_reference() -> None:
    # HGETDEL/HGETEX/HSETEX came after the dumps: Redis's reference gives arity -5/-5/-6,
    # flags, and one read-write key at position 1.
    found = specs(NEWER)
    assert (found["hgetdel"].arity, found["hgetdel"].flags) == (-5, frozenset({"write", "fast"}))
    assert (found["hgetex"].arity, found["hgetex"].flags) == (-5, frozenset({"write", "fast"}))
    assert (found["hsetex"].arity, found["hsetex"].flags) == (
        -6,
        frozenset({"write", "denyoom", "fast"}),
    )
    for name in REDIS_8:
        args = [name.encode(), b"h", b"FIELDS", b"1", b"f", b"v"]
        keys = found[name].analyze(args, LIMITS).keys
        assert [(k.index, k.write) for k in keys] == [(1, True)]
        assert NEWER_DOCS[name][0] == "hash" and NEWER_DOCS[name][3] == "8.0.0"
        assert NEWER_DOCS[name][2].startswith(f"{name.upper()} key ")


@pytest.mark.parametrize("server", DUMPED)
def test_newer_docs_are_the_dumped_servers_own(server: str) -> None:
    docs = docs_from_reply(read_dump(f"{server}-docs"))
    redis_docs = docs_from_reply(read_dump("redis-unstable-2024-10-docs"))
    for name in offered_by(server):
        assert NEWER_DOCS[name] == redis_docs.get(name, docs[name]), name


def test_newer_commands_are_unknown_without_the_server_having_them() -> None:
    line = [b"HEXPIRE", b"h", b"10", b"FIELDS", b"1", b"f"]
    with pytest.raises(CommandError) as caught:
        table.resolve(line)
    assert caught.value.reply == (
        b"ERR unknown command 'HEXPIRE', with args beginning with: 'h' '10' 'FIELDS' '1' 'f' "
    )
    with pytest.raises(CommandError, match=r"^ERR unknown subcommand 'setinfo'. Try CLIENT HELP"):
        table.resolve([b"client", b"setinfo", b"lib-name", b"x"])
    assert table.resolve(line, offered=NEWER).name == "hexpire"
    assert table.find_spec("hexpire") is None and table.find_spec("hexpire", NEWER) is not None
    assert "hexpire" not in table.acl_command_names()
    assert "hexpire" in table.acl_command_names(NEWER)
    assert "waitaof" not in table.acl_command_names(NEWER)  # refused: never granted
    assert table.newer_acl_names() == {"7.4.0": sorted(HASH_TTL), "8.0.0": sorted(REDIS_8)}


def test_help_follows_the_servers_docs() -> None:
    assert help_text([b"hexpire"]).startswith('No help for "hexpire"')
    assert "HEXPIRE" not in help_text([])
    valkey_docs = docs_from_reply(read_dump("valkey-unstable-2024-10-docs"))
    valkey = ServerInfo("Valkey", "8.0.0", offered_by("valkey-unstable-2024-10"), valkey_docs)
    assert "summary: Returns the string value of a key." in help_text([b"get"], valkey)
    assert "summary: Get the value of a key" in help_text([b"get"])
    assert "HEXPIRE" not in help_text([b"@hash"], valkey)
    newer = ServerInfo("Redis", "8.0.0", NEWER)
    text = help_text([b"hexpire"], newer)
    assert "HEXPIRE key seconds [NX | XX | GT | LT] FIELDS numfields field [field ...]" in text
    assert "HSETEX" in help_text([b"@hash"], newer)
    assert "waitaof" in help_text([b"waitaof"], newer).lower()
    assert "not available" in help_text([b"waitaof"], newer)


def test_hash_commands_are_bounded_like_the_other_hash_commands() -> None:
    found = specs(NEWER)
    view = View(Usage(size=1000, elements=10, keys=1))

    def bound(line: str) -> Any:
        args = line.encode().split()
        return bounds(found[line.split()[0].lower()].analyze(args, LIMITS), args, LIMITS, view)

    hsetex = bound("HSETEX h FNX EX 10 FIELDS 3 a 1 b 2 c 3")
    assert hsetex.added == 3 and hsetex.new_keys == 1 and hsetex.growth > 0
    assert fields_set([b"hsetex", b"h", b"KEEPTTL", b"FIELDS", b"2", b"a", b"1", b"b", b"2"]) == 2
    assert bound("HGETDEL h FIELDS 1 a").growth == 0  # it only removes
    assert bound("HPERSIST h FIELDS 1 a").new_keys == 0
    hexpire = bound("HEXPIRE h 10 FIELDS 2 a b")
    assert hexpire.new_keys == 0 and hexpire.growth > 0  # a field's TTL takes room
    assert bound("HTTL h FIELDS 2 a b").reply < 1000  # integers only, not the hash
    assert bound("HGETEX h PERSIST FIELDS 1 a").reply >= 1000  # values: up to the hash
    over = Limits(key_max_elements=2)
    args = b"HSETEX h FIELDS 3 a 1 b 2 c 3".split()
    assert found["hsetex"].analyze(args, over).probes[0].added == 3  # type: ignore[union-attr]


def test_field_expiry_sync_script_differs_only_by_its_switch() -> None:
    base, fields = SCRIPTS["sync"][0], SCRIPTS["sync_fields"][0]
    assert base.replace("local hfe = false", "local hfe = true") == fields
    assert SCRIPTS["sync"][1] != SCRIPTS["sync_fields"][1]


# The one error text the engine words itself that differs by server and version.
UNBALANCED_STREAMS = ["XREAD STREAMS a b c", "XREADGROUP GROUP g c STREAMS a b c",
                      "MULTI", "XREAD COUNT 1 STREAMS a", "EXEC"]  # fmt: skip

# -- live servers ---------------------------------------------------------------------

pytestmark_live = pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server not installed")


def probe(server: RedisServer) -> ServerInfo:
    """probe_server on a fresh pool of ``server``."""

    async def run() -> ServerInfo:
        executor = Executor(make_pool(server.url, size=1, socket_timeout=5))
        try:
            return await probe_server(executor)
        finally:
            await executor.close()

    return asyncio.run(run())


@pytestmark_live
def test_on_7_0_15_newer_commands_stay_the_servers_unknown_command(server: RedisServer) -> None:
    found = probe(server)
    assert found.name == "Redis"
    assert found.version == server.client().info("server")["redis_version"]
    assert found.offered == frozenset() and found.docs == DOCS
    lines = ["HEXPIRE h 10 FIELDS 1 f", "hsetex h FIELDS 1 f v", "httl h FIELDS 1 f",
             "WAITAOF 0 0 0", "CLIENT SETINFO lib-name x", *UNBALANCED_STREAMS]  # fmt: skip
    expected = asyncio.run(real_redis_outputs(server, lines))
    with TestClient(create_app(settings_for(server))) as client:
        learner = ApiSession.open(client)
        assert [learner.out(line) for line in lines] == expected
        assert learner.out("help hexpire").startswith('No help for "hexpire"')


def _binary(variable: str, name: str) -> str | None:
    return os.environ.get(variable) or shutil.which(name)


VALKEY = _binary("TRYREDIS_TEST_VALKEY", "valkey-server")
NEWER_REDIS = os.environ.get("TRYREDIS_TEST_NEWER_REDIS")


@pytest.fixture(scope="module")
def valkey() -> Iterator[RedisServer]:
    """A private valkey-server."""
    if VALKEY is None:
        pytest.skip("no valkey-server (on PATH or TRYREDIS_TEST_VALKEY)")
    with running_redis(binary=VALKEY) as server:
        yield server


def test_on_valkey_the_table_follows_its_command_list(valkey: RedisServer) -> None:
    found = probe(valkey)
    info = valkey.client().info("server")
    assert (found.name, found.version) == ("Valkey", info["valkey_version"])
    listed = {n.decode() if isinstance(n, bytes) else n for n in valkey.client().command_list()}
    assert found.offered == NEWER & listed
    lines = ["HSET h f v", "HEXPIRE h 10 FIELDS 1 f", "HGETDEL h FIELDS 1 f", "HGET h f",
             *UNBALANCED_STREAMS]  # fmt: skip
    expected = asyncio.run(real_redis_outputs(valkey, lines))
    with TestClient(create_app(settings_for(valkey))) as client:
        learner = ApiSession.open(client)
        assert [learner.out(line) for line in lines] == expected
        assert "Returns the string value of a key." in learner.out("help get")  # Valkey's docs


@pytest.fixture(scope="module")
def newer_redis() -> Iterator[RedisServer]:
    """A private redis-server 7.4 or newer (hash-field expiry)."""
    if NEWER_REDIS is None:
        pytest.skip("no Redis 7.4+ given (TRYREDIS_TEST_NEWER_REDIS=/path/to/redis-server)")
    with running_redis(binary=NEWER_REDIS) as server:
        yield server


def test_on_a_newer_redis_hash_fields_expire_and_the_index_follows(
    newer_redis: RedisServer,
) -> None:
    found = probe(newer_redis)
    assert found.offered >= HASH_TTL
    lines = ["HSET h a 1 b 2 c 3", "HPEXPIRE h 300 FIELDS 2 a b", "HPTTL h FIELDS 3 a b c",
             "HTTL h FIELDS 1 nosuch", "HPERSIST h FIELDS 1 b", "HLEN h",
             "HEXPIRETIME nosuch FIELDS 1 a", "HEXPIRE h 10 XX FIELDS 1 c",
             *UNBALANCED_STREAMS]  # fmt: skip
    expected = asyncio.run(real_redis_outputs(newer_redis, lines))
    with TestClient(create_app(settings_for(newer_redis))) as client:
        learner = ApiSession.open(client)
        outputs = [learner.out(line) for line in lines]
        assert outputs[2] != "" and outputs[:2] == expected[:2] and outputs[3:] == expected[3:]
        assert "HEXPIRE key seconds" in learner.out("help hexpire")
        assert learner.out("HSET g x 1") == "(integer) 1"
        assert learner.out("HPEXPIRE g 200 FIELDS 1 x") == "1) (integer) 1"
        assert learner.out("DBSIZE") == "(integer) 2"
        deadline = time.monotonic() + 5
        while learner.out("DBSIZE") != "(integer) 1" and time.monotonic() < deadline:
            time.sleep(0.1)  # the last field of g expires: g goes, and the index sees it
        assert learner.out("DBSIZE") == "(integer) 1"
        assert learner.out("KEYS *") == '1) "h"'


def _unsolved_exercises(server: RedisServer) -> list[str]:
    """Every command exercise whose reference solution does not pass on ``server``."""
    failed = []
    with serving(create_app(settings_for(server))) as url:
        for lesson in load_lessons(PROJECT_ROOT / "lessons_md"):
            for exercise in lesson.exercises:
                if exercise.kind != "commands":
                    continue
                learner = Learner(url)
                try:
                    if not learner.attempt(exercise, exercise.solution).passed:
                        failed.append(lesson.progress_name(exercise.id))
                finally:
                    learner.close()
    return failed


def test_on_a_newer_redis_every_exercise_can_be_solved(newer_redis: RedisServer) -> None:
    assert _unsolved_exercises(newer_redis) == []


def test_on_valkey_every_exercise_can_be_solved(valkey: RedisServer) -> None:
    assert _unsolved_exercises(valkey) == []


def test_on_a_newer_redis_a_sandbox_user_without_the_newer_lines_is_offered_none(
    newer_redis: RedisServer,
) -> None:
    # `tryredis acl` prints the newer commands' ACL lines apart; an operator who skips
    # them must not get HSET writes the key index cannot record (it reads field TTLs).
    users = AclUsers.generate()
    for name, rules in user_rules("tryredis:", users, sandbox_command_names()):
        if name == users.sandbox_user:
            newer_redis.client().execute_command("ACL", "SETUSER", name, *rules.split())  # type: ignore[no-untyped-call]
    url = f"unix://{users.sandbox_user}:{users.sandbox_password}@{newer_redis.socket}"
    probe_key = b"tryredis:u:{server}:probe"

    async def offered() -> frozenset[str]:
        executor = Executor(make_pool(url, size=1, socket_timeout=5))
        try:
            return (await probe_server(executor, probe_key)).offered
        finally:
            await executor.close()

    assert asyncio.run(offered()) == frozenset()
    for names in newer_command_names().values():
        newer_redis.client().execute_command(  # type: ignore[no-untyped-call]
            "ACL", "SETUSER", users.sandbox_user, *sandbox_command_rules(names)
        )
    assert asyncio.run(offered()) >= HASH_TTL
