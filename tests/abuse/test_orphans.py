"""No orphans: every key a learner's commands leave in Redis is in their key index.

Issue 8 measured on d9807e8: queue 35 x ``SETRANGE leakN 65535 x`` and 15 x ``MGET``
of 63 keys, then ``EXEC``: the reply overflowed the output buffer, so the keys never
reached the index, and FLUSHALL, DELETE and the janitor never deleted them (154 MB
from one EXEC). Here that batch is refused whole; and a write-heavy EXEC whose
connection Redis cuts after running it (its reply overflows an output buffer the
test shrinks) still leaves nothing outside the index, which FLUSHALL, DELETE of the
session and the janitor then empty.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from starlette.testclient import TestClient

from tests.abuse.measure import index_names, learner_keys, run_lines, sweep_idle, used_by
from tests.conftest import ApiSession
from tests.support.redis_servers import RedisServer

WRITES = [f"SETRANGE leak{n} 65535 x" for n in range(7)]  # 7 x 64 KiB: within the quota
READ = "GETRANGE leak0 0 65535"  # a 64 KiB reply: over the output buffer the test allows


@contextmanager
def tiny_output_buffers(server: RedisServer) -> Iterator[None]:
    """Redis closes any normal client whose pending reply passes 32 KB, after the command ran.

    The site's own replies (sessions, the queue) are far smaller, so only the EXEC is cut.
    """
    admin = server.client()
    old = str(admin.config_get("client-output-buffer-limit")["client-output-buffer-limit"])
    admin.config_set("client-output-buffer-limit", "normal 32768 32768 0")
    try:
        yield
    finally:
        admin.config_set("client-output-buffer-limit", old)


def test_the_issues_batch_is_refused_whole(module_client: TestClient, server: RedisServer) -> None:
    learner = ApiSession.open(module_client)
    mget = "MGET " + " ".join(f"leak{n % 35}" for n in range(63))
    queued = [f"SETRANGE leak{n} 65535 x" for n in range(35)] + [mget] * 15
    assert learner.out("MULTI") == "OK"
    assert {r["output"] for r in run_lines(learner, queued)} == {"QUEUED"}
    result = learner.run("EXEC")
    print("35 x SETRANGE + 15 x MGET:", result["output"])
    assert result["kind"] == "refused"
    assert learner_keys(server, learner.learner_id) == set()


def cut_exec(learner: ApiSession, server: RedisServer) -> None:
    """A write-heavy EXEC that Redis runs and then cuts off before its reply is read."""
    assert learner.out("MULTI") == "OK"
    assert {r["output"] for r in run_lines(learner, [*WRITES, READ])} == {"QUEUED"}
    with tiny_output_buffers(server):
        result = learner.run("EXEC")
    print("the cut EXEC:", result["output"])
    assert result["kind"] == "refused" and "may or may not have run" in result["output"]
    held = learner_keys(server, learner.learner_id)
    assert held == {f"leak{n}".encode() for n in range(7)}, "the batch ran whole"
    assert held <= index_names(server, learner.learner_id), "nothing outside the index"
    # The quota sees them, to the byte, and so do the keyspace commands.
    assert learner.out("DBSIZE") == "(integer) 7"
    used, _ = used_by(server, learner.learner_id)
    totals = server.client().hget(f"tryredis:u:{{{learner.learner_id}}}.t", "b")
    assert totals is not None and int(totals) == used > 7 * 65536


def by_flushall(client: TestClient, learner: ApiSession) -> None:
    assert learner.out("FLUSHALL") == "OK"


def by_delete(client: TestClient, learner: ApiSession) -> None:
    deleted = client.delete("/api/v1/sessions/current", headers=learner.headers)
    assert deleted.status_code == 204


def by_janitor(client: TestClient, learner: ApiSession) -> None:
    assert sweep_idle(client) >= 1


@pytest.mark.parametrize("remove", [by_flushall, by_delete, by_janitor])
def test_a_cut_exec_leaves_no_orphans(
    module_client: TestClient, server: RedisServer, remove: Callable[[TestClient, ApiSession], None]
) -> None:
    learner = ApiSession.open(module_client)
    cut_exec(learner, server)
    remove(module_client, learner)
    assert learner_keys(server, learner.learner_id) == set()
    assert index_names(server, learner.learner_id) == set()
