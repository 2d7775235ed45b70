"""tryredis on a 3-node Redis Cluster: every learner's keys in one slot, routed to its node."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

import pytest
import redis
from redis.crc import key_slot
from starlette.testclient import TestClient

from tests.conftest import TEST_LIMITS, ApiSession
from tests.support.redis_servers import RedisCluster, running_cluster
from tryredis.app import create_app
from tryredis.cli import newer_command_names, sandbox_command_names
from tryredis.lessons import load_lessons
from tryredis.redisconf import AclUsers, sandbox_command_rules, user_rules
from tryredis.settings import PROJECT_ROOT, Settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster() -> Iterator[RedisCluster]:
    with running_cluster() as running:
        yield running


@pytest.fixture(scope="module")
def cluster_client(cluster: RedisCluster) -> Iterator[TestClient]:
    """The site on the cluster as the generated ACL users, as `tryredis acl` sets them up.

    (``default`` stays on for the tests' own admin calls.)
    """
    users = AclUsers.generate()
    for port in cluster.ports:
        for name, rule in user_rules("tryredis:", users, sandbox_command_names()):
            if name != "default":
                redis.Redis(port=port).execute_command("ACL", "SETUSER", name, *rule.split())  # type: ignore[no-untyped-call]
        # The lines `tryredis acl` prints for newer servers: each where the server has them.
        for names in newer_command_names().values():
            with contextlib.suppress(redis.ResponseError):
                redis.Redis(port=port).execute_command(  # type: ignore[no-untyped-call]
                    "ACL", "SETUSER", users.sandbox_user, *sandbox_command_rules(names)
                )
    seed = f"127.0.0.1:{cluster.ports[0]}/0"
    settings = Settings(
        redis_url=f"redis://{users.site_user}:{users.site_password}@{seed}",
        sandbox_redis_url=f"redis://{users.sandbox_user}:{users.sandbox_password}@{seed}",
        redis_cluster=True,
    ).replace(**TEST_LIMITS)
    with TestClient(create_app(settings)) as client:
        yield client


def learner_id(session: ApiSession) -> str:
    return session.token.split(".")[0]


def owner(cluster: RedisCluster, slot: int) -> int:
    """The port of the node that serves ``slot``."""
    for port in cluster.ports:
        for start, end, *nodes in redis.Redis(port=port).cluster("SLOTS"):
            if start <= slot <= end:
                return int(nodes[0][1])
    raise AssertionError(f"no node serves slot {slot}")


def test_learners_spread_over_nodes_and_stay_isolated(
    cluster: RedisCluster, cluster_client: TestClient
) -> None:
    learners = [ApiSession.open(cluster_client) for _ in range(12)]
    ports = {owner(cluster, key_slot(learner_id(s).encode())) for s in learners}
    assert len(ports) >= 2, "12 random learners should land on more than one node"
    for number, session in enumerate(learners):
        assert session.out(f"SET mine {number}") == "OK"
        assert session.out("RPUSH q a b") == "(integer) 2"
    for number, session in enumerate(learners):
        assert session.out("KEYS *") in ('1) "mine"\n2) "q"', '1) "q"\n2) "mine"')
        assert session.out("GET mine") == f'"{number}"'
        assert session.out("MULTI") == "OK"
        assert session.out("INCR mine") == "QUEUED"
        assert session.out("LPOP q") == "QUEUED"
        assert session.out("EXEC") == f'1) (integer) {number + 1}\n2) "a"'
        assert session.out("BLPOP q 1") == '1) "q"\n2) "b"'


def test_every_lesson_transcript_on_the_cluster(cluster_client: TestClient) -> None:
    # Each lesson in page order in one sandbox, as the course promises. SUBSCRIBE
    # streams are not opened here, so what a subscriber changes is not compared.
    def items(text: str) -> list[str]:
        return sorted(re.sub(r"^\s*\d+\) ", "", x) for x in text.split("\n"))

    for lesson in load_lessons(PROJECT_ROOT / "lessons_md"):
        session = ApiSession.open(cluster_client)
        for block in lesson.redis_blocks:
            if not block.is_transcript:
                for command in block.commands:
                    session.out(command)
                continue
            for step in block.steps:
                output = session.out(step.command)
                if not block.checked or re.match(r"(?i)PUB(LISH|SUB)\b", step.command):
                    continue
                if block.unordered:
                    assert items(output) == items(step.expected), (lesson.path, step.line)
                else:
                    assert output == step.expected, (lesson.path, step.line)


def move_slot(cluster: RedisCluster, slot: int, to_port: int) -> None:
    """Migrate one slot (and its keys) to another node, as a reshard would."""
    from_port = owner(cluster, slot)
    source, target = redis.Redis(port=from_port), redis.Redis(port=to_port)
    source_id = source.execute_command("CLUSTER", "MYID").decode()  # type: ignore[no-untyped-call]
    target_id = target.execute_command("CLUSTER", "MYID").decode()  # type: ignore[no-untyped-call]
    target.execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING", source_id)  # type: ignore[no-untyped-call]
    source.execute_command("CLUSTER", "SETSLOT", slot, "MIGRATING", target_id)  # type: ignore[no-untyped-call]
    keys = source.execute_command("CLUSTER", "GETKEYSINSLOT", slot, 1000)  # type: ignore[no-untyped-call]
    if keys:
        source.execute_command(  # type: ignore[no-untyped-call]
            "MIGRATE", "127.0.0.1", to_port, "", 0, 5000, "KEYS", *keys
        )
    for port in cluster.ports:
        redis.Redis(port=port).execute_command(  # type: ignore[no-untyped-call]
            "CLUSTER", "SETSLOT", slot, "NODE", target_id
        )


def test_a_slot_that_moves_is_followed(cluster: RedisCluster, cluster_client: TestClient) -> None:
    session = ApiSession.open(cluster_client)
    assert session.out("SET before-move 1") == "OK"
    slot = key_slot(learner_id(session).encode())
    other_port = next(p for p in cluster.ports if p != owner(cluster, slot))
    move_slot(cluster, slot, other_port)
    assert owner(cluster, slot) == other_port
    assert session.out("GET before-move") == '"1"'  # MOVED, map refreshed, sent again
    assert session.out("INCR before-move") == "(integer) 2"
    assert session.out("KEYS *") == '1) "before-move"'
