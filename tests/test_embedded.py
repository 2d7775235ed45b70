"""The embedded redis-server: start, ACL users over the socket, restarts, clean stop."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import redis.asyncio

from tests.support.redis_servers import REDIS_SERVER
from tryredis.embedded import EmbeddedRedis, EmbeddedRedisError, find_redis_server
from tryredis.processes import clean_stale_runtime_dirs, die_with_parent, runtime_root
from tryredis.settings import Settings

COMMANDS = ["ping", "get", "set", "incr"]
ROOT = Path(__file__).resolve().parent.parent
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG")


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return state != "Z"


def wait_until(condition: object, seconds: float) -> float:
    """Poll ``condition()`` until true; the seconds it took (fails after ``seconds``)."""
    start = time.monotonic()
    while not condition():  # type: ignore[operator]
        assert time.monotonic() - start < seconds, f"not within {seconds} s"
        time.sleep(0.01)
    return time.monotonic() - start


def dead_pid() -> int:
    """A pid that no process has right now."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


@pytest.fixture
def embedded() -> Iterator[EmbeddedRedis]:
    with EmbeddedRedis(Settings(), COMMANDS) as server:
        yield server


def test_start_gives_a_private_socket_and_two_users(embedded: EmbeddedRedis) -> None:
    directory = embedded.runtime_dir
    assert directory.parent == runtime_root()
    assert directory.name.startswith(f"tryredis-{os.getpid()}-")
    assert directory.stat().st_mode & 0o777 == 0o700
    assert embedded.socket_path.is_socket()
    assert not (directory / "redis.conf").exists()  # it holds passwords: gone once up
    assert len(str(embedded.socket_path).encode()) < 104  # sun_path (macOS: 104, Linux: 108)
    site = redis.Redis.from_url(embedded.site_url, decode_responses=True)
    sandbox = redis.Redis.from_url(embedded.sandbox_url, decode_responses=True)
    assert site.acl_whoami() == "tryredis-site"
    assert sandbox.ping()
    assert sandbox.set("tryredis:u:{x}:k", "1")
    with pytest.raises(redis.exceptions.NoPermissionError):
        sandbox.get("tryredis:s:x")
    site.close()
    sandbox.close()


def test_urls_work_with_the_asyncio_client(embedded: EmbeddedRedis) -> None:
    async def whoami() -> list[str]:
        clients = [redis.asyncio.Redis.from_url(url, decode_responses=True)
                   for url in (embedded.site_url, embedded.sandbox_url)]  # fmt: skip
        names = [str(await clients[0].acl_whoami()), str(await clients[1].ping())]
        for client in clients:
            await client.aclose()
        return names

    assert asyncio.run(whoami()) == ["tryredis-site", "True"]


def test_supervisor_restarts_a_killed_server(embedded: EmbeddedRedis) -> None:
    site = redis.Redis.from_url(embedded.site_url)  # a client made before the crash
    assert site.ping()
    old_pid, socket_path = embedded.pid, embedded.socket_path
    assert old_pid is not None
    os.kill(old_pid, signal.SIGKILL)
    took = wait_until(lambda: embedded.restarts == 1, 2.0)
    assert embedded.pid != old_pid
    assert embedded.socket_path == socket_path
    assert site.ping()  # same socket, same password: the old client just reconnects
    assert site.set("tryredis:after", "1")
    print(f"restart took {took:.3f} s")
    site.close()


def test_stop_leaves_nothing_behind() -> None:
    server = EmbeddedRedis(Settings(), COMMANDS)
    started = time.monotonic()
    server.start()
    server.supervise()
    print(f"start took {time.monotonic() - started:.3f} s")
    pid, directory = server.pid, server.runtime_dir
    assert pid is not None
    started = time.monotonic()
    server.stop()
    print(f"stop took {time.monotonic() - started:.3f} s")
    assert not alive(pid)
    assert not directory.exists()
    server.stop()  # idempotent
    time.sleep(0.3)
    assert server.pid == pid  # the supervisor did not start another one


def test_missing_binary_says_how_to_install(tmp_path: Path) -> None:
    with pytest.raises(EmbeddedRedisError) as error:
        find_redis_server(Settings(redis_server=tmp_path / "nope" / "redis-server"))
    message = str(error.value)
    for hint in ("TRYREDIS_REDIS_SERVER", "sudo apt install redis-server", "brew install redis",
                 "docker run -d -p 6379:6379 redis:7", "TRYREDIS_REDIS_URL"):  # fmt: skip
        assert hint in message


def test_missing_on_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(EmbeddedRedisError, match="not on PATH") as error:
        EmbeddedRedis(Settings(), COMMANDS).start()
    assert "sudo apt install redis-server" in str(error.value)


def test_old_redis_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "redis-server"
    fake.write_text("#!/bin/sh\necho 'Redis server v=6.2.14 sha=00000000:0 malloc=libc bits=64'\n")
    fake.chmod(0o755)
    with pytest.raises(EmbeddedRedisError, match=r"Redis 6\.2\.14; tryredis needs 7\.0"):
        find_redis_server(Settings(redis_server=fake))


def test_start_removes_stale_runtime_dirs() -> None:
    stale = runtime_root() / f"tryredis-{dead_pid()}-stale0"
    stale.mkdir(mode=0o700)
    (stale / "redis.sock").touch()
    with EmbeddedRedis(Settings(), COMMANDS):
        assert not stale.exists()


def test_stale_redis_server_is_stopped() -> None:
    assert REDIS_SERVER is not None
    root = Path(tempfile.mkdtemp(prefix="tr-"))  # short: the socket path must fit in sun_path
    stale = root / f"tryredis-{dead_pid()}-stale1"
    stale.mkdir(mode=0o700)
    live = root / f"tryredis-{os.getpid()}-live01"  # our own pid: a running tryredis
    live.mkdir(mode=0o700)
    left = subprocess.Popen([REDIS_SERVER, "--port", "0", "--unixsocket", str(stale / "redis.sock"),
                             "--pidfile", str(stale / "redis.pid"), "--save", ""],
                            stdout=subprocess.DEVNULL)  # fmt: skip
    try:
        wait_until((stale / "redis.pid").exists, 5)
        assert clean_stale_runtime_dirs(root) == [stale]
        assert left.wait(5) is not None
        assert not stale.exists()
        assert live.exists()
    finally:
        left.kill()
        left.wait()
        shutil.rmtree(root)


@linux_only
def test_killed_parent_takes_redis_server_along(tmp_path: Path) -> None:
    script = textwrap.dedent("""
        import sys, time
        from tryredis.embedded import EmbeddedRedis
        from tryredis.settings import Settings
        server = EmbeddedRedis(Settings(), ["ping", "get"])
        server.start()
        print(server.pid, server.runtime_dir, flush=True)
        time.sleep(60)
    """)
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE,
                              text=True)  # fmt: skip
    assert parent.stdout is not None
    pid_text, directory = parent.stdout.readline().split()
    parent.kill()  # SIGKILL: no clean-up code runs in the parent
    parent.wait()
    parent.stdout.close()
    print(f"redis-server gone {wait_until(lambda: not alive(int(pid_text)), 3):.3f} s after")
    assert Path(directory) in clean_stale_runtime_dirs()


@linux_only
def test_die_with_parent() -> None:
    assert not die_with_parent({})
    assert not die_with_parent({"TRYREDIS_PARENT_PID": str(os.getpid())})  # one-process serve
    assert not die_with_parent({"TRYREDIS_PARENT_PID": "1"})  # not our parent
    worker = "from tryredis.processes import die_with_parent as d; import time; "
    worker += "print(d(), flush=True); time.sleep(60)"
    parent_code = textwrap.dedent(f"""
        import os, subprocess, sys, time
        env = dict(os.environ, TRYREDIS_PARENT_PID=str(os.getpid()))
        child = subprocess.Popen([sys.executable, "-c", {worker!r}], env=env,
                                 stdout=subprocess.PIPE, text=True)
        print(child.pid, child.stdout.readline().strip(), flush=True)
        time.sleep(60)
    """)
    parent = subprocess.Popen([sys.executable, "-c", parent_code], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert parent.stdout is not None
    child_pid, armed = parent.stdout.readline().split()
    parent.kill()
    parent.wait()
    parent.stdout.close()
    assert armed == "True"
    wait_until(lambda: not alive(int(child_pid)), 3)


def test_data_dir_survives_a_restart(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")  # created by start()
    with EmbeddedRedis(settings, COMMANDS) as first:
        redis.Redis.from_url(first.site_url).set("tryredis:kept", "yes")
    assert (tmp_path / "data" / "dump.rdb").exists()  # written at shutdown
    with EmbeddedRedis(settings, COMMANDS) as second:  # new passwords, same data
        assert redis.Redis.from_url(second.site_url).get("tryredis:kept") == b"yes"


def test_supervise_twice_starts_one_supervisor(embedded: EmbeddedRedis) -> None:
    embedded.supervise()
    assert [t.name for t in threading.enumerate()].count("redis-server-supervisor") == 1
