"""The generated redis.conf and ACL users, checked against a real redis-server 7."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from tests.support.redis_servers import REDIS_SERVER, RedisServer
from tryredis.redisconf import (
    AclUsers,
    acl_lines,
    clients_memory,
    external_setup_text,
    redis_conf,
    sandbox_command_rules,
)
from tryredis.settings import Settings, SettingsError

# A representative slice of the sandbox's table (the real one comes from tryredis.repl.table).
SANDBOX_COMMANDS = ["ping", 
    "get", "set", "incr", "del", "expire", "ttl", "lpush", "lrange",
    "object|encoding", "memory|usage", "xgroup|create", "publish", "subscribe",
]  # fmt: skip
USERS = AclUsers(site_password="site-pw-test", sandbox_password="sandbox-pw-test")
NO_RETRY = Retry(NoBackoff(), 0)
ADMIN = "user admin on >admin-pw ~* &* +@all"  # added by the tests only, to read CONFIG back


@dataclass
class ConfServer:
    """A redis-server started from a generated config."""

    socket: Path
    directory: Path
    process: subprocess.Popen[bytes]

    def client(self, user: str, password: str) -> redis.Redis:
        """A client for one ACL user; no retries, so an error is seen as Redis sent it."""
        return redis.Redis(unix_socket_path=str(self.socket), username=user, password=password,
                           retry=NO_RETRY, decode_responses=True)  # fmt: skip

    def stop(self) -> None:
        """SIGTERM (so an RDB is written when persistence is on) and wait."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(10)


def start_from_config(settings: Settings, directory: Path, extra: str = ADMIN) -> ConfServer:
    """Start redis-server on ``redis_conf(...)`` (plus ``extra`` lines) and wait for PING."""
    assert REDIS_SERVER is not None
    sock = directory / "redis.sock"
    text = redis_conf(settings, USERS, SANDBOX_COMMANDS, socket_path=sock, runtime_dir=directory)
    conf = directory / "redis.conf"
    conf.write_text(text + extra + "\n")
    process = subprocess.Popen([REDIS_SERVER, str(conf)], stdout=subprocess.DEVNULL)
    server = ConfServer(sock, directory, process)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        assert process.poll() is None, "redis-server refused the generated config"
        try:
            if sock.exists() and server.client("admin", "admin-pw").ping():
                return server
        except redis.ConnectionError:
            pass
        time.sleep(0.01)
    process.kill()
    raise AssertionError("redis-server did not answer PING")


@pytest.fixture(scope="module")
def server() -> Iterator[ConfServer]:
    directory = Path(tempfile.mkdtemp(prefix="tr-"))
    started = start_from_config(Settings(), directory)
    yield started
    started.process.kill()
    started.process.wait()
    shutil.rmtree(directory, ignore_errors=True)


def _read_reply(stream: BinaryIO) -> str:
    line = stream.readline().decode().rstrip("\r\n")
    if line[0] == "$":
        size = int(line[1:])
        return "(nil)" if size < 0 else stream.read(size + 2)[:-2].decode()
    if line[0] == "*":
        return " ".join(_read_reply(stream) for _ in range(int(line[1:])))
    return line  # +status, -error, :integer


def raw(sock: Path, *commands: tuple[str, ...]) -> list[str]:
    """Send ``commands`` on one plain connection (no client library cleverness); the replies."""
    with socket.socket(socket.AF_UNIX) as conn:
        conn.settimeout(5)
        conn.connect(str(sock))
        stream = conn.makefile("rb")
        replies = []
        for command in commands:
            parts = [f"*{len(command)}\r\n"] + [f"${len(a)}\r\n{a}\r\n" for a in command]
            conn.sendall("".join(parts).encode())
            replies.append(_read_reply(stream))
        return replies


def test_the_config_is_what_redis_runs(server: ConfServer) -> None:
    admin = server.client("admin", "admin-pw")
    expected = {
        "port": "0", "unixsocketperm": "700", "protected-mode": "yes", "save": "",
        "appendonly": "no", "maxmemory": str(256 * 1024 * 1024), "maxmemory-policy": "noeviction",
        "maxclients": "1000", "maxmemory-clients": str(64 * 2**20), "busy-reply-threshold": "1000",
        "timeout": "0", "enable-debug-command": "no", "enable-module-command": "no",
        "enable-protected-configs": "no", "sanitize-dump-payload": "yes", "loglevel": "warning",
        "logfile": "", "dir": str(server.directory.resolve()),
    }  # fmt: skip
    for name, value in expected.items():
        assert admin.config_get(name) == {name: value}, name
    limits = str(admin.config_get("client-output-buffer-limit")["client-output-buffer-limit"])
    assert "normal 4194304 1048576 10" in limits
    assert "pubsub 4194304 1048576 60" in limits


def test_many_idle_connections_are_not_evicted(server: ConfServer) -> None:
    # maxmemory-clients 5% of 256mb evicted idle clients beyond ~350 (~37 KB each on 7.0).
    clients = [server.client(USERS.sandbox_user, USERS.sandbox_password) for _ in range(500)]
    try:
        for client in clients:
            assert client.ping()
        stats = server.client(USERS.site_user, USERS.site_password).info("stats")
        assert stats["evicted_clients"] == 0
    finally:
        for client in clients:
            client.close()


@pytest.mark.parametrize(
    ("maxmemory", "expected"),
    [("256mb", "64mb"), ("0", "64mb"), ("2gb", "102mb"), ("4000m", "190mb")],
)
def test_clients_memory_is_5_percent_with_a_floor(maxmemory: str, expected: str) -> None:
    assert clients_memory(maxmemory) == expected


def test_sandbox_user_reaches_only_learner_keys(server: ConfServer) -> None:
    sandbox = server.client(USERS.sandbox_user, USERS.sandbox_password)
    assert sandbox.set("tryredis:u:{abc}:k", "v")
    assert sandbox.get("tryredis:u:{abc}:k") == "v"
    assert sandbox.object("encoding", "tryredis:u:{abc}:k") == "embstr"
    denied = [
        ("GET", "tryredis:s:x"), ("GET", "other"), ("SET", "tryredis:secret", "x"),
        ("CONFIG", "GET", "maxmemory"), ("KEYS", "*"), ("FLUSHALL",), ("INFO",),
        ("EVAL", "return 1", "0"), ("SCAN", "0"), ("PUBLISH", "tryredis:s:chan", "hi"),
        ("SELECT", "1"), ("CLIENT", "LIST"), ("ACL", "WHOAMI"),
    ]  # fmt: skip
    for command in denied:
        with pytest.raises(redis.exceptions.NoPermissionError):
            sandbox.execute_command(*command)  # type: ignore[no-untyped-call]
    assert sandbox.publish("tryredis:u:{abc}:chan", "hi") == 0


def test_default_user_is_off(server: ConfServer) -> None:
    sock = server.socket
    assert raw(sock, ("GET", "tryredis:u:{abc}:k"))[0].startswith("-NOAUTH")
    assert raw(sock, ("AUTH", "default", ""))[0].startswith("-WRONGPASS")
    # RESET logs a connection back in as `default` (security.md 2.5): it must find it off.
    replies = raw(sock, ("AUTH", USERS.sandbox_user, USERS.sandbox_password),
                  ("RESET",), ("GET", "tryredis:u:{abc}:k"), ("AUTH", "default", ""))  # fmt: skip
    assert replies[:2] == ["+OK", "+RESET"]
    assert replies[2].startswith("-NOAUTH")
    assert replies[3].startswith("-WRONGPASS")


def test_site_user_reaches_the_prefix_and_what_the_site_needs(server: ConfServer) -> None:
    site = server.client(USERS.site_user, USERS.site_password)
    assert site.set("tryredis:anything", "1")
    assert site.get("tryredis:anything") == "1"
    assert site.set("tryredis:u:{abc}:k2", "v")  # learner keys are the site's too (janitor)
    incr = site.register_script("return redis.call('INCR', KEYS[1])")
    assert incr(keys=["tryredis:s:{abc}"]) == 1  # EVALSHA, then SCRIPT LOAD on NOSCRIPT
    assert site.eval("return redis.call('GET', KEYS[1])", 1, "tryredis:anything") == "1"
    assert "redis_version" in site.info("server")
    assert site.execute_command("CLIENT", "NO-EVICT", "on") == "OK"  # type: ignore[no-untyped-call]
    assert site.client_setname("tryredis-test")
    assert isinstance(site.memory_usage("tryredis:anything"), int)
    assert site.scan(0, match="tryredis:*")[0] is not None
    with pytest.raises(redis.ResponseError, match="cluster support disabled"):
        site.execute_command("CLUSTER", "SLOTS")  # type: ignore[no-untyped-call]  # allowed by ACL
    denied = [
        ("GET", "other"), ("SET", "other", "1"), ("CONFIG", "GET", "maxmemory"), ("FLUSHALL",),
        ("FLUSHDB",), ("SHUTDOWN",), ("KEYS", "*"), ("MONITOR",),
        ("ACL", "LIST"), ("MODULE", "LIST"), ("SCRIPT", "FLUSH"), ("FUNCTION", "FLUSH"),
        ("CLIENT", "KILL", "ID", "1"), ("EVAL", "return redis.call('GET', 'other')", "0"),
        ("PUBLISH", "other", "hi"), ("SORT", "tryredis:list"),
    ]  # fmt: skip
    for command in denied:
        with pytest.raises(redis.ResponseError, match=r"no permissions|can't access"):
            site.execute_command(*command)  # type: ignore[no-untyped-call]


def test_data_dir_keeps_snapshots(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    settings = Settings(data_dir=data)
    first = start_from_config(settings, Path(tempfile.mkdtemp(prefix="tr-")))
    try:
        assert first.client("admin", "admin-pw").config_get("save") == {"save": "300 1 60 100"}
        first.client(USERS.site_user, USERS.site_password).set("tryredis:kept", "yes")
    finally:
        first.stop()  # SIGTERM: Redis writes dump.rdb on shutdown when save points are set
        shutil.rmtree(first.directory)
    assert (data / "dump.rdb").exists()
    second = start_from_config(settings, Path(tempfile.mkdtemp(prefix="tr-")))
    try:
        assert second.client(USERS.site_user, USERS.site_password).get("tryredis:kept") == "yes"
    finally:
        second.stop()
        shutil.rmtree(second.directory)


def test_acl_lines_shape() -> None:
    default, site, sandbox = acl_lines("app:", USERS, ["GET", "object|encoding", "get", "ping"])
    assert default == "user default off resetpass ~* &* +@all"  # off: see user_rules
    assert site.startswith(
        "user tryredis-site on >site-pw-test resetkeys ~app:* resetchannels &app:* "
    )
    assert "-@dangerous" in site
    assert sandbox == (
        "user tryredis-sandbox on >sandbox-pw-test resetkeys ~app:u:* resetchannels &app:u:* -@all"
        " +get +object|encoding +ping"
    )


@pytest.mark.parametrize("name", ["get +@all", "~*", "+get", "get\nuser x", "", "a|b|c"])
def test_command_names_cannot_smuggle_rules(name: str) -> None:
    with pytest.raises(ValueError, match="not a Redis command name"):
        sandbox_command_rules([name])


def test_bad_prefix_and_maxmemory_are_refused() -> None:
    with pytest.raises(ValueError, match="prefix"):
        acl_lines("a b", USERS, [])
    with pytest.raises(SettingsError, match="TRYREDIS_EMBEDDED_MAXMEMORY"):
        redis_conf(Settings(embedded_maxmemory="lots"), USERS, [],
                   socket_path=Path("/tmp/x.sock"), runtime_dir=Path("/tmp"))  # fmt: skip


def test_external_setup_text_sets_up_a_real_server(fresh_redis: RedisServer) -> None:
    text = external_setup_text(Settings(), SANDBOX_COMMANDS)
    commands = [line for line in text.splitlines() if line.startswith(("ACL ", "CONFIG "))]
    assert commands[-1].startswith("ACL SETUSER default reset off")  # disabled last
    output = fresh_redis.cli("\n".join(commands))  # one redis-cli session, as the admin
    assert output.splitlines() == ["OK"] * len(commands)
    urls = dict(line.split("=", 1) for line in text.splitlines() if line.startswith("TRYREDIS_"))
    assert set(urls) == {"TRYREDIS_REDIS_URL", "TRYREDIS_SANDBOX_REDIS_URL"}

    def connect(env: str) -> redis.Redis:
        url = urlsplit(urls[env])
        assert (url.hostname, url.port, url.path) == ("host", 6379, "/0")
        return redis.Redis(unix_socket_path=str(fresh_redis.socket), username=url.username,
                           password=url.password, retry=NO_RETRY)  # fmt: skip

    site, sandbox = connect("TRYREDIS_REDIS_URL"), connect("TRYREDIS_SANDBOX_REDIS_URL")
    assert site.set("tryredis:x", "1")
    assert sandbox.set("tryredis:u:{a}:k", "1")
    with pytest.raises(redis.exceptions.NoPermissionError):
        sandbox.get("tryredis:x")
    assert site.info("memory")["maxmemory_policy"] == "noeviction"
    assert raw(fresh_redis.socket, ("PING",))[0].startswith("-NOAUTH")
