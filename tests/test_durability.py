"""With a data dir, nothing acknowledged is lost when redis-server is killed (kill -9).

The embedded Redis runs AOF with ``appendfsync everysec``: the promise is that a write
acknowledged more than 1 s before a crash survives it (a power cut may lose the last
second; a killed process loses nothing, since the kernel still holds what it wrote).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis
from redis.exceptions import RedisError

from tests.support.redis_servers import REDIS_SERVER
from tryredis.cli import sandbox_command_names
from tryredis.embedded import EmbeddedRedis, EmbeddedRedisError
from tryredis.keys import Keys
from tryredis.redisconf import AOF_MANIFEST
from tryredis.services import site_client
from tryredis.sessions import SessionStore
from tryredis.settings import Settings

LEARNER = "durabilitytest0000000000000"


@dataclass
class Run:
    """What the writer saw: when each exercise was acknowledged, and the kill."""

    acked: dict[str, float] = field(default_factory=dict)
    killed_at: float = 0.0
    recovered_after: float = 0.0


async def write_through_a_kill(server: EmbeddedRedis, settings: Settings) -> Run:
    """Mark exercises done as fast as acknowledged; kill -9 redis-server mid-stream; go on."""
    site = site_client(server.site_url, cluster=False)
    store = SessionStore(site, Keys(settings.key_prefix), settings)
    run = Run()
    n = 0
    try:
        while True:
            n += 1
            name = f"lesson/exercise-{n}"
            try:
                await store.mark_done(LEARNER, [name])
            except (RedisError, OSError):
                await asyncio.sleep(0.01)  # Redis is down: retry until the supervisor is done
                continue
            now = time.monotonic()
            run.acked[name] = now
            if run.killed_at:
                run.recovered_after = now - run.killed_at
                return run
            # Kill once more than a second of acknowledged writes lies behind us.
            if now - min(run.acked.values()) > 1.5:
                assert server.pid is not None
                os.kill(server.pid, signal.SIGKILL)
                run.killed_at = time.monotonic()
    finally:
        await site.aclose()


def wait_for_restart(server: EmbeddedRedis) -> None:
    """Until the supervisor reports the restart (it counts once the server answers)."""
    deadline = time.monotonic() + 10
    while server.restarts == 0:
        assert time.monotonic() < deadline, "redis-server was not restarted within 10 s"
        time.sleep(0.01)


async def progress_after(server: EmbeddedRedis, settings: Settings) -> set[str]:
    """The learner's progress as the restarted server has it."""
    site = site_client(server.site_url, cluster=False)
    try:
        return await SessionStore(site, Keys(settings.key_prefix), settings).progress(LEARNER)
    finally:
        await site.aclose()


@pytest.mark.slow
def test_kill_9_loses_nothing_acknowledged_a_second_before(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    with EmbeddedRedis(settings, sandbox_command_names()) as server:
        run = asyncio.run(write_through_a_kill(server, settings))
        wait_for_restart(server)
        kept = asyncio.run(progress_after(server, settings))
    old = {name for name, at in run.acked.items() if at < run.killed_at - 1.0}
    recent = set(run.acked) - old
    assert len(old) > 100, "too few writes to say anything"
    assert old <= kept, f"lost {len(old - kept)} writes acknowledged over 1 s before the kill"
    print(f"{len(run.acked)} acknowledged, {len(old)} over 1 s before the kill, all kept; "
          f"{len(recent & kept)}/{len(recent)} of the last second kept; "
          f"writes again {run.recovered_after:.3f} s after the kill")  # fmt: skip


def test_stop_saves_and_an_rdb_only_data_dir_switches_to_aof(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with EmbeddedRedis(Settings(data_dir=data), ["get"]) as first:
        redis.Redis.from_url(first.site_url).set("tryredis:kept", "yes")
    assert (data / AOF_MANIFEST).exists()
    # A data dir from before AOF: only the snapshot that the stop (a SIGTERM) just saved.
    old = tmp_path / "old"
    old.mkdir()
    (data / "dump.rdb").rename(old / "dump.rdb")
    with EmbeddedRedis(Settings(data_dir=old), ["get"]) as second:
        client = redis.Redis.from_url(second.site_url)
        assert client.get("tryredis:kept") == b"yes"  # Redis would have started empty
        client.set("tryredis:after", "1")
        assert (old / AOF_MANIFEST).exists()
        assert second.pid is not None
        os.kill(second.pid, signal.SIGKILL)  # now the AOF is what brings it back
        wait_for_restart(second)
        assert client.mget("tryredis:kept", "tryredis:after") == [b"yes", b"1"]
        client.close()


def test_kill_9_keeps_transactions_and_scripts(tmp_path: Path) -> None:
    # Redis replays the AOF as the `default` user and re-checks its ACL rules at each EXEC
    # (redis/redis#14541): with a default user denied everything, every MULTI/EXEC, and
    # every script that writes twice (propagated as one), was dropped on restart.
    with EmbeddedRedis(Settings(data_dir=tmp_path / "data"), ["get"]) as server:
        client = redis.Redis.from_url(server.site_url)
        with client.pipeline(transaction=True) as pipe:
            pipe.set("tryredis:multi:a", "1")
            pipe.set("tryredis:multi:b", "2")
            pipe.execute()
        two_writes = "redis.call('SET', KEYS[1], 'x'); return redis.call('INCR', KEYS[2])"
        assert client.eval(two_writes, 2, "tryredis:script:a", "tryredis:script:n") == 1
        client.set("tryredis:plain", "1")
        time.sleep(1.5)  # appendfsync everysec: more than a second before the kill
        assert server.pid is not None
        os.kill(server.pid, signal.SIGKILL)
        wait_for_restart(server)
        keys = ["tryredis:multi:a", "tryredis:multi:b", "tryredis:script:a",
                "tryredis:script:n", "tryredis:plain"]  # fmt: skip
        assert client.mget(keys) == [b"1", b"2", b"x", b"1", b"1"]
        client.close()


def test_a_data_dir_in_use_is_refused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    with EmbeddedRedis(settings, ["get"]) as first:
        with pytest.raises(EmbeddedRedisError) as error:
            EmbeddedRedis(settings, ["get"]).start()
        assert str(error.value) == (
            f"TRYREDIS_DATA_DIR={tmp_path / 'data'} is in use by another tryredis "
            f"(pid {os.getpid()}): stop it first, or choose another data dir"
        )
        assert redis.Redis.from_url(first.site_url).ping()  # the first one is untouched
    with EmbeddedRedis(settings, ["get"]):  # free again once the first stopped
        pass


def test_a_data_dir_lock_is_freed_when_its_process_is_killed(tmp_path: Path) -> None:
    assert REDIS_SERVER is not None
    data = tmp_path / "data"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path\n"
         "from tryredis.datadir import DataDirLock\n"
         "DataDirLock(Path(sys.argv[1])).acquire(); print('locked', flush=True); time.sleep(60)",
         str(data)],
        stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parent.parent,
    )  # fmt: skip
    assert holder.stdout is not None
    assert holder.stdout.readline() == "locked\n"
    with pytest.raises(EmbeddedRedisError, match=f"in use by another tryredis .pid {holder.pid}"):
        EmbeddedRedis(Settings(data_dir=data), ["get"]).start()
    holder.kill()
    holder.wait()
    holder.stdout.close()
    with EmbeddedRedis(Settings(data_dir=data), ["get"]):
        pass
