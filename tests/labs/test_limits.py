"""Labs run only inside the learner's sandbox and limits: CSRF, same origin, the rate limit."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.conftest import settings_for
from tests.labs.conftest import DELAY, Learner
from tests.support.redis_servers import RedisServer
from tryredis.app import create_app
from tryredis.labs.config import LabConfig

POSTS: list[tuple[str, dict[str, Any]]] = [
    ("/lab/cache-aside/fetch", {"repo": "redis/redis"}),
    ("/lab/cache-aside/update", {"repo": "redis/redis", "stars": 1, "invalidate": True}),
    ("/lab/stampede/run", {"clients": 20, "lock": True}),
    ("/lab/rate-limit/fixed", {}),
    ("/lab/rate-limit/sliding", {}),
    ("/lab/sessions/login", {"user": "ada", "password": "correct horse battery staple"}),
    ("/lab/sessions/logout", {}),
    ("/lab/http-caching/repo/redis/redis/star", {}),
]
GETS = [
    "/lab/sessions/me",
    "/lab/http-caching/repo/redis/redis",
    "/lab/http-caching/proxy/repo/redis/redis",
]


@pytest.mark.parametrize(("path", "payload"), POSTS)
def test_actions_need_the_csrf_token_and_the_same_origin(
    learner: Learner, path: str, payload: dict[str, Any]
) -> None:
    client = learner.client
    assert client.post(path, json=payload).status_code == 403
    wrong = {"X-CSRF-Token": ("y" if learner.csrf[0] == "x" else "x") + learner.csrf[1:]}
    assert client.post(path, json=payload, headers=wrong).status_code == 403
    cross = {**learner.headers, "Origin": "https://evil.example"}
    assert client.post(path, json=payload, headers=cross).status_code == 403
    assert learner.sandbox_keys() == set()  # nothing ran
    client.cookies.clear()
    assert client.post(path, json=payload, headers=learner.headers).status_code == 401


@pytest.mark.parametrize("path", GETS)
def test_reads_of_the_sandbox_need_the_csrf_token_too(learner: Learner, path: str) -> None:
    response = learner.client.get(path)
    assert response.status_code == 403
    assert response.headers["cache-control"] == "no-store"


def test_lab_answers_are_never_stored_by_shared_caches(learner: Learner) -> None:
    for path, payload in POSTS:
        response = learner.post(path, payload)
        assert response.status_code in (200, 401, 409), (path, response.text)
        assert response.headers["cache-control"] == "no-store", path
        assert response.headers["vary"] == "Cookie", path
    for path in GETS:
        response = learner.get(path)
        cache_control = response.headers["cache-control"]
        assert cache_control in ("no-store", "private, no-cache"), path
        assert "Cookie" in response.headers["vary"], path


@pytest.fixture
def strict_client(redis_server: RedisServer) -> Iterator[TestClient]:
    """The app with a learner budget of 4 commands and (almost) no refill."""
    app = create_app(settings_for(redis_server, rate_burst=4, rate_per_second=0.01))
    app.state.lab_config = LabConfig(upstream_delay=DELAY, token_wait_max=1.0)
    with TestClient(app) as client:
        yield client


def test_labs_and_the_repl_share_the_learners_rate_limit(strict_client: TestClient) -> None:
    learner = Learner(strict_client, "/lab/rate-limit")
    assert learner.post("/lab/rate-limit/fixed").status_code == 200  # INCR, EXPIRE: 2 tokens
    assert learner.post("/lab/rate-limit/fixed").status_code == 200  # 2 more: the burst is spent
    refused = learner.post("/lab/rate-limit/fixed")
    assert refused.status_code == 429
    assert "commands per learner" in refused.json()["error"]
    assert "limiter" not in refused.json()  # the site's own limit, not the lab's
    assert int(refused.headers["retry-after"]) >= 1
    repl = strict_client.post("/api/v1/run", json={"line": "PING"}, headers=learner.headers)
    assert repl.status_code == 429  # the REPL draws on the same bucket


def test_the_repl_spends_what_a_lab_then_lacks(strict_client: TestClient) -> None:
    learner = Learner(strict_client, "/lab/stampede")
    lines = {"lines": ["PING", "PING", "PING", "PING"]}
    assert strict_client.post("/api/v1/run", json=lines, headers=learner.headers).status_code == 200
    assert learner.post("/lab/stampede/run", {"clients": 20}).status_code == 429


def test_a_run_bigger_than_the_burst_pays_in_several_touches(redis_server: RedisServer) -> None:
    app = create_app(settings_for(redis_server, rate_burst=10, rate_per_second=50.0))
    app.state.lab_config = LabConfig(upstream_delay=DELAY)
    with TestClient(app) as client:
        learner = Learner(client, "/lab/stampede")
        result = learner.ok("/lab/stampede/run", {"clients": 20, "lock": False})
    assert result["upstream_calls"] == 20
    assert result["redis_commands"] == 41  # DEL + 20 x (GET, SET)
    # 10 tokens from the burst, the other 31 at 50 per second: at least ~0.6 s of waiting.
    assert result["token_wait_ms"] >= 500
