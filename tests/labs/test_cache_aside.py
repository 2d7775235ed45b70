"""The cache-aside lab: hit and miss measured, stale reads, delete on write, keys in the sandbox."""

from __future__ import annotations

from tests.labs.conftest import DELAY, Learner, ttl_of
from tryredis.labs.upstream import seed_stars

FETCH = "/lab/cache-aside/fetch"
UPDATE = "/lab/cache-aside/update"


def test_a_miss_calls_the_upstream_and_a_hit_does_not(learner: Learner) -> None:
    miss = learner.ok(FETCH, {"repo": "redis/redis"})
    assert miss["outcome"] == "miss" and miss["upstream_calls"] == 1
    assert miss["stars"] == seed_stars("redis/redis") == 66000
    assert miss["ms"] >= DELAY * 1000 * 0.9  # the upstream's delay, measured
    assert miss["key"] == "cache:stars:redis/redis" and 55 <= miss["ttl"] <= 60

    hit = learner.ok(FETCH, {"repo": "redis/redis"})
    assert hit["outcome"] == "hit" and hit["upstream_calls"] == 0 and hit["stars"] == 66000
    assert hit["ms"] < miss["ms"] / 5
    assert not hit["stale"]
    assert any(line.startswith("GET cache:stars:redis/redis") for line in hit["trace"])

    # The key the pattern wrote is in the learner's own sandbox, with its TTL.
    assert "cache:stars:redis/redis" in learner.sandbox_keys()
    assert learner.run("GET cache:stars:redis/redis") == '"66000"'
    assert 55 <= ttl_of(learner, "cache:stars:redis/redis") <= 60


def test_a_write_without_invalidation_reads_stale_and_delete_on_write_does_not(
    learner: Learner,
) -> None:
    learner.ok(FETCH, {"repo": "redis/redis-py"})
    update = learner.ok(UPDATE, {"repo": "redis/redis-py", "stars": 13000, "invalidate": False})
    assert update["database_stars"] == 13000 and update["deleted"] == 0

    stale = learner.ok(FETCH, {"repo": "redis/redis-py"})
    assert stale["outcome"] == "hit" and stale["stars"] == 12500
    assert stale["stale"] and stale["database_stars"] == 13000

    update = learner.ok(UPDATE, {"repo": "redis/redis-py", "stars": 14000, "invalidate": True})
    assert update["deleted"] == 1 and update["invalidated"]
    fresh = learner.ok(FETCH, {"repo": "redis/redis-py"})
    assert fresh["outcome"] == "miss" and fresh["stars"] == 14000 and not fresh["stale"]
    assert fresh["upstream_calls"] == 1

    assert {"cache:stars:redis/redis-py", "labdb:repo:redis/redis-py"} <= learner.sandbox_keys()
    assert learner.run("HGET labdb:repo:redis/redis-py stars") == '"14000"'


def test_learners_do_not_see_each_others_labs(learner: Learner) -> None:
    learner.ok(UPDATE, {"repo": "antirez/sds", "stars": 1, "invalidate": True})
    learner.client.cookies.clear()
    other = Learner(learner.client)
    assert other.sandbox_keys() == set()
    assert other.ok(FETCH, {"repo": "antirez/sds"})["stars"] == seed_stars("antirez/sds")


def test_bad_input_and_a_corrupted_key_are_4xx_not_500(learner: Learner) -> None:
    for repo in ["", "no-slash", "a/b/c", "../x", "a/" + "b" * 200, 42]:
        assert learner.post(FETCH, {"repo": repo}).status_code == 400
    for stars in [-1, "7", 1.5, True, 10**9]:
        response = learner.post(UPDATE, {"repo": "redis/redis", "stars": stars})
        assert response.status_code == 400
    assert learner.run("SET cache:stars:redis/redis hello") == "OK"
    response = learner.post(FETCH, {"repo": "redis/redis"})
    assert response.status_code == 409
    assert "cache:stars:redis/redis" in response.json()["error"]
    assert learner.run("RPUSH cache:stars:valkey-io/valkey x") == "(integer) 1"
    response = learner.post(FETCH, {"repo": "valkey-io/valkey"})
    assert response.status_code == 409 and "WRONGTYPE" in response.json()["error"]


def test_a_lab_write_aborts_a_watch_open_in_the_repl(learner: Learner) -> None:
    assert learner.run("WATCH cache:stars:redis/redis") == "OK"
    assert learner.run("MULTI") == "OK"
    learner.ok(FETCH, {"repo": "redis/redis"})  # runs now (not queued) and writes the key
    assert learner.run("GET cache:stars:redis/redis") == "QUEUED"
    assert learner.run("EXEC") == "(nil)"  # as Redis would: a watched key changed
