"""The stampede lab: N upstream calls without the lock, exactly 1 with it, keys in the sandbox."""

from __future__ import annotations

import pytest

from tests.labs.conftest import Learner

RUN = "/lab/stampede/run"
KEY = "cache:v1:repo:redis/redis"
LOCK = "lock:cache:v1:repo:redis/redis"


@pytest.mark.parametrize("clients", [20, 25])
def test_without_a_lock_every_client_calls_the_upstream(learner: Learner, clients: int) -> None:
    result = learner.ok(RUN, {"clients": clients, "lock": False})
    assert result["upstream_calls"] == clients
    assert result["redis_commands_clients"] == 2 * clients  # each: GET (miss), SET
    assert result["agreed"] and result["lock_refusals"] == 0
    assert KEY in learner.sandbox_keys()


@pytest.mark.parametrize("clients", [20, 25])
def test_with_the_lock_exactly_one_client_calls_the_upstream(
    learner: Learner, clients: int
) -> None:
    result = learner.ok(RUN, {"clients": clients, "lock": True})
    assert result["upstream_calls"] == 1
    assert result["waiters"] == clients - 1  # every other client found the lock held...
    assert result["lock_refusals"] >= clients - 1  # ...once or more (SET NX answered nil)
    assert result["self_loads"] == 0 and result["agreed"]
    assert result["polls"] >= clients - 1
    assert result["lock_left_ms"] == 0  # released by its holder
    keys = learner.sandbox_keys()
    assert KEY in keys and LOCK not in keys
    assert 290 <= int(learner.run(f"TTL {KEY}").split()[-1]) <= 300


def test_a_crashed_holder_leaves_the_lock_until_it_expires(learner: Learner) -> None:
    result = learner.ok(RUN, {"clients": 20, "lock": True, "crash": True})
    assert result["upstream_calls"] == 1
    assert 0 < result["lock_left_ms"] <= 10_000
    assert {KEY, LOCK} <= learner.sandbox_keys()
    pttl = int(learner.run(f"PTTL {LOCK}").split()[-1])
    assert 0 < pttl <= 10_000


def test_the_number_of_clients_is_bounded(learner: Learner) -> None:
    for clients in [0, 1, 51, "20", None]:
        assert learner.post(RUN, {"clients": clients, "lock": True}).status_code == 400
