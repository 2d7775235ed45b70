"""Transactions keep every limit: a MULTI batch is checked as a whole, in order.

Issue 8 measured on d9807e8: queued commands were checked against the sandbox as
it was before the batch. 50 x ``RPUSH`` of 62 elements gave 3,100 elements (cap
1,000), 50 x ``MSET`` of 31 keys gave 1,551 keys (cap 1,000), 50 x ``COPY`` gave
+46 MB. Here each batch is refused at EXEC, nothing of it runs, and the admin's view
of Redis shows the caps held.
"""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.abuse.measure import run_lines, used_by
from tests.conftest import ApiSession
from tests.support.redis_servers import RedisServer
from tryredis.settings import Settings

DEFAULTS = Settings()
QUOTA = DEFAULTS.sandbox_max_bytes
QUEUED = DEFAULTS.multi_max_commands  # 50


def transaction(learner: ApiSession, lines: list[str]) -> dict[str, str]:
    """MULTI, ``lines`` (each must be QUEUED), then EXEC's result."""
    assert learner.out("MULTI") == "OK"
    assert [r["output"] for r in run_lines(learner, lines)] == ["QUEUED"] * len(lines)
    return learner.run("EXEC")


def test_fifty_rpushes_of_62_elements_keep_the_element_cap(
    module_client: TestClient, server: RedisServer
) -> None:
    learner = ApiSession.open(module_client)
    elements = " ".join(str(n) for n in range(62))
    result = transaction(learner, [f"RPUSH l {elements}"] * QUEUED)
    print("RPUSH x 50:", result["output"])
    assert result["kind"] == "refused" and "TRYREDIS_KEY_MAX_ELEMENTS" in result["output"]
    assert server.client().llen(f"tryredis:u:{{{learner.learner_id}}}:l") == 0
    # The same batch small enough to fit runs whole: 16 x 62 = 992 elements.
    result = transaction(learner, [f"RPUSH l {elements}"] * 16)
    assert result["kind"] == "reply" and result["output"].endswith("16) (integer) 992")
    assert server.client().llen(f"tryredis:u:{{{learner.learner_id}}}:l") == 992
    assert learner.out("RPUSH l 1 2 3 4 5 6 7 8 9").startswith("(refused)")


def test_fifty_msets_of_31_keys_keep_the_key_cap(
    module_client: TestClient, server: RedisServer
) -> None:
    learner = ApiSession.open(module_client)
    lines = [
        "MSET " + " ".join(f"k{batch}-{n} v" for n in range(31)) for batch in range(QUEUED)
    ]  # 50 x 31 = 1,550 new keys
    result = transaction(learner, lines)
    print("MSET x 50:", result["output"])
    assert result["kind"] == "refused" and "TRYREDIS_SANDBOX_MAX_KEYS" in result["output"]
    _, keys = used_by(server, learner.learner_id)
    assert keys == 0
    result = transaction(learner, lines[:32])  # 992 keys: within the cap
    assert result["kind"] == "reply"
    _, keys = used_by(server, learner.learner_id)
    assert keys == 32 * 31 <= DEFAULTS.sandbox_max_keys
    assert learner.out("DBSIZE") == "(integer) 992"


def test_fifty_copies_keep_the_memory_quota(module_client: TestClient, server: RedisServer) -> None:
    learner = ApiSession.open(module_client)
    # A source of about 100 KB (5 short members then 4 KB ones), so eight copies fit
    # the quota before the batch and 50 need five times it.
    lines = [f"ZADD z {n} m{n}" for n in range(5)]
    lines += [f"ZADD z {n} {n:04d}{'x' * 3996}" for n in range(5, 30)]
    assert {r["output"] for r in run_lines(learner, lines)} == {"(integer) 1"}
    before, _ = used_by(server, learner.learner_id)
    assert 100_000 < before < QUOTA // 9
    result = transaction(learner, [f"COPY z c{n}" for n in range(QUEUED)])
    print(f"COPY x 50 of {before:,} bytes:", result["output"])
    assert result["kind"] == "refused" and "TRYREDIS_SANDBOX_MAX_BYTES" in result["output"]
    after, keys = used_by(server, learner.learner_id)
    assert (after, keys) == (before, 1)
    # Copies up to the quota run, and the sandbox stays within 10% of it.
    result = transaction(learner, [f"COPY z c{n}" for n in range(8)])
    assert result["kind"] == "reply", result
    used, keys = used_by(server, learner.learner_id)
    print(f"COPY x 8: {keys} keys, {used:,} bytes ({used / QUOTA:.1%} of the quota)")
    assert keys == 9 and used <= 1.1 * QUOTA
