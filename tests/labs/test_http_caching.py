"""The HTTP caching lab: validators and 304s, the public origin, the proxy's HIT/MISS/STALE."""

from __future__ import annotations

import json

from starlette.testclient import TestClient

from tests.labs.conftest import Clock, Learner, ttl_of
from tryredis.labs.conditional import http_date

REPO = "/lab/http-caching/repo/redis/redis"
PROXY = "/lab/http-caching/proxy/repo/redis/redis"
ORIGIN = "/lab/http-caching/origin/repo/redis/redis"


def test_the_repo_answers_with_validators_and_304s(learner: Learner) -> None:
    first = learner.get(REPO)
    assert first.status_code == 200 and first.json()["stars"] == 66000
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert etag.startswith('"') and etag.endswith('"')
    assert first.headers["cache-control"] == "private, no-cache"
    assert first.headers["vary"] == "Cookie"
    assert first.headers["x-upstream-calls"] == "1"  # rendered: the slow source was called
    assert "upstream;dur=" in first.headers["server-timing"]

    again = learner.get(REPO, {"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag and again.headers["cache-control"] == "private, no-cache"
    assert again.headers["x-upstream-calls"] == "0"  # answered from the sandbox's hash
    assert learner.get(REPO, {"If-None-Match": f'"nope", W/{etag}'}).status_code == 304
    assert learner.get(REPO, {"If-None-Match": "*"}).status_code == 304

    assert learner.get(REPO, {"If-Modified-Since": modified}).status_code == 304
    earlier = http_date(1_600_000_000)
    assert learner.get(REPO, {"If-Modified-Since": earlier}).status_code == 200
    assert learner.get(REPO, {"If-Modified-Since": "yesterday"}).status_code == 200
    # If-None-Match decides when both are sent (RFC 9110).
    both = learner.get(REPO, {"If-None-Match": '"other"', "If-Modified-Since": modified})
    assert both.status_code == 200

    key = "cache:v1:http:repo:redis/redis"
    assert key in learner.sandbox_keys()
    assert learner.run(f"HGET {key} etag") == json.dumps(etag)
    assert 295 <= ttl_of(learner, key) <= 300


def test_a_write_deletes_the_representation_and_changes_the_etag(
    learner: Learner, clock: Clock
) -> None:
    etag = learner.get(REPO).headers["etag"]
    clock.advance(5)
    starred = learner.ok(f"{REPO}/star")
    assert starred["stars"] == 66001 and starred["deleted"] == 1
    changed = learner.get(REPO, {"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert changed.json()["stars"] == 66001
    assert changed.headers["last-modified"] == http_date(clock())
    assert learner.run("HGET labdb:repo:redis/redis stars") == '"66001"'


def test_the_origin_is_public_and_the_same_for_everyone(lab_client: TestClient) -> None:
    lab_client.cookies.clear()
    response = lab_client.get(ORIGIN)  # no cookie, no CSRF token: nothing personal here
    assert response.status_code == 200
    assert response.headers["cache-control"] == (
        "public, max-age=5, s-maxage=10, stale-while-revalidate=20"
    )
    assert "set-cookie" not in response.headers and "vary" not in response.headers
    assert response.json()["stars"] == 66000 and "etag" in response.headers
    assert lab_client.get("/lab/http-caching/origin/repo/a/..").status_code == 404


def test_the_proxy_hits_goes_stale_refreshes_and_misses(learner: Learner, clock: Clock) -> None:
    miss = learner.get(PROXY)
    assert miss.headers["x-cache"] == "MISS" and miss.headers["x-upstream-calls"] == "1"
    assert miss.headers["age"] == "0" and miss.headers["cache-control"] == "no-store"
    assert miss.headers["x-origin-cache-control"].startswith("public, max-age=5, s-maxage=10")
    body = miss.json()

    clock.advance(4)
    hit = learner.get(PROXY)
    assert hit.headers["x-cache"] == "HIT" and hit.headers["age"] == "4"
    assert hit.headers["x-upstream-calls"] == "0" and hit.json() == body

    clock.advance(7)  # 11 s old: past s-maxage (10), within stale-while-revalidate (20)
    stale = learner.get(PROXY)
    assert stale.headers["x-cache"] == "STALE" and stale.headers["age"] == "11"
    assert stale.json() == body and stale.headers["x-upstream-calls"] == "0"  # served at once

    # The background refresh ran after the answer: the next request is a fresh hit.
    fresh = learner.get(PROXY)
    assert fresh.headers["x-cache"] == "HIT" and fresh.headers["age"] == "0"
    assert fresh.json()["generated_at"] == http_date(clock())
    assert fresh.json()["generated_at"] != body["generated_at"]

    not_modified = learner.get(PROXY, {"If-None-Match": fresh.headers["etag"]})
    assert not_modified.status_code == 304 and not_modified.content == b""

    clock.advance(31)  # past s-maxage + stale-while-revalidate: a miss
    assert learner.get(PROXY).headers["x-cache"] == "MISS"
    assert "proxy:repo:redis/redis" in learner.sandbox_keys()
    assert 1 <= ttl_of(learner, "proxy:repo:redis/redis") <= 30


def test_stale_hits_refresh_only_once(learner: Learner, clock: Clock) -> None:
    learner.get(PROXY)
    clock.advance(12)
    # Someone else's refresh holds the lock: stale answers, and no second refresh.
    assert learner.run("SET lock:proxy:repo:redis/redis other PX 10000") == "OK"
    for _ in range(3):
        response = learner.get(PROXY)
        assert response.headers["x-cache"] == "STALE"
        assert response.headers["x-upstream-calls"] == "0"
    assert learner.run("DEL lock:proxy:repo:redis/redis") == "(integer) 1"
    assert learner.get(PROXY).headers["x-cache"] == "STALE"  # this one refreshes
    assert learner.get(PROXY).headers["x-cache"] == "HIT"


def test_learner_edits_of_the_lab_keys_never_cause_a_500(learner: Learner) -> None:
    assert learner.run("HSET labdb:repo:redis/redis updated 99999999999999999 stars 5") == (
        "(integer) 2"
    )
    response = learner.get(REPO)
    assert response.status_code == 200 and response.json()["stars"] == 5
    assert response.headers["last-modified"] == "Fri, 31 Dec 9999 23:59:59 GMT"
    learner.run("HSET cache:v1:http:repo:redis/redis modified soon")
    assert learner.get(REPO).status_code == 409
    learner.run("DEL cache:v1:http:repo:redis/redis")
    learner.run("HSET proxy:repo:redis/redis body x stored-at-ms never cache-control public")
    assert learner.get(PROXY).status_code == 409
