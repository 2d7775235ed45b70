"""The whole site on a Redis with the generated ACL users: the sandbox's user can do
everything the sandbox offers (no NOPERM anywhere) and nothing more."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from starlette.testclient import TestClient

from tests.conftest import TEST_LIMITS, ApiSession
from tests.repl.test_engine import WRITES
from tryredis.app import create_app
from tryredis.cli import sandbox_command_names
from tryredis.embedded import EmbeddedRedis
from tryredis.settings import Settings

EVERYTHING_ELSE = [
    "KEYS *", "SCAN 0 COUNT 100", "DBSIZE", "RANDOMKEY", "TYPE a", "OBJECT ENCODING a",
    "MEMORY USAGE a", "TTL tmp", "EXPIRE a 100", "PERSIST a", "SORT srt LIMIT 0 2",
    "XREADGROUP GROUP g c COUNT 1 STREAMS st2 >", "XINFO STREAM st", "PUBLISH news hi",
    "PUBSUB CHANNELS", "PUBSUB NUMSUB news", "WATCH a", "MULTI", "INCR h", "EXEC",
    "BLPOP none 1", "XREAD BLOCK 100 STREAMS st $", "help", "FLUSHALL",
]  # fmt: skip


@pytest.fixture(scope="module")
def acl_client() -> Iterator[tuple[TestClient, EmbeddedRedis]]:
    with EmbeddedRedis(Settings.from_env({}), sandbox_command_names()) as server:
        settings = Settings(
            redis_url=server.site_url, sandbox_redis_url=server.sandbox_url
        ).replace(**TEST_LIMITS)
        with TestClient(create_app(settings)) as client:
            yield client, server


def test_everything_the_sandbox_offers_passes_the_acl(
    acl_client: tuple[TestClient, EmbeddedRedis],
) -> None:
    client, _ = acl_client
    learner = ApiSession.open(client)
    for line in [*WRITES, *EVERYTHING_ELSE]:
        result = learner.run(line)
        assert "NOPERM" not in result["output"], (line, result)
        assert "no permissions" not in result["output"], (line, result)
        assert result["kind"] in ("reply", "error"), (line, result)


def test_the_sandbox_user_cannot_leave_its_prefix(
    acl_client: tuple[TestClient, EmbeddedRedis],
) -> None:
    _, server = acl_client
    sandbox = redis.Redis.from_url(server.sandbox_url)
    with pytest.raises(redis.exceptions.NoPermissionError):
        sandbox.get("tryredis:s:{x}")
    with pytest.raises(redis.exceptions.NoPermissionError):
        sandbox.set("elsewhere", "x")
    with pytest.raises(redis.exceptions.NoPermissionError):
        sandbox.execute_command("CONFIG", "GET", "maxmemory")  # type: ignore[no-untyped-call]
    assert sandbox.set("tryredis:u:{x}:k", "ok")
    sandbox.delete("tryredis:u:{x}:k")


def test_deleting_sandboxes_works_under_the_acl(
    acl_client: tuple[TestClient, EmbeddedRedis],
) -> None:
    import time

    from tryredis.janitor import Janitor

    client, server = acl_client
    site_user = redis.Redis.from_url(server.site_url)  # may SCAN tryredis:* (not KEYS)
    gone_by_api, gone_by_janitor = ApiSession.open(client), ApiSession.open(client)
    for learner in (gone_by_api, gone_by_janitor):
        assert learner.out("MSET a 1 b 2") == "OK"
    deleted = client.delete("/api/v1/sessions/current", headers=gone_by_api.headers)
    assert deleted.status_code == 204
    learner_id = gone_by_api.token.split(".")[0]
    # Only the mark that the id's session ended is left (tests/abuse/test_sessions_http.py).
    left = list(site_user.scan_iter(match=f"tryredis:*{{{learner_id}}}*"))
    assert left == [f"tryredis:s:{{{learner_id}}}.end".encode()]

    services = client.app.state.services  # type: ignore[attr-defined]
    janitor = Janitor(
        services.site, services.keys.sandboxes, services.keys.janitor_lock, 3600,
        lambda lid: services.sandbox_reset(lid, keep_session=False),
    )  # fmt: skip

    async def sweep() -> int:
        return await janitor.sweep(time.time() + 7200)

    assert client.portal.call(sweep) >= 1  # type: ignore[union-attr]
    learner_id = gone_by_janitor.token.split(".")[0]
    assert list(site_user.scan_iter(match=f"tryredis:*{{{learner_id}}}*")) == []
