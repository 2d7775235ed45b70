"""The keys panel and key completion over HTTP, on a real Redis: what each type reads as."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from tests.conftest import ApiSession, settings_for
from tests.support.redis_servers import RedisServer
from tryredis.app import create_app


def _fill(api: ApiSession, *lines: str) -> None:
    for line in lines:
        assert api.run(line)["kind"] == "reply", line


def test_overview_lists_type_ttl_and_size(client: TestClient, api: ApiSession) -> None:
    _fill(
        api,
        "RPUSH queue a b c",
        "SET greeting hello EX 100",
        "HSET user:1 name ada lang en",
        "SADD tags x y",
        "ZADD board 1 a 2 b",
        "XADD events * k v",
        "PFADD visitors a b c",
    )
    answer = client.get("/repl/keys", headers=api.headers)
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    body = answer.json()
    assert body["total"] == 7
    rows = {k["name"]: k for k in body["keys"]}
    assert [k["name"] for k in body["keys"]] == sorted(rows)
    assert rows["queue"] == {
        "name": "queue",
        "arg": "queue",
        "type": "list",
        "ttl_ms": None,
        "size": 3,
    }
    assert rows["greeting"]["type"] == "string" and rows["greeting"]["size"] == 5
    assert 90_000 < rows["greeting"]["ttl_ms"] <= 100_000
    assert (rows["user:1"]["type"], rows["user:1"]["size"]) == ("hash", 2)
    assert (rows["tags"]["type"], rows["board"]["type"], rows["events"]["type"]) == (
        "set",
        "zset",
        "stream",
    )
    filtered = client.get("/repl/keys", params={"match": "u"}, headers=api.headers).json()
    assert [k["name"] for k in filtered["keys"]] == ["queue", "user:1"]
    globbed = client.get("/repl/keys", params={"match": "q*"}, headers=api.headers).json()
    assert [k["name"] for k in globbed["keys"]] == ["queue"]


def test_each_type_as_a_picture(client: TestClient, api: ApiSession) -> None:
    _fill(
        api,
        "RPUSH queue a b c",
        "HSET user:1 name ada",
        "SADD tags y x",
        "ZADD board 10 carol 5 bob",
        "XADD events 1-1 k v",
        "XGROUP CREATE events workers 0",
        "XREADGROUP GROUP workers w1 COUNT 1 STREAMS events >",
        "SETBIT flags 5 1",
        "SETBIT flags 7 1",
        "PFADD visitors a b c",
    )

    def view(key: str, **params: str) -> dict[str, object]:
        answer = client.get("/repl/key", params={"key": key, **params}, headers=api.headers)
        assert answer.status_code == 200, answer.text
        result: dict[str, object] = answer.json()
        return result

    queue = view("queue")
    assert queue["items"] == [[0, "a"], [1, "b"], [2, "c"]]
    assert (queue["type"], queue["next_page"]) == ("list", None)
    assert queue["encoding"] in ("quicklist", "listpack")  # Redis 7.0, 7.2
    assert view("user:1")["items"] == [["name", "ada"]]
    assert view("tags")["items"] == ["x", "y"]
    assert view("board")["items"] == [[0, "bob", "5"], [1, "carol", "10"]]
    events = view("events")
    assert events["items"] == [["1-1", ["k", "v"]]]
    assert events["groups"] == [
        {"name": "workers", "consumers": 1, "pending": 1, "last_delivered": "1-1"}
    ]
    flags = view("flags")
    assert (flags["value"], flags["hex"], flags["size"]) == ("\\x05", "05", 1)
    assert "estimate" not in flags
    visitors = view("visitors")
    assert visitors["estimate"] == 3 and visitors["type"] == "string"
    assert view("missing") == {"gone": True}


def test_large_values_are_paged(client: TestClient, api: ApiSession) -> None:
    api.run("RPUSH big " + " ".join(f"v{i}" for i in range(60)))
    for start in (0, 30):  # at most 64 arguments a command
        api.run("ZADD z " + " ".join(f"{i} m{i}" for i in range(start, start + 30)))
    api.run("SET s " + "x" * 1500)
    first = client.get("/repl/key", params={"key": "big"}, headers=api.headers).json()
    assert len(first["items"]) == 50 and first["next_page"] == "50"
    rest = client.get("/repl/key", params={"key": "big", "page": "50"}, headers=api.headers)
    assert rest.json()["items"][0] == [50, "v50"] and rest.json()["next_page"] is None
    zset = client.get("/repl/key", params={"key": "z", "page": "50"}, headers=api.headers).json()
    assert zset["items"][0] == [50, "m50", "50"] and len(zset["items"]) == 10
    string = client.get("/repl/key", params={"key": "s"}, headers=api.headers).json()
    assert len(string["value"]) == 1024 and string["next_page"] == "1024"


def test_odd_key_names_round_trip_as_typed(client: TestClient, api: ApiSession) -> None:
    api.run('SET "two words" 1')
    api.run('SET "bin\\xff" 1')
    rows = client.get("/repl/keys", headers=api.headers).json()["keys"]
    assert {(k["name"], k["arg"]) for k in rows} == {
        ("two words", '"two words"'),
        ("bin\\xff", '"bin\\xff"'),
    }
    for row in rows:
        answer = client.get("/repl/key", params={"key": row["arg"]}, headers=api.headers)
        assert answer.json()["size"] == 1
    bad = client.get("/repl/key", params={"key": "a b"}, headers=api.headers)
    assert bad.status_code == 400


def test_completion_by_prefix(client: TestClient, api: ApiSession) -> None:
    _fill(api, "SET user:1 a", "SET user:2 b", "SET other c", "SET star* d")
    answer = client.get("/repl/complete", params={"prefix": "user:"}, headers=api.headers)
    assert answer.json() == {
        "keys": [{"name": "user:1", "arg": "user:1"}, {"name": "user:2", "arg": "user:2"}],
        "more": False,
    }
    # Glob characters in what was typed are taken literally.
    star = client.get("/repl/complete", params={"prefix": "star*"}, headers=api.headers)
    assert [k["name"] for k in star.json()["keys"]] == ["star*"]


def test_browser_reads_need_csrf_and_never_create_a_sandbox(
    client: TestClient, redis_server: RedisServer
) -> None:
    page = client.get("/repl").text
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)">', page)
    assert csrf
    assert client.get("/repl/keys").status_code == 403
    before = len(redis_server.client().keys("tryredis:s:*"))
    empty = client.get("/repl/keys", headers={"X-CSRF-Token": csrf.group(1)})
    assert empty.json() == {"keys": [], "total": 0}
    assert len(redis_server.client().keys("tryredis:s:*")) == before
    assert client.get("/repl/keys", headers={"Origin": "https://evil.example"}).status_code == 403


def test_panel_reads_pay_the_rate_limit(redis_server: RedisServer) -> None:
    settings = settings_for(redis_server, rate_per_second=0.01, rate_burst=3)
    with TestClient(create_app(settings)) as limited:
        api = ApiSession.open(limited)
        statuses = [limited.get("/repl/keys", headers=api.headers).status_code for _ in range(5)]
    assert statuses[:2] == [200, 200]
    assert 429 in statuses


def test_the_panel_reads_outside_an_open_multi(client: TestClient, api: ApiSession) -> None:
    api.run("SET k v")
    assert api.out("MULTI") == "OK"
    rows = client.get("/repl/keys", headers=api.headers).json()["keys"]
    assert [r["name"] for r in rows] == ["k"]
    assert api.out("EXEC") == "(empty array)"
