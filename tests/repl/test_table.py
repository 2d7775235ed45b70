"""The command table against the real server: names, arity, flags, docs, error texts."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.redis_servers import REDIS_SERVER, RedisServer
from tools.gen_command_docs import fetch_docs, server_version
from tryredis.repl import Limits, table
from tryredis.repl.command_docs import DOCS, REDIS_VERSION
from tryredis.repl.commands import ALL, NEWER
from tryredis.repl.spec import CommandError, CommandSpec, Refusal
from tryredis.repl.table import resolve
from tryredis.wire import ErrorReply, Reply, Status

pytestmark = pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server not installed")
SETTINGS = Limits()


class RawRedis:
    """A bare RESP2 client: exact bytes out, exact replies back (errors are values)."""

    def __init__(self, path: Path, timeout: float = 2.0) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(str(path))
        self.file = self.sock.makefile("rb")

    def call(self, *args: bytes | str) -> Reply:
        """Send one command and read its reply."""
        parts = [b"*%d\r\n" % len(args)]
        for arg in args:
            data = arg.encode() if isinstance(arg, str) else arg
            parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
        self.sock.sendall(b"".join(parts))
        return self._read()

    def _read(self) -> Reply:
        line = self.file.readline()[:-2]
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return Status(rest)
        if kind == b"-":
            return ErrorReply(rest)
        if kind == b":":
            return int(rest)
        if kind == b"$":
            return None if rest == b"-1" else self.file.read(int(rest) + 2)[:-2]
        if kind == b"*":
            return None if rest == b"-1" else [self._read() for _ in range(int(rest))]
        raise AssertionError(f"bad RESP line {line!r}")

    def close(self) -> None:
        """Close the connection."""
        self.file.close()
        self.sock.close()


@pytest.fixture
def raw(redis_server: RedisServer) -> Iterator[RawRedis]:
    """A bare RESP2 connection to the session's server (admin user)."""
    client = RawRedis(redis_server.socket)
    yield client
    client.close()


def server_commands(raw: RawRedis) -> dict[str, list[Reply]]:
    """COMMAND INFO of every command and subcommand, by name."""
    found: dict[str, list[Reply]] = {}

    def add(entry: list[Reply]) -> None:
        name = entry[0]
        assert isinstance(name, bytes)
        found[name.decode()] = entry
        subcommands = entry[9]
        assert isinstance(subcommands, list)
        for sub in subcommands:
            assert isinstance(sub, list)
            add(sub)

    reply = raw.call("COMMAND")
    assert isinstance(reply, list)
    for entry in reply:
        assert isinstance(entry, list)
        add(entry)
    return found


def all_specs() -> dict[str, CommandSpec]:
    """Every entry of the table on Redis 7.0 (no newer ones: test_newer.py), containers included."""
    specs = {spec.name: spec for spec in ALL if spec.name not in NEWER}
    for name in list(specs):
        parent = name.partition("|")[0]
        if parent not in specs:
            container = table.find_spec(parent)
            assert container is not None
            specs[parent] = container
    return specs


def test_table_has_exactly_the_servers_commands(raw: RawRedis) -> None:
    assert set(all_specs()) == set(server_commands(raw))
    assert len(ALL) == len({spec.name for spec in ALL}), "an entry is listed twice"


def test_arity_and_flags_match_command_info(raw: RawRedis) -> None:
    info = server_commands(raw)
    for name, spec in all_specs().items():
        arity, flags = info[name][1], info[name][2]
        assert isinstance(flags, list)
        assert spec.arity == arity, name
        if spec.handler != "container":
            assert spec.flags == {flag.decode() for flag in flags if isinstance(flag, bytes)}, name


def test_docs_module_is_up_to_date(redis_server: RedisServer) -> None:
    client = redis_server.client()
    assert server_version(client) == REDIS_VERSION
    assert fetch_docs(client) == DOCS


def test_every_entry_has_help_text() -> None:
    for spec in all_specs().values():
        assert spec.summary and spec.syntax.startswith(spec.display) and spec.since, spec.name
    assert table.find_spec("set") is not None
    assert table.find_spec("SET")
    set_spec = table.find_spec("set")
    assert set_spec is not None
    assert set_spec.syntax == (
        "SET key value [NX | XX] [GET] [EX seconds | PX milliseconds | "
        "EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]"
    )
    assert table.find_spec("object encoding") is table.find_spec("OBJECT|ENCODING")
    assert table.find_spec("config") is not None
    assert table.find_spec("nosuch") is None
    assert table.find_spec("object nosuch") is None
    assert table.find_spec("héllo") is None
    assert table.find_spec("") is None


def test_groups_and_handlers() -> None:
    groups = table.commands_by_group()
    assert set(groups) == {
        "string", "bitmap", "hyperloglog", "hash", "list", "set", "sorted-set", "geo",
        "stream", "generic", "server", "transactions", "pubsub", "sandbox",
    }  # fmt: skip
    handlers: dict[str, set[str]] = {}
    for specs in groups.values():
        for spec in specs:
            handlers.setdefault(spec.handler, set()).add(spec.name)
    assert handlers["emulated"] == {"keys", "scan", "randomkey", "dbsize", "flushdb", "flushall"}
    assert handlers["transaction"] == {"multi", "exec", "discard", "watch", "unwatch"}
    assert handlers["pubsub"] == {
        "publish", "subscribe", "unsubscribe", "psubscribe", "punsubscribe",
        "pubsub|channels", "pubsub|numsub", "pubsub|numpat",
    }  # fmt: skip
    assert all(spec.handler == "refused" for spec in groups["sandbox"])
    assert all(spec.refusal for spec in groups["sandbox"])
    refused = handlers["refused"]
    for name in ("config|get", "eval", "client|list", "select", "migrate", "object|freq"):
        assert name in refused
    for name in ("get", "object|encoding", "memory|usage", "xgroup|create", "lcs", "pfadd"):
        assert name in handlers["redis"]


def test_acl_names_are_accepted_and_exact(raw: RawRedis) -> None:
    names = table.acl_command_names()
    rules = ["+" + name for name in names]
    # ACL SETUSER rejects the whole line if one name is not a command of this server.
    reply = raw.call("ACL", "SETUSER", "tr-table-test", "reset", "on", "nopass", "~tr:*", *rules)
    raw.call("ACL", "DELUSER", "tr-table-test")
    assert reply == b"OK"
    assert names == sorted(set(names))
    for name in ("get", "object|encoding", "memory|usage", "sort_ro", "blpop", "xgroup|create"):
        assert name in names
    for name in ("keys", "flushall", "randomkey", "config|get", "eval", "object", "object|freq"):
        assert name not in names


def error_of(args: list[bytes]) -> bytes:
    """The CommandError text resolve()/analyze() answer for ``args`` (it must be one)."""
    try:
        resolve(args).analyze(args, SETTINGS)
    except CommandError as error:
        return error.reply
    raise AssertionError(f"no CommandError for {args!r}")


RESOLVE_ERRORS = [
    [b"foo"],
    [b"foo", b"a", b"b"],
    [b"FOO", b"x" * 200],
    [b"foo", b"a" * 100, b"b" * 100, b"c"],
    [b"foo", b"a" * 126, b"b"],
    [b"foo", b"a" * 125, b"b"],
    [b"foo", b"a\x00b", b"c"],
    [b"f\x00oo"],
    [b"foo", b"a\r\nb"],
    [b"x" * 200, b"y"],
    [b"\xff\xfe", b"\xc3\xa9"],
    [b"config|get", b"x"],
    [b"object|encoding", b"k"],
    [b"FLUSH"],
    [b"FLUSHALL\x00"],
    [b"foo", b""],
    [b""],
    [b"", b"a"],
    [b"get "],
    [b"object"],
    [b"object", b"foo"],
    [b"OBJECT", b"x" * 200],
    [b"object", b"enc\r\noding"],
    [b"Object", b"Encoding"],
    [b"object", b"encoding", b"a", b"b"],
    [b"xgroup", b"nosuch"],
    [b"config"],
    [b"config", b"get"],
    [b"config", b"nosuch"],
    [b"client", b"kill"],
    [b"command", b"nosuch"],
    [b"GET"],
    [b"get", b"a", b"b"],
    [b"set", b"k"],
    [b"mset", b"a", b"1", b"b"],
    [b"msetnx", b"a"],
    [b"hset", b"h", b"f"],
    [b"subscribe"],
    [b"multi", b"x"],
    [b"eval"],
    [b"flushall", b"x"],
    [b"flushdb", b"async", b"x"],
    [b"flushdb", b"lazy"],
    [b"pubsub"],
    [b"pubsub", b"nosuch"],
]


@pytest.mark.parametrize("args", RESOLVE_ERRORS, ids=repr)
def test_errors_match_redis(raw: RawRedis, args: list[bytes]) -> None:
    expected = raw.call(*args)
    assert isinstance(expected, ErrorReply), expected
    assert error_of(args) == expected


def test_command_error_keeps_bytes() -> None:
    error = CommandError(b"ERR unknown command '\xff'")
    assert error.reply == b"ERR unknown command '\xff'"
    assert str(CommandError("ERR syntax error")) == "ERR syntax error"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("CONFIG GET maxmemory", "CONFIG GET is not available in the sandbox: it reads and"),
        ("config set x y", "CONFIG SET is not available in the sandbox"),
        ("EVAL x 0", "EVAL is not available in the sandbox: scripts can reach keys"),
        ("SELECT 1", "SELECT is not available in the sandbox"),
        ("COMMAND", "COMMAND is not available in the sandbox"),
        ("COMMAND GETKEYS get k", "COMMAND GETKEYS is not available"),
        ("OBJECT FREQ k", "OBJECT FREQ is not available in the sandbox"),
        ("MEMORY STATS", "MEMORY STATS is not available in the sandbox"),
        ("RESET", "RESET is not available in the sandbox"),
        ("spublish c m", "SPUBLISH is not available in the sandbox"),
    ],
)
def test_refused_commands_say_why(line: str, message: str) -> None:
    args = [word.encode() for word in line.split()]
    with pytest.raises(Refusal, match="^" + message):
        resolve(args)
    spec = table.find_spec(" ".join(line.split()[:2]).lower())
    if spec is not None and spec.handler == "refused":
        with pytest.raises(Refusal):
            spec.analyze(args, SETTINGS)


def test_every_refused_command_refuses() -> None:
    for spec in table.commands_by_group()["sandbox"]:
        args = [*spec.name.encode().split(b"|")]
        args += [b"x"] * (abs(spec.arity) - len(args))
        with pytest.raises(Refusal, match=f"^{spec.display} is not available in the sandbox: "):
            resolve(args)


def test_resolve_is_exact_and_case_insensitive() -> None:
    assert resolve([b"GeT", b"k"]).name == "get"
    assert resolve([b"OBJECT", b"ENCODING", b"k"]).name == "object|encoding"
    assert resolve([b"xinfo", b"HELP"]).name == "xinfo|help"
    for name in (b"ge", b"gett", b"get\x00", b"g\xc3\xa9t", b"config|get"):
        with pytest.raises(CommandError, match=r"^ERR unknown command"):
            resolve([name, b"k"])
    with pytest.raises(CommandError, match=r"^ERR unknown command '', with args beginning with: $"):
        resolve([])
