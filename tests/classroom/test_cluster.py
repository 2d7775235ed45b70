"""The classroom on a 3-node Redis Cluster, as the generated ACL users: every step works."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from tests.classroom.conftest import Student, Teacher, client
from tests.conftest import TEST_LIMITS
from tests.support.live import serving
from tests.support.redis_servers import RedisCluster, running_cluster
from tryredis.app import create_app
from tryredis.cli import sandbox_command_names
from tryredis.redisconf import AclUsers, user_rules
from tryredis.settings import Settings

pytestmark = pytest.mark.slow

LESSON = "what-is-redis"
EXERCISE = "what-is-redis/first-key"


@pytest.fixture(scope="module")
def cluster_site() -> Iterator[tuple[str, Settings, RedisCluster]]:
    with running_cluster() as cluster:
        users = AclUsers.generate()
        for port in cluster.ports:
            for name, rule in user_rules("tryredis:", users, sandbox_command_names()):
                if name != "default":
                    redis.Redis(port=port).execute_command("ACL", "SETUSER", name, *rule.split())  # type: ignore[no-untyped-call]
        seed = f"127.0.0.1:{cluster.ports[0]}/0"
        settings = Settings(
            redis_url=f"redis://{users.site_user}:{users.site_password}@{seed}",
            sandbox_redis_url=f"redis://{users.sandbox_user}:{users.sandbox_password}@{seed}",
            redis_cluster=True,
        ).replace(**TEST_LIMITS)
        with serving(create_app(settings)) as url:
            yield url, settings, cluster


def read_events(site: str, path: str, cookies: dict[str, str], out: queue.Queue[tuple[str, str]],
                stop: threading.Event) -> None:  # fmt: skip
    """Put every (event, data) of a stream on ``out`` until ``stop`` is set."""
    import httpx

    timeout = httpx.Timeout(10, read=None)
    with (
        httpx.Client(base_url=site, cookies=cookies, timeout=timeout) as http,
        http.stream("GET", path) as stream,
    ):
        event = ""
        for line in stream.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                out.put((event, line[6:]))
            if stop.is_set():
                return


def wait_for(events: queue.Queue[tuple[str, str]], wanted: str) -> Any:
    """The data of the next event of this type (10 s at most)."""
    while True:
        event, data = events.get(timeout=10)
        if event == wanted:
            return json.loads(data)


def test_a_class_on_the_cluster(cluster_site: tuple[str, Settings, RedisCluster]) -> None:
    site, settings, cluster = cluster_site
    teacher = Teacher(site, settings, "Cluster Teacher")
    class_id = teacher.create_class("Sharded", [LESSON])
    code = teacher.code(class_id)

    events: queue.Queue[tuple[str, str]] = queue.Queue()
    stop = threading.Event()
    reader = threading.Thread(
        target=read_events,
        args=(site, f"/teach/classes/{class_id}/events", dict(teacher.http.cookies), events, stop),
        daemon=True,
    )
    reader.start()
    assert wait_for(events, "rows") == []  # the stream listens from here

    students = [Student(site) for _ in range(3)]
    for n, student in enumerate(students):
        assert student.join(code, f"S{n}").status_code == 200
    students[0].solve_first_key()
    while (done := wait_for(events, "done"))["x"] != EXERCISE:
        pass
    stop.set()

    progress = teacher.http.get(f"/teach/classes/{class_id}/progress.json").json()
    assert [s["done_count"] for s in progress["students"]] == [1, 0, 0]
    assert done["id"] == progress["students"][0]["id"]
    detail = teacher.page(f"/teach/classes/{class_id}/students/{done['id']}")
    assert "welcome" in detail.text

    assert teacher.post(f"/teach/classes/{class_id}/reset", student="all").status_code == 303
    assert students[0].run("DBSIZE")[0]["output"] == "(integer) 0"
    assert "Done." in students[0].panels(LESSON)

    again = Student(site)
    assert again.join(code, "s0", students[0].rejoin).status_code == 200
    assert teacher.post(f"/teach/classes/{class_id}/end", confirm="yes").status_code == 303
    for port in cluster.ports:
        assert redis.Redis(port=port).keys(f"tryredis:*{class_id}*") == []
        assert redis.Redis(port=port).keys(f"tryredis:*{done['id']}*") == []
    assert client(site).get(f"/join?code={code}").status_code == 200
    assert Student(site).join(code, "late").status_code == 404
